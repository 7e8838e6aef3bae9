package dev.goingaway.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.goingaway.store.Tally;

class ConnectionRegistryTest {

    @Test
    void twoConnectionsOfOneSessionShareItsTallyUntilBothAreGone() {
        ConnectionRegistry registry = new ConnectionRegistry();
        AtomicInteger loads = new AtomicInteger();
        Tally first = registry.acquireTally("s1", id -> {
            loads.incrementAndGet();
            return Tally.known(id, 5, List.of());
        });
        Tally second = registry.acquireTally("s1", id -> {
            loads.incrementAndGet();
            return Tally.known(id, 0, List.of());
        });
        assertSame(first, second, "one tally per session");
        assertEquals(1, loads.get(), "loaded from the store once");
        registry.release("s1");
        assertSame(first, registry.acquireTally("s1", id -> Tally.known(id, 0, List.of())), "still held by one connection");
        registry.release("s1");
        registry.release("s1");
        Tally fresh = registry.acquireTally("s1", id -> Tally.known(id, 9, List.of()));
        assertEquals(9, fresh.total(), "after the last release the next connection loads again");
    }

    @Test
    void removingAnUnknownConnectionIsHarmless() {
        ConnectionRegistry registry = new ConnectionRegistry();
        assertEquals(null, registry.remove("nope"), "close and error may both remove");
        assertEquals(0, registry.size(), "nothing registered");
        assertEquals(0, registry.inRoom("lobby").size(), "empty room view");
    }
}
