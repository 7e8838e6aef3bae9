package dev.goingaway.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class TallyTest {

    @Test
    void countsAndRemembersRecentIds() {
        Tally t = Tally.known("s", 10, List.of("s:old"));
        assertTrue(t.seen("s:old"), "ids from the store are remembered");
        assertEquals(11, t.count("s:a"), "counts on top of the stored total");
        assertTrue(t.seen("s:a"), "new id remembered");
        assertFalse(t.seen(null), "no id is never a duplicate");
        assertEquals(new SessionRecord("s", 11, List.of("s:old", "s:a")), t.snapshot(), "what is written back");
    }

    @Test
    void knowsWhetherTheStoreHasEverythingItCounted() {
        java.time.Duration minute = java.time.Duration.ofMinutes(1);
        Tally t = Tally.known("s", 3, List.of());
        assertTrue(t.unsaved(minute), "never written: due");
        Tally.Write first = t.write();
        t.count("s:a"); // counted while the first write was on its way
        t.saved(first);
        assertTrue(t.unsaved(minute), "the store lacks the message counted after the snapshot");
        t.saved(t.write());
        assertFalse(t.unsaved(minute), "written and unchanged: nothing to do");
        assertTrue(t.unsaved(java.time.Duration.ZERO), "a write older than the freshness bound is due again (expiry)");
        t.saved(first);
        assertFalse(t.unsaved(minute), "a late confirmation of an older write does not undo a newer one");
        Tally unknown = Tally.unknownBase("u");
        unknown.saved(unknown.write());
        assertTrue(unknown.unsaved(minute), "a tally whose base is unknown is always due");
    }

    @Test
    void forgetsTheOldestIdPastTheWindow() {
        Tally t = Tally.known("s", 0, List.of());
        for (int i = 0; i <= Tally.RECENT_IDS; i++) {
            t.count("n:" + i);
        }
        assertFalse(t.seen("n:0"), "oldest id dropped");
        assertTrue(t.seen("n:" + Tally.RECENT_IDS), "newest kept");
        assertEquals(Tally.RECENT_IDS, t.snapshot().recentIds().size(), "window size");
    }

    @Test
    void aSessionResumedWhileTheStoreWasDownIsReconciledWithTheStoredTotal() {
        Tally t = Tally.unknownBase("s");
        t.count("s:x");
        t.count("s:y");
        assertEquals(2, t.total(), "counts from zero while the store is unknown");
        assertFalse(t.baseKnown(), "base unknown");
        t.reconcile(new SessionRecord("s", 40, List.of("s:w")));
        assertEquals(42, t.total(), "stored total added, nothing overwritten");
        assertTrue(t.seen("s:w") && t.seen("s:x"), "ids from both sides kept");
        t.reconcile(new SessionRecord("s", 1000, List.of()));
        assertEquals(42, t.total(), "reconciled once only");
    }

    @Test
    void aMessageReSentWhileTheStoreWasDownIsNotCountedTwice() {
        Tally t = Tally.unknownBase("s");
        t.count("s:b"); // already counted before the outage, re-sent because its ack was lost
        t.count("s:c");
        t.reconcile(new SessionRecord("s", 2, List.of("s:a", "s:b")));
        assertEquals(3, t.total(), "a and b from the store, c new; b not twice");
        assertEquals(List.of("s:a", "s:b", "s:c"), t.snapshot().recentIds(), "each id once");
    }
}
