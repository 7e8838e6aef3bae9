package dev.goingaway.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.goingaway.testing.RedisProcess;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.JedisPubSub;

/** The append and read scripts against a real Redis server: numbering, window, expiry, epochs, publication. */
class RedisStreamStoreTest {

    private static RedisProcess redis;
    private static RedisStreamStore store;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisProcess.start(0);
        store = new RedisStreamStore(RedisClient.create("127.0.0.1", redis.port()), 5, Duration.ofMinutes(10));
    }

    @AfterAll
    static void stop() throws Exception {
        store.close();
        redis.close();
    }

    private static Framing message(String text) {
        return new Framing("{\"type\":\"message\",\"text\":\"" + text + "\",\"offset\":", "}");
    }

    @Test
    void offsetsCountFromOneWithinAnEpochAndGoIntoTheFrame() throws Exception {
        StreamStore.Appended a = store.append("room:count", message("a"), StreamStore.Publication.NONE);
        StreamStore.Appended b = store.append("room:count", message("b"), StreamStore.Publication.NONE);
        assertEquals(1, a.offset());
        assertEquals(2, b.offset());
        assertEquals(a.epoch(), b.epoch(), "one epoch");
        assertEquals(8, a.epoch().length());
        assertEquals("{\"type\":\"message\",\"text\":\"b\",\"offset\":2}", b.frame(), "the frame carries its offset");

        Range all = store.after("room:count", 0);
        assertEquals(new Position(a.epoch(), 2), all.top());
        assertEquals(List.of(new Entry(1, a.frame()), new Entry(2, b.frame())), all.entries(), "history as first sent");
        assertEquals(List.of(new Entry(2, b.frame())), store.after("room:count", 1).entries(), "only what comes after");
        assertTrue(all.completeAfter(new Position(a.epoch(), 0)));
        assertTrue(store.after("room:count", 2).completeAfter(new Position(a.epoch(), 2)), "nothing missed is complete");
        assertFalse(all.completeAfter(new Position("other", 0)), "another epoch is never complete");
    }

    @Test
    void theHistoryKeepsAtLeastTheLastHistorySizeMessagesAndTrimsTheRest() throws Exception {
        String epoch = null;
        int n = 450;
        for (int i = 1; i <= n; i++) {
            epoch = store.append("room:window", message("m" + i), StreamStore.Publication.NONE).epoch();
        }
        Range range = store.after("room:window", 0);
        List<Long> kept = range.entries().stream().map(Entry::offset).toList();
        assertTrue(kept.size() >= 5, "at least HISTORY_SIZE (5) kept: " + kept.size());
        assertTrue(kept.size() < n - 100, "trimmed (whole nodes of 100 at a time, MAXLEN ~): " + kept.size() + " left of " + n);
        long first = kept.get(0);
        assertEquals(n, kept.get(kept.size() - 1), "up to the top");
        assertEquals(n - first + 1, kept.size(), "without a hole");
        assertTrue(range.completeAfter(new Position(epoch, first - 1)), "the window holds everything after its first - 1");
        assertFalse(range.completeAfter(new Position(epoch, first - 2)), "but not before: that offset is gone");
        assertFalse(store.after("room:window", first - 2).completeAfter(new Position(epoch, first - 2)));
    }

    @Test
    void bothKeysShareOneHashTagAndExpireWithTheStream() throws Exception {
        store.append("room:ttl", message("x"), StreamStore.Publication.NONE);
        try (Jedis j = redis.client()) {
            long meta = j.pttl("goingaway:{stream:room:ttl}:meta");
            long log = j.pttl("goingaway:{stream:room:ttl}:log");
            assertTrue(meta > 9 * 60_000 && meta <= 10 * 60_000, "HISTORY_TTL on the meta hash, pttl=" + meta);
            assertTrue(log > 9 * 60_000 && log <= 10 * 60_000, "and on the history, pttl=" + log);
            assertEquals("1", j.hget("goingaway:{stream:room:ttl}:meta", "top"), "documented layout");
        }
    }

    @Test
    void aLostMetaHashStartsANewEpochAndDropsTheOldHistory() throws Exception {
        String first = store.append("room:lost", message("a"), StreamStore.Publication.NONE).epoch();
        store.append("room:lost", message("b"), StreamStore.Publication.NONE);
        try (Jedis j = redis.client()) {
            j.del("goingaway:{stream:room:lost}:meta");
        }
        StreamStore.Appended c = store.append("room:lost", message("c"), StreamStore.Publication.NONE);
        assertNotEquals(first, c.epoch(), "a new epoch");
        assertEquals(1, c.offset(), "numbering starts again");
        Range range = store.after("room:lost", 0);
        assertEquals(List.of(new Entry(1, c.frame())), range.entries(), "nothing of the old epoch is left");
        assertFalse(range.completeAfter(new Position(first, 2)), "a position of the old epoch cannot be resumed");
    }

    @Test
    void aStreamNeverWrittenStartsEmptyInANewEpochWhenRead() throws Exception {
        Range none = store.after("room:never", 0);
        assertNotNull(none.epoch(), "a reader is given a position to resume from");
        assertEquals(0, none.topOffset());
        assertTrue(none.entries().isEmpty());
        assertFalse(none.completeAfter(new Position("E", 0)), "another epoch cannot be resumed");
        assertTrue(none.completeAfter(none.top()), "its own top can: nothing was missed");
        StreamStore.Appended first = store.append("room:never", message("a"), StreamStore.Publication.NONE);
        assertEquals(new Position(none.epoch(), 1), first.position(), "the first message continues the reader's epoch");
        Range again = store.after("room:never", 0);
        assertEquals(none.epoch(), again.epoch(), "a second read does not start it again");
    }

    @Test
    void anAppendIsPublishedWithItsEpochOffsetAndFrame() throws Exception {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        CountDownLatch subscribed = new CountDownLatch(1);
        JedisPubSub listener = new JedisPubSub() {
            @Override
            public void onMessage(String channel, String message) {
                received.add(message);
            }

            @Override
            public void onSubscribe(String channel, int count) {
                subscribed.countDown();
            }
        };
        Thread t = new Thread(() -> {
            try (Jedis j = redis.client()) {
                j.subscribe(listener, "test-fanout");
            }
        });
        t.start();
        assertTrue(subscribed.await(5, TimeUnit.SECONDS), "subscribed");
        StreamStore.Appended a = store.append("room:pub", new Framing("{\"text\":\"q\\\"uote\",\"offset\":", "}"),
                new StreamStore.Publication("test-fanout", "{\"origin\":\"n1\",\"kind\":\"room\",\"room\":\"pub\"}\n"));
        String payload = received.poll(5, TimeUnit.SECONDS);
        listener.unsubscribe();
        t.join(5_000);
        assertEquals("{\"origin\":\"n1\",\"kind\":\"room\",\"room\":\"pub\"}\n" + a.epoch() + " 1 {\"text\":\"q\\\"uote\",\"offset\":1}",
                payload, "the envelope's head, a line break, then epoch, offset and the frame as it is");
    }

    @Test
    void theScriptsRunAgainAfterRedisForgetsThem() throws Exception {
        store.append("room:flush", message("a"), StreamStore.Publication.NONE);
        try (Jedis j = redis.client()) {
            j.scriptFlush();
        }
        assertEquals(2, store.append("room:flush", message("b"), StreamStore.Publication.NONE).offset(), "NOSCRIPT: sent whole, once");
        assertEquals(2, store.after("room:flush", 0).entries().size());
    }

    @Test
    void anUnreachableStoreIsAStreamException() throws Exception {
        try (RedisStreamStore nowhere = new RedisStreamStore(RedisClient.create("127.0.0.1", 1), 5, Duration.ofMinutes(1))) {
            StreamException e = assertThrows(StreamException.class,
                    () -> nowhere.append("room:x", message("a"), StreamStore.Publication.NONE));
            assertTrue(e.getMessage().startsWith("stream room:x: "), e.getMessage());
        }
    }

    @Test
    void aBatchIsAppendedInOrderInOneRoundTripAndSurvivesALostScriptCache() throws Exception {
        List<StreamStore.Append> batch = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            batch.add(new StreamStore.Append(i % 2 == 0 ? "room:batch-a" : "room:batch-b", message("m" + i),
                    StreamStore.Publication.NONE));
        }
        List<StreamStore.Appended> first = store.appendAll(batch);
        assertEquals(List.of(1L, 1L, 2L, 2L), first.stream().map(StreamStore.Appended::offset).toList(),
                "each stream numbered in the batch's order");
        try (var jedis = redis.client()) {
            jedis.scriptFlush(); // Redis restarted without its script cache, say
        }
        List<StreamStore.Appended> again = store.appendAll(batch);
        assertEquals(List.of(3L, 3L, 4L, 4L), again.stream().map(StreamStore.Appended::offset).toList(),
                "NOSCRIPT: every call made again once, none lost, none twice");
        assertEquals(4, store.after("room:batch-a", 0).entries().size());
    }

    /**
     * A replica promoted to primary has a new replication id, and may lack the last writes its
     * primary acknowledged: the first append or read there starts a new epoch, whatever the
     * replica received, so no offset of the old epoch is handed out again for another message.
     */
    @Test
    void aPromotedReplicaStartsNewEpochs() throws Exception {
        try (RedisProcess replica = RedisProcess.start(0);
                Jedis replicaAdmin = replica.client();
                RedisStreamStore onReplica = new RedisStreamStore(RedisClient.create("127.0.0.1", replica.port()), 5,
                        Duration.ofMinutes(10))) {
            try (Jedis admin = redis.client()) {
                admin.configSet("repl-diskless-sync-delay", "0"); // the first sync starts at once, not after 5 s
            }
            replicaAdmin.replicaof("127.0.0.1", redis.port());
            StreamStore.Appended before = store.append("room:promoted", message("a"), StreamStore.Publication.NONE);
            store.append("room:promoted", message("b"), StreamStore.Publication.NONE);
            dev.goingaway.testing.Await.until("the replica has both messages", Duration.ofSeconds(10),
                    () -> replicaAdmin.exists("goingaway:{stream:room:promoted}:log")
                            && replicaAdmin.xlen("goingaway:{stream:room:promoted}:log") == 2);

            replicaAdmin.replicaofNoOne(); // what a failover does to the replica it promotes

            Range read = onReplica.after("room:promoted", 0);
            assertNotEquals(before.epoch(), read.epoch(), "read on the new primary: a new epoch");
            assertEquals(0, read.topOffset());
            assertTrue(read.entries().isEmpty(), "the old epoch's history is not served as the new one's");
            StreamStore.Appended after = onReplica.append("room:promoted", message("c"), StreamStore.Publication.NONE);
            assertEquals(read.epoch(), after.epoch());
            assertEquals(1, after.offset(), "offsets start again, in the new epoch");

            StreamStore.Appended stillOld = store.append("room:other", message("x"), StreamStore.Publication.NONE);
            StreamStore.Appended same = store.append("room:other", message("y"), StreamStore.Publication.NONE);
            assertEquals(stillOld.epoch(), same.epoch(), "the primary that kept its id keeps its epochs");
        } finally {
            try (Jedis admin = redis.client()) {
                admin.del("goingaway:{stream:room:promoted}:meta", "goingaway:{stream:room:promoted}:log");
            }
        }
    }

    /**
     * A stream written by the previous version (its meta hash has no {@code gen}) keeps its epoch
     * and numbering when this version appends to it or reads it: a rolling upgrade does not cost
     * every resume its recovery. It adopts the primary's id, so a later failover still starts anew.
     */
    @Test
    void aStreamOfThePreviousVersionKeepsItsEpochAndAdoptsThePrimary() throws Exception {
        try (Jedis admin = redis.client()) {
            String meta = "goingaway:{stream:room:upgraded}:meta";
            String log = "goingaway:{stream:room:upgraded}:log";
            admin.hset(meta, java.util.Map.of("epoch", "0ld0e0c1", "top", "2"));
            admin.xadd(log, new redis.clients.jedis.StreamEntryID(1, 0), java.util.Map.of("f", "{\"offset\":1}"));
            admin.xadd(log, new redis.clients.jedis.StreamEntryID(2, 0), java.util.Map.of("f", "{\"offset\":2}"));

            Range read = store.after("room:upgraded", 1);
            assertEquals("0ld0e0c1", read.epoch(), "the read keeps the epoch");
            assertEquals(List.of(2L), read.entries().stream().map(Entry::offset).toList(), "and the history");
            StreamStore.Appended next = store.append("room:upgraded", message("after the upgrade"), StreamStore.Publication.NONE);
            assertEquals("0ld0e0c1", next.epoch());
            assertEquals(3, next.offset(), "numbering goes on");
            assertNotNull(admin.hget(meta, "gen"), "the primary's id is adopted");
        }
    }
}
