package dev.goingaway.chat;

/**
 * A token bucket per session: {@code rate} messages a second with bursts of twice that.
 * Refusals in a row are counted so a client that keeps hammering can be disconnected.
 */
final class RateLimiter {

    private final double perNano;
    private final double capacity;
    private double tokens;
    private long last;
    private int refusedInARow;
    private boolean tripped;

    RateLimiter(int ratePerSecond, long nowNanos) {
        this.perNano = ratePerSecond / 1e9;
        this.capacity = Math.max(1, ratePerSecond * 2.0);
        this.tokens = capacity;
        this.last = nowNanos;
    }

    /** Takes a token if there is one. */
    synchronized boolean tryAcquire(long nowNanos) {
        tokens = Math.min(capacity, tokens + (nowNanos - last) * perNano);
        last = nowNanos;
        if (tokens >= 1) {
            tokens -= 1;
            refusedInARow = 0;
            return true;
        }
        refusedInARow++;
        return false;
    }

    /** Refusals since the last accepted message. */
    synchronized int refusedInARow() {
        return refusedInARow;
    }

    /**
     * True exactly once per session: the first time the refusals in a row reach
     * {@link #disconnectAfter()}. A flooder's frames keep arriving (and a token may refill in
     * between) until the close lands; they must not decide the disconnect again.
     */
    synchronized boolean shouldDisconnect() {
        if (!tripped && refusedInARow >= disconnectAfter()) {
            tripped = true;
            return true;
        }
        return false;
    }

    /** How many refusals in a row end the connection: one more full burst. */
    int disconnectAfter() {
        return (int) capacity;
    }
}
