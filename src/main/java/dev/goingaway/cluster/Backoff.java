package dev.goingaway.cluster;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Delays between reconnect attempts: exponential from {@code first} up to {@code max}, each drawn
 * at random from the upper half of its step ("equal jitter"), so instances that lost Redis
 * together do not all come back in the same millisecond, and none waits longer than {@code max}.
 */
final class Backoff {

    private final long firstMillis;
    private final long maxMillis;
    private int attempt;

    Backoff(long firstMillis, long maxMillis) {
        if (firstMillis <= 0 || maxMillis < firstMillis) {
            throw new IllegalArgumentException("need 0 < first <= max, got " + firstMillis + ", " + maxMillis);
        }
        this.firstMillis = firstMillis;
        this.maxMillis = maxMillis;
    }

    /** The delay before the next attempt. */
    synchronized long nextMillis() {
        long step = firstMillis << Math.min(attempt, 20);
        if (step <= 0 || step > maxMillis) {
            step = maxMillis;
        } else {
            attempt++;
        }
        long half = step / 2;
        return half + ThreadLocalRandom.current().nextLong(step - half + 1);
    }

    /** After a success: the next failure starts again from {@code first}. */
    synchronized void reset() {
        attempt = 0;
    }
}
