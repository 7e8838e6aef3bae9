package dev.goingaway.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class InMemorySessionStoreTest {

    @Test
    void keepsRecordsUntilTheyExpire() {
        InMemorySessionStore store = new InMemorySessionStore();
        store.saveAll(List.of(new SessionRecord("a", 2, List.of("s:x"))), Duration.ofHours(1));
        store.saveAll(List.of(new SessionRecord("gone", 1, List.of())), Duration.ZERO);
        assertEquals(Optional.of(new SessionRecord("a", 2, List.of("s:x"))), store.load("a"), "kept");
        assertEquals(Optional.empty(), store.load("gone"), "expired with a zero TTL");
        store.saveShutdownReport("i", "{}", Duration.ofHours(1));
        assertEquals(Optional.of("{}"), store.shutdownReport("i"), "report kept");
    }
}
