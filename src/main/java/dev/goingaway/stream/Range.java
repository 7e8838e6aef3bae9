package dev.goingaway.stream;

import java.util.List;

/**
 * What a stream holds after a position: its epoch and top now, and the entries after the
 * position that are still in its history, in offset order.
 */
public record Range(String epoch, long topOffset, List<Entry> entries) {

    public Range {
        entries = List.copyOf(entries);
    }

    /** The stream's current position; null for a stream that does not exist (never written, or expired). */
    public Position top() {
        return epoch == null ? null : new Position(epoch, topOffset);
    }

    /** The same read, with only the entries after {@code offset}. */
    public Range after(long offset) {
        return new Range(epoch, topOffset, entries.stream().filter(e -> e.offset() > offset).toList());
    }

    /**
     * Whether these entries are every message after {@code since}: same epoch, and the offsets
     * {@code since + 1 … top} all present, without a hole (the window not exceeded).
     */
    public boolean completeAfter(Position since) {
        if (since == null || !since.epoch().equals(epoch) || since.offset() > topOffset) {
            return false;
        }
        long expected = since.offset() + 1;
        for (Entry e : entries) {
            if (e.offset() != expected) {
                return false;
            }
            expected++;
        }
        return expected == topOffset + 1;
    }
}
