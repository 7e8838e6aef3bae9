package dev.goingaway.shutdown;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;

import dev.goingaway.chat.Admission;
import dev.goingaway.chat.ChatClient;
import dev.goingaway.store.StoreException;
import dev.goingaway.store.StoreStatus;

/**
 * The drain: DESIGN.md's shutdown sequence as named steps under one deadline
 * ({@link DrainBudget}). It knows the connections only through the chat's
 * {@link dev.goingaway.chat.Connection} and the transport only through {@link Transport}; the
 * store through {@link Totals}, and its metrics through {@link Metrics}, so a unit test can run
 * it against in-memory ones. {@link GracefulShutdown} decides when it runs (once per
 * application) and what follows it.
 */
final class Drain {

    private static final Logger LOG = Logger.getLogger(Drain.class.getName());
    private static final Logger EVENTS = Logger.getLogger("dev.goingaway.shutdown.events");
    /** How often the report step tries again to write the totals a failed write left. */
    static final long LATE_RETRY_MILLIS = 250;

    /** What the drain needs of the session store. */
    interface Totals {
        /** Writes every changed total, pipelined, within {@code within}; returns how many. */
        int flush(Duration within);

        int pendingWrites();

        StoreStatus status();

        void saveReport(String instance, String json) throws StoreException;
    }

    /** The drain's metrics (counters named after its log events). */
    interface Metrics {
        void started();

        void byes(int sent, int failed);

        void saved(int sessions);

        void closeFailed(int n);

        void leftOpen(int n);

        void completed(Duration took);
    }

    /** The settings the drain reads. */
    record Plan(String instance, Duration deadline, Duration drainDelay, Duration storeTimeout, Duration reconnectSpread) {
    }

    private final Plan plan;
    private final Admission admission;
    private final Supplier<Collection<ChatClient>> connections;
    private final Totals totals;
    private final Transport transport;
    private final Metrics metrics;
    private final Function<Object, String> encoder;

    Drain(Plan plan, Admission admission, Supplier<Collection<ChatClient>> connections, Totals totals,
          Transport transport, Metrics metrics, Function<Object, String> encoder) {
        this.plan = plan;
        this.admission = admission;
        this.connections = connections;
        this.totals = totals;
        this.transport = transport;
        this.metrics = metrics;
        this.encoder = encoder;
    }

    /** The budget of a drain that starts at {@code startNanos}. */
    DrainBudget budget(long startNanos) {
        return new DrainBudget(startNanos, plan.deadline(), plan.drainDelay(), plan.storeTimeout());
    }

    /**
     * Runs the whole sequence; {@code exitFollows}: the JVM ends right after it (a signal's drain
     * that halts). Returns once every connection has been let go, by the budget's deadline.
     */
    ShutdownReport run(String cause, DrainBudget budget, boolean exitFollows) {
        Run run = new Run(cause, budget);
        metrics.started();
        EVENTS.log(Level.INFO, "ws_shutdown_started cause={0} sessions={1} deadline_ms={2}",
                new Object[] {cause, connections.get().size(), plan.deadline().toMillis()});

        readinessDown(run);
        Transport.Closing closing = transport.begin(exitFollows, connections.get().size());
        drainDelay(run);
        refuseNewAndFinishInFlight(run);
        writeTotals(run);
        closing.goodbyesStarting();
        sayGoodbye(run);
        awaitCloseAnswers(run, closing);
        return report(run);
    }

    /** One drain's record, step by step. */
    private static final class Run {
        final String cause;
        final DrainBudget budget;
        final Instant startedAt = Instant.now();
        final long cpuAtStart = processCpuNanos();
        final Map<String, Long> phases = new LinkedHashMap<>();
        int inFlightAtStart;
        int inFlightLeft;
        int saved;
        List<ChatClient> clients = List.of();
        Farewell.Result farewell;

        Run(String cause, DrainBudget budget) {
            this.cause = cause;
            this.budget = budget;
        }

        void phase(String name) {
            phases.put(name, budget.elapsedMillis());
        }
    }

    /** 1. Readiness DOWN: load balancers stop sending new clients; everything else goes on. */
    private void readinessDown(Run run) {
        admission.drainStarted();
        run.phase("readinessDown");
    }

