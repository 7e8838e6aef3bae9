package dev.goingaway.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The join of a stream's history with the live messages buffered while it was read. */
class CatchupTest {

    private static Entry e(long offset) {
        return new Entry(offset, "m" + offset);
    }

    private static Catchup.Live live(String epoch, long offset) {
        return new Catchup.Live(epoch, e(offset));
    }

    private static List<Long> offsets(Catchup.Result r) {
        return r.frames().stream().map(Entry::offset).toList();
    }

    @Test
    void missedMessagesThenTheLiveOnesWithoutDuplicates() {
        // The client saw 3; 4-6 are in the history; 5-8 arrived live while it was read.
        Range history = new Range("E", 6, List.of(e(4), e(5), e(6)));
        Catchup.Result r = Catchup.of(new Position("E", 3), history, List.of(live("E", 5), live("E", 6), live("E", 7), live("E", 8)));
        assertEquals(Boolean.TRUE, r.recovered());
        assertEquals(List.of(4L, 5L, 6L, 7L, 8L), offsets(r), "in order, each once");
        assertEquals(new Position("E", 8), r.position());
        assertTrue(r.consistent());
    }

    @Test
    void nothingMissedIsRecoveredWithNothingToSend() {
        Catchup.Result r = Catchup.of(new Position("E", 6), new Range("E", 6, List.of()), List.of());
        assertEquals(Boolean.TRUE, r.recovered());
        assertTrue(r.frames().isEmpty());
        assertEquals(new Position("E", 6), r.position());
    }

    @Test
    void beyondTheWindowIsNotRecoveredAndNothingIsReplayed() {
        // The client saw 1; the window starts at 4.
        Range history = new Range("E", 6, List.of(e(4), e(5), e(6)));
        Catchup.Result r = Catchup.of(new Position("E", 1), history, List.of(live("E", 7)));
        assertEquals(Boolean.FALSE, r.recovered());
        assertEquals(List.of(7L), offsets(r), "only what is live from the top on");
        assertEquals(new Position("E", 7), r.position());
    }

    @Test
    void anotherEpochIsNotRecovered() {
        Catchup.Result r = Catchup.of(new Position("OLD", 9), new Range("NEW", 2, List.of(e(1), e(2))), List.of());
        assertEquals(Boolean.FALSE, r.recovered());
        assertTrue(r.frames().isEmpty());
        assertEquals(new Position("NEW", 2), r.position(), "the client starts again from the top");
    }

    @Test
    void withoutAPositionNothingIsReplayedAndRecoveredIsAbsent() {
        Catchup.Result r = Catchup.of(null, new Range("E", 6, List.of(e(4), e(5), e(6))), List.of(live("E", 6), live("E", 7)));
        assertNull(r.recovered());
        assertEquals(List.of(7L), offsets(r));
        assertEquals(new Position("E", 7), r.position());
    }

    @Test
    void aGapBetweenHistoryAndLiveMeansReadAgain() {
        Catchup.Result r = Catchup.of(new Position("E", 3), new Range("E", 5, List.of(e(4), e(5))), List.of(live("E", 7)));
        assertFalse(r.consistent(), "6 was neither read nor buffered");
        assertEquals(List.of(4L, 5L), offsets(r));
        assertEquals(new Position("E", 5), r.position());
    }

    @Test
    void aNewEpochArrivingLiveMeansReadAgain() {
        Catchup.Result r = Catchup.of(new Position("E", 3), new Range("E", 4, List.of(e(4))), List.of(live("F", 1)));
        assertFalse(r.consistent());
    }

    @Test
    void aStreamBornWhileItWasReadTakesItsFirstEpoch() {
        Catchup.Result r = Catchup.of(null, new Range(null, 0, List.of()), List.of(live("E", 1), live("E", 2)));
        assertTrue(r.consistent());
        assertEquals(List.of(1L, 2L), offsets(r));
        assertEquals(new Position("E", 2), r.position());
    }

    @Test
    void positionsParseAsClientsSendThem() {
        assertEquals(new Position("a1b2c3d4", 42), Position.parse("a1b2c3d4:42"));
        assertEquals("a1b2c3d4:42", new Position("a1b2c3d4", 42).toString());
        for (String bad : new String[] {null, "", ":1", "E:", "E:-1", "E:1x", "E 1:2", "é:1", "E:99999999999999999999",
                "x".repeat(33) + ":1"}) {
            assertNull(Position.parse(bad), "refused: " + bad);
        }
    }
}
