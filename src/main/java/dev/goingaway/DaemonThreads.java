package dev.goingaway;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Named daemon threads for the service's own executors. Daemon, because none of them may keep
 * the JVM alive past Liberty's stop or the shutdown watchdog.
 */
public final class DaemonThreads {

    private DaemonThreads() {
    }

    /** A factory whose threads are called {@code prefix1}, {@code prefix2}, ... */
    public static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
