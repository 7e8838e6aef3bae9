package dev.goingaway.shutdown;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Every bound of the drain, derived in one place from {@code SHUTDOWN_DEADLINE} (8 s by
 * default) and the moment the drain started. Each step asks here how long it may take; no
 * other class of the drain holds a time limit of its own.
 *
 * <pre>
 *  0 s    start: readiness DOWN
 *         drain delay            at most half of what is left
 *         in-flight messages     at most 2 s, or a quarter of what is left
 *         totals written         at most 2 x REDIS_TIMEOUT, or a quarter of what is left
 *         byes written           at most 2 s, or half the time to the close deadline
 *         closes of clients that did not take their bye: 1 s after the bye deadline
 *  6.5 s  answer deadline: the wait for the clients' close answers ends (deadline - 1.5 s)
 *  7.4 s  close deadline: the closes end, whoever has not closed is ended (deadline - 0.6 s)
 *  8 s    deadline: report written; a halting drain has ended the process
 *  9 s    hard bound: the watchdog halts the JVM whatever is still running (deadline + 1 s)
 * </pre>
 */
public final class DrainBudget {

    /** The watchdog halts the JVM this long after the deadline. */
    static final Duration HALT_MARGIN = Duration.ofSeconds(1);
    /** The longest the in-flight messages are waited for. */
    private static final long IN_FLIGHT_WAIT = TimeUnit.SECONDS.toNanos(2);
    /** The longest the byes are waited for; healthy clients take milliseconds. */
    private static final long BYE_WAIT = TimeUnit.SECONDS.toNanos(2);
    /** The verdicts on the byes are timers at the bye deadline; this long is left for them to fire. */
    private static final long BYE_VERDICT_SLACK = TimeUnit.MILLISECONDS.toNanos(100);
    /** How long the close of a client that missed its bye may take before it is given up. */
    private static final long STUCK_CLOSE_GRACE = TimeUnit.SECONDS.toNanos(1);
    /** Kept back from the deadline for the last store writes and the report. */
    private static final long CLOSE_RESERVE = TimeUnit.MILLISECONDS.toNanos(600);
    /**
     * Kept back from the deadline when waiting for the clients' answers to the close: what follows
     * is the report, the messages for the other instances and the exit of a JVM with thousands of
     * sockets on a loaded machine, which took up to 2.5 s in the 5,000-client rollover.
     */
    private static final long ANSWER_RESERVE = TimeUnit.MILLISECONDS.toNanos(1_500);
    /** The longest a drain about to halt waits for messages queued for the other instances. */
    private static final long CLUSTER_FLUSH = TimeUnit.SECONDS.toNanos(1);

    private final long start;
    private final long deadline;
    private final long drainDelay;
    private final long storeTimeout;

    /** A budget of {@code total} from {@code startNanos} (a {@link System#nanoTime()} stamp). */
    DrainBudget(long startNanos, Duration total, Duration drainDelay, Duration storeTimeout) {
        this.start = startNanos;
        this.deadline = startNanos + total.toNanos();
        this.drainDelay = drainDelay.toNanos();
        this.storeTimeout = storeTimeout.toNanos();
    }

    /** The watchdog's bound for a drain of {@code total}: the deadline plus {@link #HALT_MARGIN}. */
    static long hardBoundMillis(Duration total) {
        return total.plus(HALT_MARGIN).toMillis();
    }

    long start() {
        return start;
    }

    long deadline() {
        return deadline;
    }

    long elapsedMillis() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** Step 2: the configured drain delay, at most half of what is left. */
    long drainDelayNanos() {
        return Math.min(drainDelay, remaining() / 2);
    }

    /** Step 3: the wait for the messages in flight. */
    Duration inFlightWait() {
        return Duration.ofNanos(Math.min(IN_FLIGHT_WAIT, remaining() / 4));
    }

    /** Step 4: the pipelined write of every total. */
    Duration totalsWrite() {
        return Duration.ofNanos(Math.min(2 * storeTimeout, remaining() / 4));
    }

    /** Step 5: the byes, from now. */
    long byeDeadline() {
        long now = System.nanoTime();
        return now + Math.min(BYE_WAIT, (closeDeadline() - now) / 2);
    }

    /** Step 5: the verdict on each bye (written in time or not) is in, a moment after the bye deadline. */
    long byeVerdictDeadline(long byeDeadline) {
        return byeDeadline + BYE_VERDICT_SLACK;
    }

    /** Step 5: the closes of clients that did not take their bye by {@code byeDeadline}. */
    long stuckCloseDeadline(long byeDeadline) {
        return Math.min(closeDeadline(), Math.max(System.nanoTime(), byeDeadline) + STUCK_CLOSE_GRACE);
    }

    /** Step 5: every close frame written, or its connection ended. */
    long closeDeadline() {
        return deadline - CLOSE_RESERVE;
    }

    /** Step 6: the wait for the clients' answers to the close. */
    long answerDeadline() {
        return deadline - ANSWER_RESERVE;
    }

    /** Step 7: totals counted after step 4. */
    Duration lateWrite() {
        return Duration.ofNanos(remaining() / 2);
    }

    /** After a halting drain: the messages queued for the other instances. */
    Duration clusterFlush() {
        return Duration.ofNanos(Math.min(CLUSTER_FLUSH, remaining()));
    }

    private long remaining() {
        return Math.max(0, deadline - System.nanoTime());
    }
}
