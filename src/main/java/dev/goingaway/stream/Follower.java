package dev.goingaway.stream;

/**
 * One instance's place in one stream, as the stream's messages reach it from the other
 * instances: it delivers each offset once and in order, and says when it cannot. A message that
 * continues the stream is delivered; one already delivered is dropped; one after a gap (a lost
 * subscription, a Redis blip) means the gap is read from the history first; one of another epoch
 * means the numbering restarted and the stream's members must resume (they cannot be given a
 * lower offset than one they already have).
 */
public final class Follower {

    /** What to do with a message that arrived. */
    public enum Verdict {
        /** The next offset: deliver it. */
        DELIVER,
        /** An offset already delivered: drop it. */
        DUPLICATE,
        /** Offsets are missing before it: read them from the history, then deliver it. */
        GAP,
        /** Another epoch: the numbering restarted; the stream's members must resume. */
        NEW_EPOCH
    }

    private String epoch;
    private long last;

    /** Following from {@code start} (the stream's top when this instance began to follow), or from nothing. */
    public Follower(Position start) {
        if (start != null) {
            epoch = start.epoch();
            last = start.offset();
        }
    }

    /** Judges a message; {@link Verdict#DELIVER} moves the position past it. */
    public synchronized Verdict offer(String messageEpoch, long offset) {
        if (epoch == null) {
            epoch = messageEpoch; // the first message this instance sees of the stream
            last = offset - 1;
        }
        if (!epoch.equals(messageEpoch)) {
            return Verdict.NEW_EPOCH;
        }
        if (offset <= last) {
            return Verdict.DUPLICATE;
        }
        if (offset > last + 1) {
            return Verdict.GAP;
        }
        last = offset;
        return Verdict.DELIVER;
    }

    /** Starts again at {@code position} (after a new epoch, or when a gap cannot be repaired). */
    public synchronized void restartAt(Position position) {
        epoch = position.epoch();
        last = position.offset();
    }

    /** The last offset delivered, in its epoch; null before the first message. */
    public synchronized Position position() {
        return epoch == null ? null : new Position(epoch, last);
    }
}
