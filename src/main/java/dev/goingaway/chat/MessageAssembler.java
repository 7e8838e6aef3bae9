package dev.goingaway.chat;

/**
 * Joins the parts of one connection's fragmented text messages, holding at most
 * {@code MAX_MESSAGE_BYTES} (counted as UTF-8) at a time. Liberty applies
 * {@code setMaxTextMessageBufferSize} to each frame only: with a whole-message handler a
 * message sent as many small continuation frames was assembled without limit (30 MB in 4 KB
 * frames was accepted), so one client could exhaust the heap of the instance.
 *
 * <p>The price of receiving parts: Liberty decodes each frame of a fragmented message on its
 * own, so a valid message whose fragments split a multi-byte UTF-8 character is closed by
 * Liberty with 1007 before it reaches us. Clients that do not fragment, or fragment at
 * character boundaries (browsers, most libraries), are not affected. Not thread-safe: the
 * container delivers one connection's parts one at a time.
 */
final class MessageAssembler {

    /** A message went over the limit; thrown once per such message. */
    static final class TooBig extends Exception {
        private static final long serialVersionUID = 1L;

        TooBig(int limit) {
            super("message larger than " + limit + " bytes", null, false, false);
        }
    }

    /** How much of a refused message (in multiples of the limit) is read and dropped while waiting for its end. */
    static final int DISCARD_FACTOR = 16;

    private final int maxBytes;
    private final StringBuilder parts = new StringBuilder();
    private long bytes;
    private boolean refused;
    private boolean reported;

    MessageAssembler(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    /**
     * Adds the next part. Returns the whole message with its last part, or null while more is
     * to come. A message over the limit is not kept; {@link TooBig} is thrown when it ends, or
     * once {@value #DISCARD_FACTOR} times the limit of it has been dropped. Waiting for the end
     * matters: a close sent while the client is still sending fragments was lost (the TCP
     * connection ended without the close frame) in 10 of 200 tries; at the end, in none.
     */
    String add(String part, boolean last) throws TooBig {
        bytes += utf8Length(part);
        if (!refused && bytes > maxBytes) {
            refused = true;
            parts.setLength(0);
            parts.trimToSize();
        }
        if (refused) {
            boolean report = !reported && (last || bytes > (long) maxBytes * DISCARD_FACTOR);
            reported |= report;
            if (last) {
                reset();
            }
            if (report) {
                throw new TooBig(maxBytes);
            }
            return null;
        }
        if (last && parts.length() == 0) {
            bytes = 0;
            return part; // the usual case: one frame, no copy
        }
        parts.append(part);
        if (!last) {
            return null;
        }
        String whole = parts.toString();
        reset();
        return whole;
    }

    private void reset() {
        parts.setLength(0);
        if (parts.capacity() > 4 * 1024) {
            parts.trimToSize();
        }
        bytes = 0;
        refused = false;
        reported = false;
    }

    /** UTF-8 length; each half of a surrogate pair counts 2, so a pair split between parts still counts 4. */
    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
        }
        return n;
    }
}
