package dev.goingaway.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.goingaway.testing.RedisProcess;

import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;

/** The shared store with a real Redis that goes away and comes back; this instance's own numbering meanwhile. */
class FallbackStreamStoreTest {

    private static final Framing FRAME = new Framing("{\"offset\":", "}");

    private RedisProcess redis;
    private final AtomicLong now = new AtomicLong();
    private FallbackStreamStore store;

    @BeforeEach
    void start() throws Exception {
        redis = RedisProcess.start(0);
        RedisStreamStore shared = new RedisStreamStore(RedisClient.builder()
                .hostAndPort("127.0.0.1", redis.port())
                .clientConfig(DefaultJedisClientConfig.builder()
                        .connectionTimeoutMillis(300).socketTimeoutMillis(300).build())
                .build(), 10, Duration.ofMinutes(5));
        store = new FallbackStreamStore(shared, 10, Duration.ofMinutes(5), Duration.ofSeconds(1), now::get);
    }

    @AfterEach
    void stop() throws Exception {
        store.close();
        redis.close();
    }

    @Test
    void whileRedisIsDownTheInstanceNumbersInALocalEpochAndContinuesInTheSharedOneAfter() throws Exception {
        StreamStore.Appended shared = store.append("room:r", FRAME, StreamStore.Publication.NONE);
        assertFalse(FallbackStreamStore.isLocal(shared.epoch()));
        assertTrue(store.status().up());

        redis.stop();
        StreamStore.Appended local = store.append("room:r", FRAME, StreamStore.Publication.NONE);
        assertTrue(FallbackStreamStore.isLocal(local.epoch()), "an epoch of its own: " + local.epoch());
        assertEquals(1, local.offset());
        assertFalse(store.status().up(), "reported down");
        assertTrue(store.status().lastError() != null);
        assertEquals(local.epoch(), store.append("room:r", FRAME, StreamStore.Publication.NONE).epoch(),
                "the local epoch lasts as long as the outage");

        redis.startProcess();
        assertTrue(FallbackStreamStore.isLocal(store.append("room:r", FRAME, StreamStore.Publication.NONE).epoch()),
                "no retry before the retry interval: still local");
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        StreamStore.Appended back = store.append("room:r", FRAME, StreamStore.Publication.NONE);
        assertFalse(FallbackStreamStore.isLocal(back.epoch()), "the shared store numbers again");
        assertNotEquals(shared.epoch(), back.epoch(),
                "Redis came back empty (no persistence here): a new epoch, so offset 1 is never given twice in one");
        assertEquals(1, back.offset());
        assertTrue(store.status().up());
    }

    @Test
    void aLocalPositionIsReadFromMemoryAndASharedOneIsNotRepairedFromAnotherNumbering() throws Exception {
        redis.stop();
        StreamStore.Appended a = store.append("room:m", FRAME, StreamStore.Publication.NONE);
        StreamStore.Appended b = store.append("room:m", FRAME, StreamStore.Publication.NONE);
        Range range = store.after("room:m", new Position(a.epoch(), 0));
        assertEquals(List.of(a.entry(), b.entry()), range.entries(), "this instance can resume its own local epoch");
        assertTrue(range.completeAfter(new Position(a.epoch(), 0)));
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertNull(store.sharedAfter("room:m", new Position("abcdef01", 3)), "a hole in a shared epoch cannot be filled while Redis is down");
        Range elsewhere = store.after("room:m", new Position("abcdef01", 3));
        assertNotEquals("abcdef01", elsewhere.epoch(), "a resume in the shared epoch meets another epoch: recovered:false");
    }

    @Test
    void withoutASharedStoreEveryEpochIsLocal() {
        try (FallbackStreamStore memory = new FallbackStreamStore(null, 5, Duration.ofMinutes(1), Duration.ofSeconds(1))) {
            StreamStore.Appended a = memory.append("broadcast", FRAME, StreamStore.Publication.NONE);
            assertTrue(FallbackStreamStore.isLocal(a.epoch()));
            assertTrue(memory.status().up(), "memory is never down");
            assertFalse(memory.status().shared());
        }
    }
}
