package dev.goingaway.health;

import dev.goingaway.stream.FallbackStreamStore;
import dev.goingaway.stream.History;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.goingaway.chat.Admission;
import dev.goingaway.chat.ConnectionRegistry;
import dev.goingaway.store.SessionTotals;
import dev.goingaway.store.StoreStatus;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** DOWN while draining; always says how the store is doing and how busy the instance is. */
@Readiness
@ApplicationScoped
public class ReadinessCheck implements HealthCheck {

    @Inject
    Admission admission;

    @Inject
    ConnectionRegistry connections;

    @Inject
    SessionTotals totals;

    @Inject
    History history;

    @Override
    public HealthCheckResponse call() {
        StoreStatus store = totals.status();
        HealthCheckResponseBuilder b = HealthCheckResponse.named("chat")
                .status(admission.ready())
                // DOWN from the drain's first step on; new connections and messages are refused
                // only from its third (after SHUTDOWN_DRAIN_DELAY).
                .withData("draining", admission.draining())
                .withData("refusingNew", admission.refusingNew())
                .withData("sessions", connections.size())
                .withData("store", store.store())
                .withData("storeReachable", store.reachable())
                .withData("storePendingWrites", store.pendingWrites());
        if (store.lastError() != null) {
            b.withData("storeError", store.lastError()).withData("storeDownSince", store.since().toString());
        }
        // The streams' history: while it is down, this instance numbers its messages in local epochs
        // (chat goes on; a resume on another instance says recovered:false).
        FallbackStreamStore.Status streams = history.store().status();
        b.withData("history", history.describe()).withData("historyUp", streams.up());
        if (!streams.up()) {
            b.withData("historyError", String.valueOf(streams.lastError()))
                    .withData("historyDownSince", streams.since().toString());
        }
        return b.build();
    }
}
