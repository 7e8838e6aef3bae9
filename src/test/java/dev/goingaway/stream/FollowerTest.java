package dev.goingaway.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.goingaway.stream.Follower.Verdict;

/** An instance delivers each offset of a stream once, in order, and knows when it cannot. */
class FollowerTest {

    @Test
    void inOrderMessagesAreDeliveredAndRepeatsDropped() {
        Follower f = new Follower(new Position("E", 3));
        assertEquals(Verdict.DELIVER, f.offer("E", 4));
        assertEquals(Verdict.DELIVER, f.offer("E", 5));
        assertEquals(Verdict.DUPLICATE, f.offer("E", 5), "the same offset twice");
        assertEquals(Verdict.DUPLICATE, f.offer("E", 2), "an offset from before");
        assertEquals(new Position("E", 5), f.position());
    }

    @Test
    void aGapIsReportedAndTheRepairFillsIt() {
        Follower f = new Follower(new Position("E", 3));
        assertEquals(Verdict.GAP, f.offer("E", 7), "4-6 were lost on the way");
        assertEquals(new Position("E", 3), f.position(), "nothing delivered past the gap");
        // The repair: the history after 3 goes through the same door, then the message that showed the gap.
        for (long o : List.of(4L, 5L, 6L, 7L)) {
            assertEquals(Verdict.DELIVER, f.offer("E", o));
        }
        assertEquals(new Position("E", 7), f.position());
    }

    @Test
    void anotherEpochIsReportedUntilTheFollowerRestarts() {
        Follower f = new Follower(new Position("E", 9));
        assertEquals(Verdict.NEW_EPOCH, f.offer("F", 1));
        assertEquals(Verdict.NEW_EPOCH, f.offer("F", 2), "still, until restarted");
        f.restartAt(new Position("F", 2));
        assertEquals(Verdict.DELIVER, f.offer("F", 3));
    }

    @Test
    void withoutAStartTheFirstMessageSetsThePlace() {
        Follower f = new Follower(null);
        assertNull(f.position());
        assertEquals(Verdict.DELIVER, f.offer("E", 12));
        assertEquals(Verdict.GAP, f.offer("E", 14));
        assertEquals(new Position("E", 12), f.position());
    }
}