    /**
     * 2. Keep serving while endpoints are removed ({@code SHUTDOWN_DRAIN_DELAY}, 0 by default: on
     * Kubernetes the preStop hook has already waited before the signal was sent).
     */
    private void drainDelay(Run run) {
        long delay = run.budget.drainDelayNanos();
        if (delay > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(delay); // the configured drain delay is itself the wait
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        run.phase("drainDelayDone");
    }

    /** 3. Refuse new work; let the messages already in flight finish with their ack or error. */
    private void refuseNewAndFinishInFlight(Run run) {
        admission.refuseNew();
        run.inFlightAtStart = admission.inFlight();
        boolean idle;
        try {
            idle = admission.awaitIdle(run.budget.inFlightWait());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            idle = false;
        }
        run.inFlightLeft = idle ? 0 : admission.inFlight();
        run.phase("inFlightDone");
    }

    /** 4. Totals are final now: write them before anyone is told to reconnect elsewhere. */
    private void writeTotals(Run run) {
        run.clients = new ArrayList<>(connections.get());
        run.saved = totals.flush(run.budget.totalsWrite());
        metrics.saved(run.saved);
        EVENTS.log(Level.INFO, "ws_shutdown_session_saved sessions={0} pending={1}",
                new Object[] {run.saved, totals.pendingWrites()});
        run.phase("totalsSaved");
    }

    /** 5. {@code bye}, then close 1001, to every connection, in parallel. */
    private void sayGoodbye(Run run) {
        Farewell.Result farewell = new Farewell(encoder).run(run.clients, plan.reconnectSpread().toMillis(), run.budget);
        run.farewell = farewell;
        metrics.byes(farewell.byesSent(), farewell.byeFailures());
        metrics.closeFailed(farewell.closeFailures());
        metrics.leftOpen(farewell.leftOpen());
        run.phases.put("byesSent", farewell.lastByeNanos() == 0 ? -1 : (farewell.lastByeNanos() - run.budget.start()) / 1_000_000);
        run.phase("allClosed");
        EVENTS.log(Level.INFO, "ws_shutdown_bye_sent sessions={0} failed={1}",
                new Object[] {farewell.byesSent(), farewell.byeFailures()});
        if (farewell.closeFailures() > 0 || farewell.leftOpen() > 0) {
            EVENTS.log(Level.WARNING, "ws_shutdown_close_failed failures={0} left_open={1}",
                    new Object[] {farewell.closeFailures(), farewell.leftOpen()});
        }
    }

    /**
     * 6. The clients' answers to the close, until the answer deadline: an answer proves the client
     * has read its bye. A client that reads late (a busy JVM, a paused tab) still holds the bye
     * unread while it writes; ending its connection before it answers makes the proxy (or the
     * kernel) reset those writes, and a reset loses what it had not read yet
     * (docs/LIBERTY-FACTS.md, "A reset before the bye is read"). Healthy clients answer within
     * milliseconds, so this wait costs only what the slowest reader needs.
     */
    private void awaitCloseAnswers(Run run, Transport.Closing closing) {
        Transport.Answers answers = closing.awaitAnswers(run.farewell.leftOpen(), run.budget.answerDeadline());
        if (answers != null) {
            run.phase("socketsClosed");
            EVENTS.log(Level.INFO, "ws_shutdown_sockets_closed open={0,number,#} {1} after_ms={2,number,#}",
                    new Object[] {answers.open(), answers.detail(), run.budget.elapsedMillis()});
        }
    }

    /**
     * What step 4 could not write (Redis away, a failover under way) and anything counted since,
     * tried again every {@value #LATE_RETRY_MILLIS} ms until written or {@code within} is over:
     * a promoted replica that answers before then gets every total.
     */
    private int writeLate(Duration within) {
        long end = System.nanoTime() + within.toNanos();
        int written = 0;
        while (totals.pendingWrites() > 0) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                break;
            }
            written += totals.flush(Duration.ofNanos(left));
            if (totals.pendingWrites() > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(Math.min(left, LATE_RETRY_MILLIS * 1_000_000L));
            }
        }
        return written;
    }

    /** 7. Anything counted after step 4 (a message that overran its wait), then the report. */
    private ShutdownReport report(Run run) {
        int late = writeLate(run.budget.lateWrite());
        metrics.saved(late);
        StoreStatus store = totals.status();
        Duration took = Duration.ofNanos(System.nanoTime() - run.budget.start());
        Farewell.Result f = run.farewell;
        ShutdownReport report = new ShutdownReport(plan.instance(), run.cause, run.startedAt.toString(), took.toMillis(),
                run.clients.size(), f.byesSent(), f.byeFailures(), f.closed(), f.closeFailures(), f.leftOpen(),
                run.inFlightAtStart, run.inFlightLeft, run.saved + late, store.reachable() ? null : store.lastError(),
                run.cpuAtStart < 0 ? -1 : (processCpuNanos() - run.cpuAtStart) / 1_000_000, run.phases);
        saveReport(report);
        metrics.completed(took);
        EVENTS.log(Level.INFO, "ws_shutdown_completed cause={0} duration_ms={1} sessions={2} byes={3} closed={4}"
                        + " close_failures={5} left_open={6} saved={7} store_reachable={8}",
                new Object[] {run.cause, took.toMillis(), run.clients.size(), f.byesSent(), f.closed(),
                        f.closeFailures(), f.leftOpen(), run.saved + late, store.reachable()});
        return report;
    }

    private void saveReport(ShutdownReport report) {
        try (Jsonb jsonb = JsonbBuilder.create()) {
            totals.saveReport(plan.instance(), jsonb.toJson(report));
        } catch (StoreException e) {
            LOG.log(Level.WARNING, "shutdown report not stored: {0}", e.getMessage());
        } catch (Exception e) {
            LOG.log(Level.WARNING, "shutdown report not stored", e);
        }
    }

    /** CPU time of the whole JVM so far, or -1 where the platform does not report it. */
    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }
}
