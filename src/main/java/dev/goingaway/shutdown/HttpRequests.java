package dev.goingaway.shutdown;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.goingaway.InFlight;

import org.eclipse.microprofile.metrics.MetricRegistry;

/**
 * This application's HTTP requests being answered right now (the broadcast API, the page, the
 * WebSocket handshakes), counted by {@link HttpRequestsFilter}. A drain that ends the JVM itself
 * ({@code SHUTDOWN_EXIT=halt}) lets them finish first: that is the part of Liberty's own stop
 * (its HTTP chain quiesce) the halt would otherwise skip. Health and metrics are served by
 * Liberty's features outside this application and are not counted; a probe cut by the halt is a
 * probe of a pod that is going away.
 */
@ApplicationScoped
public class HttpRequests {

    private final InFlight inFlight = new InFlight();

    @Inject
    MetricRegistry metrics;

    @PostConstruct
    void register() {
        metrics.gauge("http_requests_in_flight", inFlight, InFlight::count);
    }

    void enter() {
        inFlight.enter();
    }

    void exit() {
        inFlight.exit();
    }

    /** Requests being answered now. */
    public int inFlight() {
        return inFlight.count();
    }

    /** Waits until no request is being answered, or the deadline; returns how many still are. */
    int awaitIdle(long deadlineNanos) throws InterruptedException {
        return inFlight.awaitNone(deadlineNanos);
    }
}
