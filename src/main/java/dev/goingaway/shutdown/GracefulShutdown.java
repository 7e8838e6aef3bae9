package dev.goingaway.shutdown;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.goingaway.chat.Admission;
import dev.goingaway.chat.ChatService;
import dev.goingaway.chat.ConnectionRegistry;
import dev.goingaway.cluster.ClusterBus;
import dev.goingaway.config.Settings;
import dev.goingaway.store.SessionTotals;
import dev.goingaway.store.StoreException;
import dev.goingaway.store.StoreStatus;

/**
 * When the drain ({@link Drain}) runs and what follows it. It runs once per application,
 * whatever starts it (a signal, an application stop); later calls get the same result.
 *
 * <ul>
 *   <li>SIGTERM (or SIGINT): {@link SignalTrap} runs the drain before Liberty hears of the
 *       signal, with {@link ExitWatchdog} bounding the whole process; then the JVM halts once
 *       this application's HTTP requests are answered and the messages for the other instances
 *       sent (or, with {@code SHUTDOWN_EXIT=liberty}, the signal goes on to Liberty's own stop);</li>
 *   <li>an application stop without a signal ({@link LifecycleHooks}): the drain, then back to
 *       Liberty.</li>
 * </ul>
 */
@ApplicationScoped
public class GracefulShutdown {

    private static final Logger LOG = Logger.getLogger(GracefulShutdown.class.getName());
    private static final Logger EVENTS = Logger.getLogger("dev.goingaway.shutdown.events");

    @Inject
    Settings settings;

    @Inject
    Admission admission;

    @Inject
    ConnectionRegistry registry;

    @Inject
    ChatService chat;

    @Inject
    SessionTotals totals;

    @Inject
    ShutdownMetrics metrics;

    @Inject
    HttpRequests http;

    @Inject
    ClusterBus cluster;

    @Inject
    Transport transport;

    private final AtomicReference<CompletableFuture<ShutdownReport>> run = new AtomicReference<>();
    private volatile Drain drain;
    private volatile SignalTrap trap;
    private volatile boolean armed;
    private volatile ClassLoader appLoader;
    private volatile boolean haltAfterDrain;

    /** Installs the signal handlers; called once the application has started. */
    void arm() {
        // The JVM runs signal handlers on a fresh thread whose context class loader is null;
        // MicroProfile Config and Metrics look things up through it and fail with an NPE deep
        // in SmallRye. Capture the application's loader now, and create every bean the drain
        // touches now, while we are on a Liberty-managed thread.
        appLoader = Thread.currentThread().getContextClassLoader();
        haltAfterDrain = settings.haltAfterDrain();
        metrics.warmUp();
        totals.status();
        registry.size();
        admission.ready();
        http.inFlight();
        cluster.status();
        chat.encode(Map.of());
        transport.toString();
        drain();
        SignalTrap t = new SignalTrap(this::onSignal);
        armed = t.install();
        trap = t;
        LOG.log(Level.INFO, "graceful shutdown armed={0}: SIGTERM drains within {1} ms, then {2}; process halted by {3} ms",
                new Object[] {armed, settings.shutdownDeadline().toMillis(),
                        haltAfterDrain ? "halts" : "Liberty stops", hardBoundMillis()});
    }

    private Drain newDrain() {
        Drain.Plan plan = new Drain.Plan(settings.instance(), settings.shutdownDeadline(), settings.shutdownDrainDelay(),
                settings.redisTimeout(), settings.reconnectSpread());
        Drain.Totals store = new Drain.Totals() {
            @Override
            public int flush(Duration within) {
                return totals.flush(within);
            }

            @Override
            public int pendingWrites() {
                return totals.pendingWrites();
            }

            @Override
            public StoreStatus status() {
                return totals.status();
            }

            @Override
            public void saveReport(String instance, String json) throws StoreException {
                totals.saveShutdownReport(instance, json);
            }
        };
        return new Drain(plan, admission, registry::all, store, transport, metrics, chat::encode);
    }

    /** Whether SIGTERM will run the drain. */
    public boolean armed() {
        return armed;
    }

    public String signalHandlerState() {
        SignalTrap t = trap;
        return t == null ? "not installed" : t.state();
    }

    /** Whether a drain has started. */
    public boolean started() {
        return run.get() != null;
    }

    /** The signal path: bound the whole process, drain, then halt (or let the signal go on to Liberty). */
    private void onSignal() {
        long start = System.nanoTime();
        ExitWatchdog.arm(start, hardBoundMillis());
        Thread.currentThread().setContextClassLoader(appLoader);
        DrainBudget budget = drain().budget(start);
        drain("SIGTERM", budget, haltAfterDrain).join();
        if (haltAfterDrain) {
            halt(budget);
        }
    }

    /**
     * Ends the JVM once what Liberty's stop would still protect is done: every client is gone
     * and every total written by now; left are this application's HTTP requests being answered
     * and the messages queued for the other instances. Skipping Liberty's stop saves its chain
     * quiesce, application and feature teardown (1-2 s per pod, docs/LIBERTY-FACTS.md).
     */
    private void halt(DrainBudget budget) {
        int requests = http.inFlight();
        if (requests > 0) {
            EVENTS.log(Level.INFO, "ws_shutdown_awaiting_http in_flight={0}", requests);
            try {
                requests = http.awaitIdle(budget.deadline());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // After the requests: a broadcast being answered publishes to the other instances.
        cluster.close(budget.clusterFlush());
        EVENTS.log(Level.INFO, "ws_shutdown_exit mode=halt after_ms={0} http_in_flight={1}",
                new Object[] {budget.elapsedMillis(), requests});
        System.out.flush();
        System.err.flush();
        ProcessExit.now(ExitWatchdog.EXIT_STATUS);
    }

    long hardBoundMillis() {
        return DrainBudget.hardBoundMillis(settings.shutdownDeadline());
    }

    /** Starts (or joins) the drain; the future completes when every client has been let go. */
    public CompletableFuture<ShutdownReport> drain(String cause) {
        return drain(cause, drain().budget(System.nanoTime()), false);
    }

    private Drain drain() {
        Drain d = drain;
        return d != null ? d : (drain = newDrain());
    }

    private CompletableFuture<ShutdownReport> drain(String cause, DrainBudget budget, boolean exitFollows) {
        CompletableFuture<ShutdownReport> mine = new CompletableFuture<>();
        if (!run.compareAndSet(null, mine)) {
            return run.get();
        }
        try {
            mine.complete(drain().run(cause, budget, exitFollows));
        } catch (RuntimeException | Error e) {
            LOG.log(Level.SEVERE, "drain failed", e);
            mine.completeExceptionally(e);
        }
        return mine;
    }

    /** Puts the previous signal handlers back; the drain itself has run by now. */
    void disarm() {
        SignalTrap t = trap;
        if (t != null && !t.fired()) {
            t.uninstall();
        }
    }

    @PreDestroy
    void destroy() {
        disarm();
    }
}
