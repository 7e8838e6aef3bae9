package dev.goingaway.stream;

import java.util.ArrayList;
import java.util.List;

/**
 * Numbered streams with a bounded history: one per room, one for broadcasts. Appending assigns
 * the next offset, keeps the frame in the stream's history and hands it to the other instances,
 * as one step; a stream whose numbering was lost (its keys expired or were removed) starts again
 * in a new epoch. Implemented on Redis ({@link RedisStreamStore}) and in memory for a single
 * instance ({@link MemoryStreamStore}).
 */
public interface StreamStore extends AutoCloseable {

    /**
     * Appends a message to {@code stream}: the next offset, the frame with it in the history
     * (at least the last {@code historySize} kept), and the same frame published to
     * {@code channel} as {@code head + epoch + " " + offset + " " + frame} when a channel is
     * given (the frame as it is, not escaped into JSON: cheaper for Redis and for the receivers).
     *
     * @throws StreamException when the store cannot be reached (nothing was appended, or it is
     *                         not known whether it was)
     */
    Appended append(String stream, Framing frame, Publication publication) throws StreamException;

    /**
     * The stream's epoch and top, and the entries after {@code afterOffset} still in its history.
     * A stream that does not exist (never written, or expired) is started, empty, in a new epoch.
     */
    Range after(String stream, long afterOffset) throws StreamException;

    /** One append of a batch ({@link #appendAll}). */
    record Append(String stream, Framing frame, Publication publication) {
    }

    /**
     * The appends of a batch, in order, as if {@link #append} were called for each; an
     * implementation may send them in one round trip. All or nothing as far as the caller can
     * tell: on a {@link StreamException} none of them is known to have been appended.
     */
    default List<Appended> appendAll(List<Append> batch) throws StreamException {
        List<Appended> out = new ArrayList<>(batch.size());
        for (Append a : batch) {
            out.add(append(a.stream(), a.frame(), a.publication()));
        }
        return out;
    }

    /**
     * Drops idle connections before a store that failed is tried again: a pooled connection to
     * a Redis that has restarted would fail the first calls after it is back.
     */
    default void reconnect() {
    }

    @Override
    void close();

    /** Where an appended frame is announced to the other instances; {@link #NONE} for nowhere. */
    record Publication(String channel, String head) {
        public static final Publication NONE = new Publication(null, null);
    }

    /**
     * The appended message: its stream's epoch, its offset, its frame with the offset in it, and
     * how many subscribers the publication reached (-1 when nothing was published).
     */
    record Appended(String epoch, long offset, String frame, long receivers) {
        public Appended(String epoch, long offset, String frame) {
            this(epoch, offset, frame, -1);
        }

        public Entry entry() {
            return new Entry(offset, frame);
        }

        public Position position() {
            return new Position(epoch, offset);
        }
    }
}
