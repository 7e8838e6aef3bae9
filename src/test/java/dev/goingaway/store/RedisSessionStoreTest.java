package dev.goingaway.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.goingaway.redis.RedisTarget;
import dev.goingaway.redis.RedisUrl;
import dev.goingaway.testing.RedisProcess;

import redis.clients.jedis.Jedis;

/** Against a real Redis server process, including one that is stopped and one that is frozen. */
class RedisSessionStoreTest {

    private static RedisProcess redis;
    private static RedisSessionStore store;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisProcess.start(0);
        store = new RedisSessionStore(RedisTarget.single(RedisUrl.parse(redis.url()), Duration.ofMillis(500)));
    }

    @AfterAll
    static void stop() throws Exception {
        store.close();
        redis.close();
    }

    @Test
    void savesAndLoadsRecordsWithTheirTtl() throws Exception {
        store.saveAll(List.of(new SessionRecord("a", 3, List.of("s:1", "n:2")), new SessionRecord("b", 0, List.of())),
                Duration.ofHours(24));
        assertEquals(Optional.of(new SessionRecord("a", 3, List.of("s:1", "n:2"))), store.load("a"), "round trip");
        assertEquals(Optional.empty(), store.load("never-seen"), "unknown session");
        try (Jedis j = redis.client()) {
            long ttl = j.pttl("goingaway:session:a");
            assertTrue(ttl > 23 * 3_600_000L && ttl <= 24 * 3_600_000L, "SESSION_TTL applied, pttl=" + ttl);
            assertEquals("3", j.hget("goingaway:session:a", "total"), "documented key layout");
        }
    }

    @Test
    void tenThousandRecordsGoInOnePipeline() throws Exception {
        List<SessionRecord> many = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            many.add(new SessionRecord("bulk-" + i, i, List.of()));
        }
        store.saveAll(many, Duration.ofMinutes(5)); // warm-up
        long t0 = System.nanoTime();
        store.saveAll(many, Duration.ofMinutes(5));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(9_999L, store.load("bulk-9999").orElseThrow().total(), "last record written");
        System.out.printf("10,000 session records pipelined in %d ms%n", ms);
    }

    @Test
    void keepsTheShutdownReport() throws Exception {
        store.saveShutdownReport("blue-1", "{\"byesSent\":3}", Duration.ofDays(7));
        assertEquals(Optional.of("{\"byesSent\":3}"), store.shutdownReport("blue-1"), "per-instance report");
        try (Jedis j = redis.client()) {
            assertEquals("{\"byesSent\":3}", j.get("goingaway:shutdown:last"), "newest report of any instance");
        }
    }

    @Test
    void aStoppedOrFrozenRedisFailsFastAndRecovers() throws Exception {
        redis.stop();
        long t0 = System.nanoTime();
        assertThrows(StoreException.class, () -> store.load("a"), "stopped Redis is an error, not a hang");
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 2_000, "fails within the timeout");
        redis.startProcess();
        store.saveAll(List.of(new SessionRecord("after", 1, List.of())), Duration.ofMinutes(1));
        assertEquals(1L, store.load("after").orElseThrow().total(), "works again once Redis is back");

        redis.freeze();
        try {
            long t1 = System.nanoTime();
            assertThrows(StoreException.class, () -> store.ping(), "frozen Redis times out");
            long ms = (System.nanoTime() - t1) / 1_000_000;
            assertTrue(ms < 2_000, "bounded by REDIS_TIMEOUT (500 ms) plus the pool wait, took " + ms + " ms");
        } finally {
            redis.thaw();
        }
        store.ping();
    }
}
