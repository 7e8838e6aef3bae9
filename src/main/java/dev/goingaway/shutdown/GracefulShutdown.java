package dev.goingaway.shutdown;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;

import dev.goingaway.DaemonThreads;
import dev.goingaway.chat.Admission;
import dev.goingaway.chat.ChatClient;
import dev.goingaway.chat.ChatService;
import dev.goingaway.chat.SessionRegistry;
import dev.goingaway.cluster.ClusterBus;
import dev.goingaway.config.Settings;
import dev.goingaway.store.SessionTotals;
import dev.goingaway.store.StoreException;
import dev.goingaway.store.StoreStatus;
import dev.goingaway.websocket.TransportSelection;
import dev.goingaway.websocket.WebSocketConnection;

/**
 * The drain, in the order of DESIGN.md's shutdown sequence. It runs once per application,
 * whatever starts it (a signal, an application stop); later calls get the same result.
 *
 * <ol>
 *   <li>readiness DOWN, while the port still answers;</li>
 *   <li>the configured drain delay, serving as usual, so load balancers can notice;</li>
 *   <li>new handshakes refused (1013), new messages answered {@code draining}, and the
 *       messages already being processed finish with their ack or error;</li>
 *   <li>every session's total written to the store (pipelined, bounded) — before the byes, so
 *       a client that reconnects at once to another instance finds its total there;</li>
 *   <li>{@code bye} then close 1001 to every connection, in parallel, bounded;</li>
 *   <li>the clients' answers to the close awaited, bounded: a connection ended
 *       before its client answered can lose the bye of a client that reads late (on the Jakarta
 *       transport, where Liberty owns the sockets, only before a halt);</li>
 *   <li>anything still pending written, and the report stored;</li>
 *   <li>the signal path halts the JVM once this application's HTTP requests are answered and the
 *       messages for the other instances sent (or, with {@code SHUTDOWN_EXIT=liberty}, hands the
 *       signal on to Liberty's own stop); an application stop returns to Liberty.</li>
 * </ol>
 */
@ApplicationScoped
public class GracefulShutdown {

    private static final Logger LOG = Logger.getLogger(GracefulShutdown.class.getName());
    private static final Logger EVENTS = Logger.getLogger("dev.goingaway.shutdown.events");

    /** The watchdog halts the JVM this long after the drain deadline (8 s + 1 s = 9 s). */
    static final long HALT_MARGIN_MILLIS = 1_000;
    /** The longest the drain waits for byes to be written; healthy clients take milliseconds. */
    private static final long BYE_WAIT_MILLIS = 2_000;
    /** Kept back from the deadline for the last store writes and the report. */
    private static final long RESERVE_MILLIS = 600;
    /**
     * Kept back from the deadline when waiting for the clients' answers to the close: what follows
     * is the report, the messages for the other instances and the exit of a JVM with thousands of
     * sockets on a loaded machine, which took up to 2.5 s in the 5,000-client rollover.
     */
    private static final long ANSWER_RESERVE_MILLIS = 1_500;
    /** The longest a drain about to halt waits for messages queued for the other instances. */
    private static final long CLUSTER_FLUSH_MILLIS = 1_000;

    @Inject
    Settings settings;

    @Inject
    Admission admission;

    @Inject
    SessionRegistry registry;

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

    private final AtomicReference<CompletableFuture<ShutdownReport>> run = new AtomicReference<>();
    private volatile SignalTrap trap;
    private volatile boolean armed;
    private volatile ClassLoader appLoader;
    private volatile boolean haltAfterDrain;
    /** {@code WS_TRANSPORT=servlet}: the application owns (and counts) the TCP connections. */
    private volatile boolean ownSockets;

