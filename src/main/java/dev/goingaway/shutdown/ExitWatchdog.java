package dev.goingaway.shutdown;

import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The hard bound behind the 10-second promise. Armed when a termination signal arrives; if the
 * JVM is still alive at the bound (a hung close, a frozen Redis socket, Liberty's own stop
 * waiting on something), it halts the JVM. A daemon thread, not a shutdown hook: the JVM
 * waits for every shutdown hook to finish, so a sleeping hook would itself delay the exit.
 */
final class ExitWatchdog {

    private static final Logger LOG = Logger.getLogger(ExitWatchdog.class.getName());

    /** Exit status of a process ended by SIGTERM, the same one the JVM would report. */
    static final int EXIT_STATUS = 143;

    private ExitWatchdog() {
    }

    /** Starts the countdown from {@code startNanos}; returns the watchdog thread. */
    static Thread arm(long startNanos, long boundMillis) {
        Thread t = new Thread(() -> {
            try {
                long left = startNanos + TimeUnit.MILLISECONDS.toNanos(boundMillis) - System.nanoTime();
                while (left > 0) {
                    TimeUnit.NANOSECONDS.sleep(left); // the wait *is* the deadline
                    left = startNanos + TimeUnit.MILLISECONDS.toNanos(boundMillis) - System.nanoTime();
                }
            } catch (InterruptedException e) {
                return;
            }
            LOG.log(Level.SEVERE, "ws_shutdown_forced: still running {0} ms after the signal; halting the JVM", boundMillis);
            System.err.println("goingaway: shutdown exceeded " + boundMillis + " ms, halting");
            Runtime.getRuntime().halt(EXIT_STATUS);
        }, "goingaway-exit-watchdog");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
