package dev.goingaway.chat;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.Tag;

/**
 * The chat's counters, registered once so the hot path only increments. Prometheus names are
 * these with {@code _total} appended (MicroProfile Metrics 5).
 */
@ApplicationScoped
public class ChatMetrics {

    @Inject
    MetricRegistry registry;

    @Inject
    ConnectionRegistry sessions;

    private Counter received;
    private Counter acks;
    private Counter duplicates;
    private Counter opened;
    private Counter closed;
    private Counter slowConsumers;
    private Counter afterBye;
    private final Map<ErrorCode, Counter> errors = new EnumMap<>(ErrorCode.class);
    private final Map<String, Counter> refused = new ConcurrentHashMap<>();

    @PostConstruct
    void register() {
        received = registry.counter("ws_messages_received");
        acks = registry.counter("ws_acks");
        duplicates = registry.counter("ws_messages_duplicate");
        opened = registry.counter("ws_connections_opened");
        closed = registry.counter("ws_connections_closed");
        slowConsumers = registry.counter("ws_slow_consumers_closed");
        afterBye = registry.counter("ws_messages_after_bye");
        for (ErrorCode code : ErrorCode.values()) {
            errors.put(code, registry.counter("ws_errors", new Tag("code", code.wire())));
        }
        registry.gauge("ws_sessions_active", sessions, ConnectionRegistry::size);
    }

    void received() {
        received.inc();
    }

    void acked() {
        acks.inc();
    }

    void duplicate() {
        duplicates.inc();
    }

    void error(ErrorCode code) {
        errors.get(code).inc();
    }

    void opened() {
        opened.inc();
    }

    void closed() {
        closed.inc();
    }

    void afterBye() {
        afterBye.inc();
    }

    void slowConsumer() {
        slowConsumers.inc();
    }

    /** A handshake that was accepted and then closed at once, by reason (draining, origin, capacity). */
    void refused(String reason) {
        refused.computeIfAbsent(reason, r -> registry.counter("ws_connections_refused", new Tag("reason", r))).inc();
    }
}
