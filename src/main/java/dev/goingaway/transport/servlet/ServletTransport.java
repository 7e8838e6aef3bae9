package dev.goingaway.transport.servlet;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.goingaway.DaemonThreads;
import dev.goingaway.shutdown.Transport;

/**
 * The servlet transport's state, for every connection it carries: the connections whose TCP
 * connection it has not ended yet, the writer pool and the close timers, and whether the
 * process is about to end. What the drain needs of it ({@link Transport}): it counts its own
 * connections, so the wait for the clients' close answers reads a counter, not the kernel.
 */
@ApplicationScoped
@Typed(ServletTransport.class)
public class ServletTransport implements Transport {

    private static final Logger LOG = Logger.getLogger(ServletTransport.class.getName());
    /** How often the wait for the close answers reads the count. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final Set<WebSocketConnection> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong ids = new AtomicLong();
    /** Reads run on Liberty's threads; one buffer per thread, none per idle connection. */
    private final ThreadLocal<byte[]> readBuffer = ThreadLocal.withInitial(() -> new byte[16 * 1024]);
    /**
     * Set when the process is about to end (a signal's drain before the JVM ends itself): a
     * connection whose close handshake is complete is then counted as ended but its socket is left
     * to the process exit instead of Liberty's close. The client already has everything and its
     * answer has been read; Liberty's close of an upgraded connection (a keep-alive read, a
     * dispatch for its end, the channel's teardown) would only take processor time from the
     * clients still being said goodbye to.
     */
    private volatile boolean processEnding;
    private ScheduledExecutorService timers;
    private ForkJoinPool writers;

    @PostConstruct
    void start() {
        timers = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("goingaway-ws-timer-"));
        ClassLoader app = Thread.currentThread().getContextClassLoader();
        writers = new ForkJoinPool(Math.max(2, Runtime.getRuntime().availableProcessors()), pool -> {
            ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            t.setName("goingaway-ws-writer-" + t.getPoolIndex());
            t.setContextClassLoader(app); // completions reach MicroProfile Metrics, which looks through it
            return t;
        }, null, true);
    }

    // ---- the drain's view ---------------------------------------------------------------------------

    @Override
    public Closing begin(boolean exitFollows, int connections) {
        return new Closing() {
            @Override
            public void goodbyesStarting() {
                // From here, a connection whose close handshake is complete is left to the exit.
                processEnding = exitFollows;
            }

            @Override
            public Answers awaitAnswers(int unanswered, long deadlineNanos) {
                int stillOpen = open.size();
                while (stillOpen > unanswered && System.nanoTime() < deadlineNanos) {
                    LockSupport.parkNanos(Math.min(POLL_NANOS, deadlineNanos - System.nanoTime()));
                    stillOpen = open.size();
                }
                return new Answers(stillOpen, "not_websocket=0 ports=own");
            }
        };
    }

    // ---- the connections' view ----------------------------------------------------------------------

    String nextId() {
        return "w" + Long.toString(ids.incrementAndGet(), 36);
    }

    void opened(WebSocketConnection connection) {
        open.add(connection);
    }

    void ended(WebSocketConnection connection) {
        open.remove(connection);
    }

    boolean processEnding() {
        return processEnding;
    }

    byte[] readBuffer() {
        return readBuffer.get();
    }

    ForkJoinPool writers() {
        return writers;
    }

    /** Runs a connection's timeout unless the timer is gone (application stop ends every connection). */
    void schedule(Runnable timeout, long millis) {
        try {
            timers.schedule(timeout, millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.log(Level.FINEST, "no close timer, the application is stopping");
        }
    }

    /**
     * The application stops and the drain has run: ends every connection still open, without a
     * close frame, then the pools.
     */
    void stop() {
        for (WebSocketConnection c : open) {
            c.ended("application stopped");
        }
        destroy();
    }

    @PreDestroy
    void destroy() {
        timers.shutdownNow();
        writers.shutdown(); // the closes just queued still run
    }
}
