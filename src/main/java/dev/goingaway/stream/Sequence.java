package dev.goingaway.stream;

import java.util.Map;
import java.util.TreeMap;

/**
 * One stream as this instance delivers it to its own members: every offset once, in order, with
 * no gap it does not announce. Messages reach an instance by two ways that can overtake each
 * other (the answer to its own append, and the other instances' messages on the cluster
 * channel), and the channel can lose some (a dropped subscription, a Redis blip). An offset that
 * arrives after a hole is held until the hole is filled, by the channel or by a read of the
 * stream's history ({@link #repaired}); only what cannot be repaired (the history no longer has
 * it, the stream began a new epoch, the store cannot be read) is skipped, and then the members
 * are told first ({@link Sink#reset}).
 *
 * <p>The sink is called with this sequence's lock held, so members see its calls in order.
 */
public final class Sequence {

    /** Returned by {@link #offer} for a message held behind a hole: schedule a repair. */
    public static final int HELD = -1;
    /** Returned by {@link #offer} for an offset delivered already. */
    public static final int DUPLICATE = -2;

    /** Where the stream's messages go on this instance. */
    public interface Sink {
        /** The next message of the stream; returns how many members it was handed to. */
        int deliver(String epoch, Entry entry);

        /**
         * The stream continues after {@code position}: the messages between the last one delivered
         * and it cannot be given (or the numbering restarted). Called before the message after it.
         */
        void reset(Position position);
    }

    private final String name;
    private final Sink sink;
    private final TreeMap<Long, Entry> held = new TreeMap<>();
    private String epoch;
    private long last;
    /** When the oldest hole opened ({@link System#nanoTime()}); meaningful while something is held. */
    private long holeSince;

    public Sequence(String name, Sink sink) {
        this.name = name;
        this.sink = sink;
    }

    public String name() {
        return name;
    }

    /**
     * A message of the stream: delivered if it is the next offset (with whatever it unblocks),
     * dropped if delivered already, held if offsets before it are missing. Returns how many
     * members it reached, or {@link #HELD} or {@link #DUPLICATE}.
     */
    public synchronized int offer(String messageEpoch, Entry entry, long nowNanos) {
        if (epoch == null) {
            epoch = messageEpoch; // the first message this instance sees of the stream
            last = entry.offset() - 1;
        } else if (!epoch.equals(messageEpoch)) {
            // The numbering restarted (history lost, or a local epoch began or ended): nothing of
            // the old epoch can follow this, and what is held of it never will be delivered.
            held.clear();
            epoch = messageEpoch;
            last = entry.offset() - 1;
            sink.reset(new Position(epoch, last));
        }
        long offset = entry.offset();
        if (offset <= last) {
            return DUPLICATE;
        }
        if (offset > last + 1) {
            if (held.isEmpty()) {
                holeSince = nowNanos;
            }
            held.put(offset, entry);
            return HELD;
        }
        int n = deliver(entry);
        release(nowNanos);
        return n;
    }

    /** Starts at {@code position} if nothing has been seen of the stream yet (a member joined). */
    public synchronized void startAt(Position position) {
        if (epoch == null && position != null) {
            epoch = position.epoch();
            last = position.offset();
        }
    }

    /** The last offset delivered, in its epoch; null before anything is known of the stream. */
    public synchronized Position position() {
        return epoch == null ? null : new Position(epoch, last);
    }

    /** Whether a message has been held behind a hole since before {@code nanos}. */
    public synchronized boolean holeOlderThan(long nanos) {
        return !held.isEmpty() && holeSince - nanos <= 0;
    }

    public synchronized boolean holding() {
        return !held.isEmpty();
    }

    /**
     * The stream's history after {@link #position()} (read after a hole was seen, or after the
     * channel was lost): delivers what was missing, then what was held. What the history no
     * longer has, or a history of another epoch, is announced through {@link Sink#reset}. Returns
     * how many messages were delivered from the history.
     */
    public synchronized int repaired(Range history, long nowNanos) {
        if (history.epoch() == null) {
            return 0;
        }
        if (epoch == null) {
            epoch = history.epoch();
            last = history.topOffset();
            return 0;
        }
        int fromHistory = 0;
        if (!epoch.equals(history.epoch())) {
            held.clear();
            epoch = history.epoch();
            last = history.topOffset();
            sink.reset(new Position(epoch, last));
        } else {
            for (Entry e : history.entries()) {
                if (e.offset() <= last) {
                    continue;
                }
                if (e.offset() > last + 1) {
                    last = e.offset() - 1; // trimmed from the history before it was read
                    sink.reset(new Position(epoch, last));
                }
                if (!held.containsKey(e.offset())) {
                    fromHistory++;
                }
                deliver(e);
            }
            if (history.topOffset() > last) {
                last = history.topOffset(); // the history had none of it left
                sink.reset(new Position(epoch, last));
            }
        }
        release(nowNanos);
        return fromHistory;
    }

    /**
     * The history could not be read: skip the hole, tell the members, deliver what was held.
     * Returns whether anything was skipped.
     */
    public synchronized boolean skipHole(long nowNanos) {
        if (held.isEmpty()) {
            return false;
        }
        last = held.firstKey() - 1;
        sink.reset(new Position(epoch, last));
        release(nowNanos);
        return true;
    }

    private int deliver(Entry entry) {
        last = entry.offset();
        held.remove(entry.offset());
        return sink.deliver(epoch, entry);
    }

    /** Delivers the held messages that now follow on; a hole left behind counts from now. */
    private void release(long nowNanos) {
        held.headMap(last, true).clear();
        Map.Entry<Long, Entry> next;
        while ((next = held.firstEntry()) != null && next.getKey() == last + 1) {
            deliver(next.getValue());
        }
        if (!held.isEmpty()) {
            holeSince = nowNanos;
        }
    }
}
