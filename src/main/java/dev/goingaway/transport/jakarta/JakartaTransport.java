package dev.goingaway.transport.jakarta;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import dev.goingaway.DaemonThreads;
import dev.goingaway.shutdown.Transport;

/**
 * What the Jakarta transport adds to Liberty's WebSocket container: the pools its closes run on
 * (Liberty's {@code close()} is synchronous and mostly waits), and what the drain needs of it
 * ({@link Transport}). Liberty owns the sockets here, so before a halt the drain's wait for the
 * clients' close answers counts the server's connections in the kernel's tables
 * ({@link OpenConnections}); when Liberty's own stop follows, Liberty waits for them itself.
 * The container ends its connections at stop after {@code @BeforeDestroyed(ApplicationScoped)},
 * where the drain runs, so this transport fires nothing of its own on an application stop.
 */
@ApplicationScoped
@Typed(JakartaTransport.class)
public class JakartaTransport implements Transport {

    /** {@code SHUTDOWN_CLOSE_THREADS}: parallel closes in the drain (Liberty's close mostly waits). */
    @Inject
    @ConfigProperty(name = "shutdown.close.threads", defaultValue = "128")
    int closeThreads;

    private ExecutorService closers;
    private ExecutorService stuckClosers;

    /**
     * Runs a close: on the closer pool if the connection's last frame was written in time, else on
     * a pool of its own (its close blocks on a full socket).
     */
    synchronized void close(boolean lastFrameWritten, Runnable close) {
        if (closers == null) {
            ThreadPoolExecutor pool = (ThreadPoolExecutor) Executors.newFixedThreadPool(Math.max(1, closeThreads),
                    DaemonThreads.named("goingaway-farewell-"));
            pool.setKeepAliveTime(30, TimeUnit.SECONDS);
            pool.allowCoreThreadTimeOut(true);
            closers = pool;
            stuckClosers = Executors.newCachedThreadPool(DaemonThreads.named("goingaway-farewell-stuck-"));
        }
        (lastFrameWritten ? closers : stuckClosers).execute(close);
    }

    @Override
    public Closing begin(boolean exitFollows, int connections) {
        if (!exitFollows) {
            return (unanswered, deadline) -> null;
        }
        // Those open now that are not WebSockets (probes, keep-alive HTTP) are not waited for.
        OpenConnections sockets = OpenConnections.onHttpEndpoints();
        int openAtStart = sockets.count();
        int notWebSockets = openAtStart < 0 ? -1 : Math.max(0, openAtStart - connections);
        return (unanswered, deadline) -> {
            if (notWebSockets < 0) {
                return null;
            }
            int stillOpen = sockets.awaitAtMost(notWebSockets + unanswered, deadline);
            return new Answers(stillOpen, "not_websocket=" + notWebSockets + " ports=" + sockets.ports()
                    + " polls=" + sockets.polls() + " poll_us=" + sockets.meanPollMicros());
        };
    }

    @PreDestroy
    synchronized void stop() {
        if (closers != null) {
            closers.shutdownNow();
            stuckClosers.shutdownNow();
        }
    }
}
