package dev.goingaway.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.goingaway.config.Settings;
import dev.goingaway.shutdown.GracefulShutdown;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;

/** UP once the application has started and its SIGTERM drain is armed. */
@Startup
@ApplicationScoped
public class StartupCheck implements HealthCheck {

    @Inject
    GracefulShutdown shutdown;

    @Inject
    Settings settings;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("started").status(shutdown.armed())
                .withData("instance", settings.instance())
                .withData("signalHandler", shutdown.signalHandlerState())
                .build();
    }
}
