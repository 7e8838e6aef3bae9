package dev.goingaway.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** One stream as an instance delivers it: every offset once, in order, and no jump it does not announce. */
class SequenceTest {

    /** What the members were given, as "E:N" for a message and "reset E:N" for a reset. */
    private final List<String> given = new ArrayList<>();
    private final Sequence seq = new Sequence("room:r", new Sequence.Sink() {
        @Override
        public int deliver(String epoch, Entry entry) {
            given.add(epoch + ":" + entry.offset());
            return 1;
        }

        @Override
        public void reset(Position position) {
            given.add("reset " + position);
        }
    });

    private static Entry e(long offset) {
        return new Entry(offset, "f" + offset);
    }

    @Test
    void deliversInOrderAndDropsRepeats() {
        assertEquals(1, seq.offer("E", e(1), 0));
        assertEquals(1, seq.offer("E", e(2), 0));
        assertEquals(Sequence.DUPLICATE, seq.offer("E", e(2), 0), "the channel's copy of an own message");
        assertEquals(Sequence.DUPLICATE, seq.offer("E", e(1), 0));
        assertEquals(List.of("E:1", "E:2"), given);
        assertEquals(new Position("E", 2), seq.position());
    }

    @Test
    void anOffsetThatOvertookItsPredecessorWaitsForIt() {
        seq.offer("E", e(1), 0);
        assertEquals(Sequence.HELD, seq.offer("E", e(3), 10), "the own append's answer came before the channel's 2");
        assertTrue(seq.holding());
        assertFalse(seq.holeOlderThan(9), "the hole opened at 10");
        assertTrue(seq.holeOlderThan(10));
        seq.offer("E", e(2), 20);
        assertEquals(List.of("E:1", "E:2", "E:3"), given, "2 then the held 3");
        assertFalse(seq.holding());
    }

    @Test
    void aHoleIsFilledFromTheHistory() {
        seq.offer("E", e(1), 0);
        seq.offer("E", e(4), 0);
        seq.offer("E", e(5), 0);
        int n = seq.repaired(new Range("E", 5, List.of(e(2), e(3), e(4), e(5))), 1);
        assertEquals(2, n, "2 and 3 came from the history; 4 and 5 were held");
        assertEquals(List.of("E:1", "E:2", "E:3", "E:4", "E:5"), given);
        assertEquals(Sequence.DUPLICATE, seq.offer("E", e(3), 2), "the channel's late copy");
    }

    @Test
    void whatTheHistoryNoLongerHasIsAnnouncedNotSkippedSilently() {
        seq.offer("E", e(1), 0);
        seq.offer("E", e(9), 0);
        seq.repaired(new Range("E", 9, List.of(e(6), e(7), e(8), e(9))), 1);
        assertEquals(List.of("E:1", "reset E:5", "E:6", "E:7", "E:8", "E:9"), given);
    }

    @Test
    void aHoleThatCannotBeReadIsSkippedWithAReset() {
        seq.offer("E", e(1), 0);
        seq.offer("E", e(4), 0);
        assertTrue(seq.skipHole(1));
        assertEquals(List.of("E:1", "reset E:3", "E:4"), given);
        assertFalse(seq.skipHole(2), "nothing held: nothing to skip");
    }

    @Test
    void aNewEpochIsAnnouncedBeforeItsFirstMessageAndDropsTheOldHeldOnes() {
        seq.offer("E", e(1), 0);
        seq.offer("E", e(3), 0);
        seq.offer("L1", e(1), 0);
        assertEquals(List.of("E:1", "reset L1:0", "L1:1"), given);
        assertFalse(seq.holding(), "the old epoch's 3 can never follow on");
    }

    @Test
    void aRepairAfterALostChannelDeliversWhatWasPublishedMeanwhile() {
        seq.offer("E", e(1), 0);
        seq.repaired(new Range("E", 3, List.of(e(2), e(3))), 1);
        assertEquals(List.of("E:1", "E:2", "E:3"), given);
        seq.repaired(new Range("F", 2, List.of(e(1), e(2))), 2);
        assertEquals("reset F:2", given.get(3), "the stream was lost and restarted: members are told where it stands");
    }

    @Test
    void aStartFromAReadIsKeptOnlyIfNothingArrivedFirst() {
        seq.startAt(new Position("E", 7));
        seq.offer("E", e(8), 0);
        seq.startAt(new Position("E", 2));
        assertEquals(new Position("E", 8), seq.position());
        assertEquals(List.of("E:8"), given);
    }
}
