package dev.goingaway.health;

import java.lang.management.ManagementFactory;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * UP while the JVM can answer, DOWN if threads are deadlocked: the one state a restart fixes.
 * A draining instance stays live, so Kubernetes does not kill it in the middle of its drain.
 */
@Liveness
@ApplicationScoped
public class LivenessCheck implements HealthCheck {

    @Override
    public HealthCheckResponse call() {
        long[] deadlocked = ManagementFactory.getThreadMXBean().findDeadlockedThreads();
        int n = deadlocked == null ? 0 : deadlocked.length;
        return HealthCheckResponse.named("jvm").status(n == 0).withData("deadlockedThreads", n).build();
    }
}