    /** Installs the signal handlers; called once the application has started. */
    void arm() {
        // The JVM runs signal handlers on a fresh thread whose context class loader is null;
        // MicroProfile Config and Metrics look things up through it and fail with an NPE deep
        // in SmallRye. Capture the application's loader now, and create every bean the drain
        // touches now, while we are on a Liberty-managed thread.
        appLoader = Thread.currentThread().getContextClassLoader();
        haltAfterDrain = settings.haltAfterDrain();
        ownSockets = TransportSelection.configured() == TransportSelection.Transport.SERVLET;
        metrics.warmUp();
        totals.status();
        registry.size();
        admission.ready();
        http.inFlight();
        cluster.status();
        chat.encode(Map.of());
        SignalTrap t = new SignalTrap(this::onSignal);
        armed = t.install();
        trap = t;
        LOG.log(Level.INFO, "graceful shutdown armed={0}: SIGTERM drains within {1} ms, then {2}; process halted by {3} ms",
                new Object[] {armed, settings.shutdownDeadline().toMillis(),
                        haltAfterDrain ? "halts" : "Liberty stops", hardBoundMillis()});
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

    /** The signal path: bound the whole process, drain, then let the signal continue to Liberty. */
    private void onSignal() {
        long start = System.nanoTime();
        ExitWatchdog.arm(start, hardBoundMillis());
        Thread.currentThread().setContextClassLoader(appLoader);
        drain("SIGTERM", start, haltAfterDrain).join();
        if (haltAfterDrain) {
            halt(start);
        }
    }

    /**
     * Ends the JVM once what Liberty's stop would still protect is done: every client is gone
     * and every total written by now; left are this application's HTTP requests being answered
     * and the messages queued for the other instances. Skipping Liberty's stop saves its chain
     * quiesce, application and feature teardown (1-2 s per pod, docs/LIBERTY-FACTS.md).
     */
    private void halt(long start) {
        long deadline = start + settings.shutdownDeadline().toNanos();
        int requests = http.inFlight();
        if (requests > 0) {
            EVENTS.log(Level.INFO, "ws_shutdown_awaiting_http in_flight={0}", requests);
            try {
                requests = http.awaitIdle(deadline);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // After the requests: a broadcast being answered publishes to the other instances.
        cluster.close(Duration.ofNanos(Math.min(TimeUnit.MILLISECONDS.toNanos(CLUSTER_FLUSH_MILLIS), remaining(deadline))));
        EVENTS.log(Level.INFO, "ws_shutdown_exit mode=halt after_ms={0} http_in_flight={1}",
                new Object[] {(System.nanoTime() - start) / 1_000_000, requests});
        System.out.flush();
        System.err.flush();
        ProcessExit.now(ExitWatchdog.EXIT_STATUS);
    }

    long hardBoundMillis() {
        return settings.shutdownDeadline().toMillis() + HALT_MARGIN_MILLIS;
    }

    /** Starts (or joins) the drain; the future completes when every client has been let go. */
    public CompletableFuture<ShutdownReport> drain(String cause) {
        return drain(cause, System.nanoTime(), false);
    }

    private CompletableFuture<ShutdownReport> drain(String cause, long start, boolean beforeHalt) {
        CompletableFuture<ShutdownReport> mine = new CompletableFuture<>();
        if (!run.compareAndSet(null, mine)) {
            return run.get();
        }
        try {
            mine.complete(runDrain(cause, start, beforeHalt));
        } catch (RuntimeException | Error e) {
            LOG.log(Level.SEVERE, "drain failed", e);
            mine.completeExceptionally(e);
        }
        return mine;
    }

    private ShutdownReport runDrain(String cause, long start, boolean beforeHalt) {
        long deadline = start + settings.shutdownDeadline().toNanos();
        Map<String, Long> phases = new LinkedHashMap<>();
        Instant startedAt = Instant.now();
        long cpuAtStart = processCpuNanos();
        metrics.started();
        EVENTS.log(Level.INFO, "ws_shutdown_started cause={0} sessions={1} deadline_ms={2}",
                new Object[] {cause, registry.size(), settings.shutdownDeadline().toMillis()});

        // 1. Readiness DOWN: load balancers stop sending new clients; everything else goes on.
        admission.notReady();
        phases.put("readinessDown", sinceMillis(start));

        // Before a halt, the drain waits for the clients' close replies (step 6). It counts the
        // server's open connections in the kernel's tables; those that are not WebSockets now
        // (probes, keep-alive HTTP) are not waited for.
        // With WS_TRANSPORT=servlet the application ends every TCP connection itself and counts
        // them, so no table is read.
        OpenConnections sockets = beforeHalt && !ownSockets ? OpenConnections.onHttpEndpoints() : null;
        int openAtStart = sockets == null ? -1 : sockets.count();
        int notWebSockets = openAtStart < 0 ? -1 : Math.max(0, openAtStart - registry.size());

        // 2. Drain delay: keep serving while endpoints are removed (0 by default: on Kubernetes
        //    the preStop hook has already waited before the signal was sent).
        long delay = Math.min(settings.shutdownDrainDelay().toNanos(), (deadline - System.nanoTime()) / 2);
        if (delay > 0) {
            sleepNanos(delay);
        }
        phases.put("drainDelayDone", sinceMillis(start));

        // 3. Refuse new work; let the messages already in flight finish with their ack or error.
        admission.startDraining();
        int inFlightAtStart = admission.inFlight();
        boolean idle = awaitIdle(Math.min(TimeUnit.SECONDS.toNanos(2), remaining(deadline) / 4));
        int inFlightLeft = idle ? 0 : admission.inFlight();
        phases.put("inFlightDone", sinceMillis(start));

        // 4. Totals are final now: write them before anyone is told to reconnect elsewhere.
        List<ChatClient> clients = new ArrayList<>(registry.all());
        int saved = totals.flush(Duration.ofNanos(Math.min(2 * settings.redisTimeout().toNanos(), remaining(deadline) / 4)));
        metrics.saved(saved);
        EVENTS.log(Level.INFO, "ws_shutdown_session_saved sessions={0} pending={1}", new Object[] {saved, totals.pendingWrites()});
        phases.put("totalsSaved", sinceMillis(start));

        // 5. bye, then close 1001, to every connection, in parallel. When the JVM ends right after
        //    this drain, a connection whose close handshake is complete is left to the process exit.
        if (beforeHalt && ownSockets) {
            WebSocketConnection.processEnding();
        }
        long closeDeadline = deadline - TimeUnit.MILLISECONDS.toNanos(RESERVE_MILLIS);
        long answerDeadline = deadline - TimeUnit.MILLISECONDS.toNanos(ANSWER_RESERVE_MILLIS);
        long byeDeadline = System.nanoTime()
                + Math.min(TimeUnit.MILLISECONDS.toNanos(BYE_WAIT_MILLIS), (closeDeadline - System.nanoTime()) / 2);
        Farewell.Result farewell;
        ExecutorService closers = Executors.newFixedThreadPool(settings.shutdownCloseThreads(), DaemonThreads.named("goingaway-farewell-"));
        ExecutorService stuck = Executors.newCachedThreadPool(DaemonThreads.named("goingaway-farewell-stuck-"));
        try {
            farewell = new Farewell(chat, closers, stuck)
                    .run(clients, settings.reconnectSpread().toMillis(), byeDeadline, closeDeadline, answerDeadline);
        } finally {
            closers.shutdownNow();
            stuck.shutdownNow();
        }
        metrics.byes(farewell.byesSent(), farewell.byeFailures());
        metrics.closeFailed(farewell.closeFailures());
        metrics.leftOpen(farewell.leftOpen());
        phases.put("byesSent", farewell.lastByeNanos() == 0 ? -1 : (farewell.lastByeNanos() - start) / 1_000_000);
        phases.put("allClosed", sinceMillis(start));
        EVENTS.log(Level.INFO, "ws_shutdown_bye_sent sessions={0} failed={1}",
                new Object[] {farewell.byesSent(), farewell.byeFailures()});
        if (farewell.closeFailures() > 0 || farewell.leftOpen() > 0) {
            EVENTS.log(Level.WARNING, "ws_shutdown_close_failed failures={0} left_open={1}",
                    new Object[] {farewell.closeFailures(), farewell.leftOpen()});
        }

        // 6. The clients' answers to the close, until the answer deadline: an answer proves the
        //    client has read its bye. A client that reads late (a busy JVM, a paused tab) still
        //    holds the bye unread while it writes; ending its connection before it answers makes
        //    the proxy (or the kernel) reset those writes, and a reset loses what it had not read
        //    yet (docs/LIBERTY-FACTS.md, "A reset before the bye is read"). Healthy clients answer
        //    within milliseconds, so this wait costs only what the slowest reader needs.
        long replyDeadline = answerDeadline;
        if (ownSockets) {
            int stillOpen = WebSocketConnection.awaitOpenAtMost(farewell.leftOpen(), replyDeadline);
            phases.put("socketsClosed", sinceMillis(start));
            EVENTS.log(Level.INFO, "ws_shutdown_sockets_closed open={0,number,#} not_websocket=0 ports=own after_ms={1,number,#}",
                    new Object[] {stillOpen, sinceMillis(start)});
        } else if (sockets != null && notWebSockets >= 0) {
            int stillOpen = sockets.awaitAtMost(notWebSockets + farewell.leftOpen(), replyDeadline);
            phases.put("socketsClosed", sinceMillis(start));
            EVENTS.log(Level.INFO, "ws_shutdown_sockets_closed open={0,number,#} not_websocket={1,number,#} ports={2} after_ms={3,number,#}"
                            + " polls={4,number,#} poll_us={5,number,#}",
                    new Object[] {stillOpen, notWebSockets, sockets.ports(), sinceMillis(start), sockets.polls(), sockets.meanPollMicros()});
        }

        // 7. Anything counted after step 4 (a message that overran its wait), then the report.
        int late = totals.pendingWrites() > 0 ? totals.flush(Duration.ofNanos(Math.max(0, remaining(deadline) / 2))) : 0;
        metrics.saved(late);
        StoreStatus store = totals.status();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        ShutdownReport report = new ShutdownReport(settings.instance(), cause, startedAt.toString(), took.toMillis(),
                clients.size(), farewell.byesSent(), farewell.byeFailures(), farewell.closed(),
                farewell.closeFailures(), farewell.leftOpen(), inFlightAtStart, inFlightLeft, saved + late,
                store.reachable() ? null : store.lastError(),
                cpuAtStart < 0 ? -1 : (processCpuNanos() - cpuAtStart) / 1_000_000, phases);
        saveReport(report);
        metrics.completed(took);
        EVENTS.log(Level.INFO, "ws_shutdown_completed cause={0} duration_ms={1} sessions={2} byes={3} closed={4}"
                        + " close_failures={5} left_open={6} saved={7} store_reachable={8}",
                new Object[] {cause, took.toMillis(), clients.size(), farewell.byesSent(), farewell.closed(),
                        farewell.closeFailures(), farewell.leftOpen(), saved + late, store.reachable()});
        return report;
    }

    private void saveReport(ShutdownReport report) {
        try (Jsonb jsonb = JsonbBuilder.create()) {
            totals.saveShutdownReport(settings.instance(), jsonb.toJson(report));
        } catch (StoreException e) {
            LOG.log(Level.WARNING, "shutdown report not stored: {0}", e.getMessage());
        } catch (Exception e) {
            LOG.log(Level.WARNING, "shutdown report not stored", e);
        }
    }

    private boolean awaitIdle(long nanos) {
        try {
            return admission.awaitIdle(Duration.ofNanos(Math.max(0, nanos)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void sleepNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos); // the configured drain delay is itself the wait
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** CPU time of the whole JVM so far, or -1 where the platform does not report it. */
    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    private static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    private static long sinceMillis(long start) {
        return (System.nanoTime() - start) / 1_000_000;
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
