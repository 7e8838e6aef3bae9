package dev.goingaway.cluster;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Shows in {@code /health/ready} how fan-out between instances is doing. Always UP: without
 * Redis an instance still serves its own sessions completely, and taking it out of the load
 * balancer would only move those sessions to an instance with the same problem. The data says
 * whether messages reach the other instances and, if not, since when and why.
 */
@Readiness
@ApplicationScoped
public class ClusterCheck implements HealthCheck {

    @Inject
    ClusterBus bus;

    @Override
    public HealthCheckResponse call() {
        ClusterBus.Status s = bus.status();
        HealthCheckResponseBuilder b = HealthCheckResponse.named("cluster").up()
                .withData("fanout", s.mode())
                .withData("bus", s.bus())
                .withData("busUp", s.up())
                .withData("node", s.node())
                .withData("publishQueue", s.queued());
        if (s.lastError() != null) {
            b.withData("busError", s.lastError()).withData("busDownSince", s.since().toString());
        }
        return b.build();
    }
}
