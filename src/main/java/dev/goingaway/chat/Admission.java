package dev.goingaway.chat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Whether this instance still takes work, and how much it is doing right now. The drain flips
 * it to draining, then waits for the messages already being processed; every message that
 * enters after the flip is answered {@code draining} instead of being processed. Because the
 * in-flight count is raised <em>before</em> the flag is read, no message can slip between
 * "the drain saw zero in flight" and "the drain sent bye".
 */
@ApplicationScoped
public class Admission {

    private final AtomicInteger inFlight = new AtomicInteger();
    private final Object idle = new Object();
    private volatile boolean draining;
    private volatile boolean ready = true;
    private volatile boolean goingAway;

    /**
     * Reports the instance as going away (readiness DOWN) while it still serves everything: the
     * first step of a drain, before {@link #startDraining()}.
     */
    public void notReady() {
        ready = false;
        goingAway = true;
    }

    /** Whether a drain has begun: readiness is DOWN for good, though work may still be taken. */
    public boolean goingAway() {
        return goingAway;
    }

    /** Whether load balancers should send new clients here. */
    public boolean ready() {
        return ready && !draining;
    }

    /** Stops admitting new connections and messages. Idempotent. */
    public void startDraining() {
        ready = false;
        goingAway = true;
        draining = true;
    }

    public boolean draining() {
        return draining;
    }

    /** Marks a message as in flight; pair with {@link #exit()}. Returns false if draining. */
    public boolean enter() {
        inFlight.incrementAndGet();
        if (draining) {
            exit();
            return false;
        }
        return true;
    }

    public void exit() {
        if (inFlight.decrementAndGet() == 0 && draining) {
            synchronized (idle) {
                idle.notifyAll();
            }
        }
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** Waits until no message is in flight; returns false if {@code timeout} passed first. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (inFlight.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(idle, left);
            }
        }
        return true;
    }
}
