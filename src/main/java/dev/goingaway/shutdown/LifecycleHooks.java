package dev.goingaway.shutdown;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.BeforeDestroyed;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
/**
 * Connects the drain to the application's life: arms the signal handlers when the application
 * starts, and runs the drain when the application stops while the server keeps running
 * (redeploy, {@code liberty:dev} reload, {@code server stop} after a signal-less stop request).
 * After a SIGTERM the drain has already completed by the time this observer fires, so it
 * returns at once.
 */
@ApplicationScoped
public class LifecycleHooks {

    private static final Logger LOG = Logger.getLogger(LifecycleHooks.class.getName());

    @Inject
    GracefulShutdown shutdown;

    void started(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        shutdown.arm();
    }

    /** A transport that ends its connections before the application scope is destroyed says so first. */
    void transportStopping(@Observes TransportStopping ignored) {
        drainOnStop();
    }

    void stopping(@Observes @BeforeDestroyed(ApplicationScoped.class) Object ignored) {
        drainOnStop();
    }

    private void drainOnStop() {
        try {
            shutdown.drain("application stop").get(shutdown.hardBoundMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warning("drain on application stop overran its bound; the application stops anyway");
        } catch (Exception e) {
            LOG.log(Level.WARNING, "drain on application stop failed", e);
        } finally {
            shutdown.disarm();
        }
    }
}
