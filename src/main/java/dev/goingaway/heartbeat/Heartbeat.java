package dev.goingaway.heartbeat;

import java.nio.ByteBuffer;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import dev.goingaway.DaemonThreads;
import dev.goingaway.chat.ChatClient;
import dev.goingaway.chat.ChatService;
import dev.goingaway.chat.CloseCode;
import dev.goingaway.chat.ConnectionRegistry;
import dev.goingaway.config.Settings;

import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.MetricRegistry;

/**
 * Pings every connection each interval and closes those whose last pong is more than two
 * intervals old: half-open TCP connections (a phone that lost its network) otherwise hold a
 * slot and a send queue forever. A connection with frames still queued is not pinged: its
 * queue already proves or disproves that it reads.
 */
@ApplicationScoped
public class Heartbeat {

    private static final Logger LOG = Logger.getLogger(Heartbeat.class.getName());

    @Inject
    Settings settings;

    @Inject
    ConnectionRegistry registry;

    @Inject
    ChatService chat;

    @Inject
    MetricRegistry metrics;

    private ScheduledExecutorService timer;
    private Counter timeouts;

    void start(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        long interval = settings.heartbeatInterval().toMillis();
        timeouts = metrics.counter("ws_heartbeat_timeouts");
        timer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("goingaway-heartbeat-"));
        timer.scheduleWithFixedDelay(this::beat, interval, interval, TimeUnit.MILLISECONDS);
    }

    void beat() {
        long now = System.nanoTime();
        long dead = settings.heartbeatInterval().toNanos() * 2;
        ByteBuffer payload = ByteBuffer.wrap(Long.toString(System.currentTimeMillis()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        for (ChatClient client : registry.all()) {
            if (client.closing()) {
                continue;
            }
            if (now - client.lastSeenNanos() > dead) {
                timeouts.inc();
                LOG.log(Level.INFO, "session_id={0} closed: no pong or progress for {1} ms",
                        new Object[] {client.sessionId(), TimeUnit.NANOSECONDS.toMillis(now - client.lastSeenNanos())});
                chat.closeAsync(client, CloseCode.NORMAL, "heartbeat timeout");
                continue;
            }
            if (client.queued() > 0) {
                continue;
            }
            try {
                client.tryPing(payload.duplicate());
            } catch (java.io.IOException | RuntimeException e) {
                LOG.log(Level.FINE, "session_id={0} ping failed: {1}", new Object[] {client.sessionId(), e.toString()});
            }
        }
    }

    @PreDestroy
    void stop() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
