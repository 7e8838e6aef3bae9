package dev.goingaway.shutdown;

import java.time.Duration;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.Timer;

/**
 * The drain's metrics, named after its log events. They are mostly read from the last scrape
 * before the pod goes away, and from the report the drain stores.
 */
@ApplicationScoped
public class ShutdownMetrics implements Drain.Metrics {

    @Inject
    MetricRegistry registry;

    private Counter started;
    private Counter byeSent;
    private Counter byeFailed;
    private Counter sessionSaved;
    private Counter closeFailed;
    private Counter leftOpen;
    private Counter completed;
    private Timer duration;

    @PostConstruct
    void register() {
        started = registry.counter("ws_shutdown_started");
        byeSent = registry.counter("ws_shutdown_bye_sent");
        byeFailed = registry.counter("ws_shutdown_bye_failed");
        sessionSaved = registry.counter("ws_shutdown_session_saved");
        closeFailed = registry.counter("ws_shutdown_close_failed");
        leftOpen = registry.counter("ws_shutdown_sessions_left_open");
        completed = registry.counter("ws_shutdown_completed");
        duration = registry.timer("ws_shutdown_duration");
    }

    /** Called once at startup so the bean exists before a signal thread needs it. */
    void warmUp() {
        // creating the bean registered the metrics
    }

    @Override
    public void started() {
        started.inc();
    }

    @Override
    public void byes(int sent, int failed) {
        byeSent.inc(sent);
        byeFailed.inc(failed);
    }

    @Override
    public void saved(int n) {
        sessionSaved.inc(n);
    }

    @Override
    public void closeFailed(int n) {
        closeFailed.inc(n);
    }

    @Override
    public void leftOpen(int n) {
        leftOpen.inc(n);
    }

    @Override
    public void completed(Duration took) {
        completed.inc();
        duration.update(took);
    }
}
