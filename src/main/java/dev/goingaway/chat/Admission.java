package dev.goingaway.chat;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;

import dev.goingaway.InFlight;

/**
 * Whether this instance still takes work, and how much it is doing right now. The drain flips
 * it to refusing new work, then waits for the messages already being processed; every message that
 * enters after the flip is answered {@code draining} instead of being processed. Because the
 * in-flight count is raised <em>before</em> the flag is read, no message can slip between
 * "the drain saw zero in flight" and "the drain sent bye".
 */
@ApplicationScoped
public class Admission {

    private final InFlight inFlight = new InFlight();
    private volatile boolean refusingNew;
    private volatile boolean ready = true;

    /**
     * The drain has begun: readiness DOWN while the instance still serves everything (the first
     * step of a drain, before {@link #refuseNew()}).
     */
    public void drainStarted() {
        ready = false;
    }

    /** Whether a drain has begun: readiness is DOWN for good, though work may still be taken. */
    public boolean draining() {
        return !ready;
    }

    /** Whether load balancers should send new clients here. */
    public boolean ready() {
        return ready && !refusingNew;
    }

    /** Stops admitting new connections and messages. Idempotent. */
    public void refuseNew() {
        ready = false;
        refusingNew = true;
    }

    /** Whether new connections and messages are refused (from the drain's third step on). */
    public boolean refusingNew() {
        return refusingNew;
    }

    /** Marks a message as in flight; pair with {@link #exit()}. Returns false if draining. */
    public boolean enter() {
        inFlight.enter();
        if (refusingNew) {
            exit();
            return false;
        }
        return true;
    }

    public void exit() {
        inFlight.exit();
    }

    public int inFlight() {
        return inFlight.count();
    }

    /** Waits until no message is in flight; returns false if {@code timeout} passed first. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        return inFlight.awaitNone(System.nanoTime() + timeout.toNanos()) == 0;
    }
}
