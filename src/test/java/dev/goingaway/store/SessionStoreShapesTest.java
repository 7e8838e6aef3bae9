package dev.goingaway.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.goingaway.redis.RedisTarget;
import dev.goingaway.testing.Await;
import dev.goingaway.testing.RedisClusterSetup;
import dev.goingaway.testing.RedisSentinelSetup;

import redis.clients.jedis.HostAndPort;

/**
 * The session store on a real Sentinel set-up and a real Redis Cluster: totals, recent ids and
 * shutdown reports written and read back (on a cluster the keys of one batch span every node),
 * and who answers a ping changes when a replica is promoted, which is what makes an instance
 * write its connected sessions' totals again.
 */
class SessionStoreShapesTest {

    private static final Duration TIMEOUT = Duration.ofMillis(500);
    private static final Duration FAILOVER = Duration.ofSeconds(20);

    private static List<SessionRecord> records(String prefix, int n) {
        List<SessionRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new SessionRecord(prefix + i, 10L + i, List.of("id-" + i, "id-" + (i + 1))));
        }
        return out;
    }

    private static void writesAndReadsBack(RedisSessionStore store, String prefix) throws StoreException {
        List<SessionRecord> written = records(prefix, 100);
        store.saveAll(written, Duration.ofMinutes(5));
        for (SessionRecord r : written) {
            SessionRecord back = store.load(r.sessionId()).orElseThrow(() -> new AssertionError(r.sessionId() + " not stored"));
            assertEquals(r.total(), back.total());
            assertEquals(r.recentIds(), back.recentIds());
        }
        store.saveShutdownReport("instance-" + prefix, "{\"byesSent\":3}", Duration.ofMinutes(5));
        assertEquals("{\"byesSent\":3}", store.shutdownReport("instance-" + prefix).orElseThrow());
    }

    @Test
    void sentinel() throws Exception {
        try (RedisSentinelSetup s = RedisSentinelSetup.start();
             RedisSessionStore store = new RedisSessionStore(RedisTarget.sentinel(s.sentinelNodes(), s.masterName(),
                     null, null, null, null, false, TIMEOUT))) {
            writesAndReadsBack(store, "s-");
            String before = store.ping();
            HostAndPort old = s.primary();
            s.killPrimary();
            s.awaitFailover(old, FAILOVER);
            String[] after = new String[1];
            Await.until("the store answers from the new primary", FAILOVER, () -> {
                try {
                    after[0] = store.ping();
                    return true;
                } catch (StoreException e) {
                    return false;
                }
            });
            assertNotEquals(before, after[0], "a promoted replica answers with another replication id");
            // Written with WAIT 1 before the kill: the replica had every total when it was promoted.
            assertEquals(10L, store.load("s-0").orElseThrow().total());
            assertEquals(109L, store.load("s-99").orElseThrow().total());
        }
    }

    @Test
    void cluster() throws Exception {
        try (RedisClusterSetup c = RedisClusterSetup.start(3, 1);
             RedisSessionStore store = new RedisSessionStore(RedisTarget.cluster(c.seeds(), null, null, false, TIMEOUT))) {
            writesAndReadsBack(store, "c-");
            long nodes = records("c-", 100).stream().map(r -> c.primaryOf(RedisSessionStore.sessionKey(r.sessionId())))
                    .distinct().count();
            assertEquals(3, nodes, "one batch wrote to every primary");
            String before = store.ping();
            assertEquals(3, before.split(",").length, "one replication id per primary");
            String key = RedisSessionStore.sessionKey("c-0");
            HostAndPort old = c.primaryOf(key);
            c.killPrimaryOf(key);
            c.awaitFailoverOf(key, old, FAILOVER);
            String[] after = new String[1];
            Await.until("every primary answers again", FAILOVER, () -> {
                try {
                    after[0] = store.ping();
                    return after[0].split(",").length == 3;
                } catch (StoreException e) {
                    return false;
                }
            });
            assertNotEquals(before, after[0], "the promoted replica's id replaced its primary's");
            Await.until("the promoted replica serves the totals", FAILOVER, () -> {
                try {
                    return store.load("c-0").isPresent();
                } catch (StoreException e) {
                    return false;
                }
            });
            assertTrue(store.load("c-0").orElseThrow().total() <= 10L, "never more than was written");
        }
    }
}
