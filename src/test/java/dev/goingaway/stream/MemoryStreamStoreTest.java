package dev.goingaway.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** The single-instance store keeps the same numbering, window and expiry as the Redis one. */
class MemoryStreamStoreTest {

    private final AtomicLong now = new AtomicLong();
    private final MemoryStreamStore store = new MemoryStreamStore(3, Duration.ofSeconds(60), now::get, "");

    private StreamStore.Appended append(String stream, String text) {
        return store.append(stream, new Framing("{\"text\":\"" + text + "\",\"offset\":", "}"), StreamStore.Publication.NONE);
    }

    @Test
    void numbersKeepsTheWindowAndTheFrames() {
        for (int i = 1; i <= 5; i++) {
            append("room:a", "m" + i);
        }
        Range range = store.after("room:a", 0);
        assertEquals(5, range.top().offset());
        assertEquals(List.of(3L, 4L, 5L), range.entries().stream().map(Entry::offset).toList(), "HISTORY_SIZE 3");
        assertEquals("{\"text\":\"m5\",\"offset\":5}", range.entries().get(2).frame());
        assertTrue(range.completeAfter(new Position(range.epoch(), 2)));
        assertFalse(range.completeAfter(new Position(range.epoch(), 1)));
        assertEquals(List.of(5L), store.after("room:a", 4).entries().stream().map(Entry::offset).toList());
    }

    @Test
    void streamsAreSeparate() {
        append("room:a", "x");
        append("room:b", "y");
        assertEquals(1, store.after("room:a", 0).top().offset());
        assertEquals(1, store.after("room:b", 0).top().offset());
        Range fresh = store.after("room:c", 0);
        assertEquals(0, fresh.topOffset(), "never written: read, it starts empty");
        assertEquals(fresh.epoch(), append("room:c", "z").epoch(), "and the first message continues that epoch");
    }

    @Test
    void aQuietStreamExpiresAndComesBackInANewEpoch() {
        String first = append("room:q", "a").epoch();
        now.addAndGet(Duration.ofSeconds(59).toNanos());
        assertEquals(first, append("room:q", "b").epoch(), "written within the TTL: same epoch");
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        StreamStore.Appended again = append("room:q", "c");
        assertNotEquals(first, again.epoch(), "a new epoch");
        assertEquals(1, again.offset());
    }
}
