package dev.goingaway;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A count of things under way (messages being processed, HTTP requests being answered) and a
 * bounded wait until none is. Leaving takes no lock until somebody has started waiting, so the
 * count costs the hot path one atomic add each way.
 */
public final class InFlight {

    private final AtomicInteger count = new AtomicInteger();
    private final Object idle = new Object();
    private volatile boolean awaited;

    public void enter() {
        count.incrementAndGet();
    }

    public void exit() {
        if (count.decrementAndGet() == 0 && awaited) {
            synchronized (idle) {
                idle.notifyAll();
            }
        }
    }

    public int count() {
        return count.get();
    }

    /** Waits until none is under way, or the deadline (a {@link System#nanoTime()}); returns how many still are. */
    public int awaitNone(long deadlineNanos) throws InterruptedException {
        synchronized (idle) {
            awaited = true; // before the count is read: an exit that reaches zero after this wakes us
            while (count.get() > 0) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(idle, left);
            }
        }
        return count.get();
    }
}
