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

    /**
     * A factory whose threads are called {@code prefix1}, {@code prefix2}, ... and run with the
     * context class loader of the thread that made the factory (the application's, when made while
     * it starts): a thread created later by whichever thread first used the executor would inherit
     * that thread's, and JSON-B looks its providers up through it.
     */
    public static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setContextClassLoader(loader);
            t.setDaemon(true);
            return t;
        };
    }
}
