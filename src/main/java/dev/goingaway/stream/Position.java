package dev.goingaway.stream;

import java.util.Objects;

/**
 * A place in a stream: the offset of a message within an epoch (DESIGN.md, "Positions and
 * recovery"). Offsets count 1, 2, 3, … within an epoch; offset 0 is "before the first message".
 * The wire form is {@code EPOCH:OFFSET}, as in {@code since=E:N}.
 */
public record Position(String epoch, long offset) {

    /** Longest epoch accepted from a client; the service's own are 8 characters. */
    static final int MAX_EPOCH_CHARS = 32;

    public Position {
        Objects.requireNonNull(epoch, "epoch");
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative: " + offset);
        }
    }

    /**
     * Reads {@code EPOCH:OFFSET} as a client sends it; null for anything else (an epoch of 1-32
     * letters, digits, {@code -} or {@code _}, and a decimal offset).
     */
    public static Position parse(String text) {
        if (text == null) {
            return null;
        }
        int colon = text.lastIndexOf(':');
        if (colon < 1 || colon > MAX_EPOCH_CHARS || colon == text.length() - 1 || text.length() - colon > 19) {
            return null;
        }
        for (int i = 0; i < colon; i++) {
            char c = text.charAt(i);
            if (!(Character.isLetterOrDigit(c) && c < 128) && c != '-' && c != '_') {
                return null;
            }
        }
        long offset = 0;
        for (int i = colon + 1; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            offset = offset * 10 + (c - '0');
        }
        return new Position(text.substring(0, colon), offset);
    }

    @Override
    public String toString() {
        return epoch + ":" + offset;
    }
}
