package dev.goingaway.cluster.rollover;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.goingaway.testing.Await;
import dev.goingaway.testing.FreePort;
import dev.goingaway.testing.HaProxy;
import dev.goingaway.testing.LibertyProcess;
import dev.goingaway.testing.TestRedis;

import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.Response;

/**
 * A blue/green rollover on real processes, measured from the clients' side: one Redis, the
 * project's Liberty server in two HAProxy slots ("blue" and "green"), and {@code clients}
 * chat clients talking through the proxy in rooms of {@code roomSize}. Each round starts a fresh
 * server in the idle slot, waits until HAProxy has it UP, sends SIGTERM to the serving one, and
 * waits until every client is back (on the new server) and talking. The report says whether
 * anything was lost, duplicated or miscounted.
 *
 * <p>Sizes come from system properties so the same harness runs small in CI and large as a
 * benchmark: {@code rollover.clients}, {@code rollover.rollovers}, {@code rollover.roomSize},
 * {@code rollover.pauseMillis} (longest pause between a client's messages; the default grows
 * with the client count so the message rate stays within what two cores carry),
 * {@code rollover.reconnectSpreadMillis} (the servers' {@code RECONNECT_SPREAD}).
 */
public final class RolloverHarness {

    private static final Logger LOG = Logger.getLogger(RolloverHarness.class.getName());
    private static final List<String> SLOTS = List.of("blue", "green");

    /** How big a run is. */
    public record Size(int clients, int rollovers, int roomSize, int pauseMillis, Duration reconnectSpread, boolean failover) {

        /**
         * {@code rollover.clients}, {@code .rollovers}, {@code .roomSize}, {@code .pauseMillis},
         * {@code .reconnectSpreadMillis}, and {@code rollover.failover}: SIGKILL the Redis primary
         * between the first two rollovers (with {@code it.redis.topology} sentinel or cluster).
         */
        public static Size fromSystemProperties(int clients, int rollovers) {
            int n = Integer.getInteger("rollover.clients", clients);
            return new Size(n,
                    Integer.getInteger("rollover.rollovers", rollovers),
                    Integer.getInteger("rollover.roomSize", 4),
                    Integer.getInteger("rollover.pauseMillis", Math.max(400, n * 4 / 5)),
                    Duration.ofMillis(Long.getLong("rollover.reconnectSpreadMillis", 3_000)),
                    Boolean.getBoolean("rollover.failover"));
        }
    }

    /** The stream whose primary is killed on a Cluster (on Sentinel there is one primary). */
    private static final String FAILOVER_KEY = "goingaway:{stream:room:r0}:meta";

    private final Size size;

    public RolloverHarness(Size size) {
        this.size = size;
    }

    public RolloverReport run() throws Exception {
        long runStart = System.nanoTime();
        RolloverReport report = new RolloverReport(size.clients());
        HaProxy.ensureInstalled();
        Map<String, Integer> idle = new LinkedHashMap<>();
        SLOTS.forEach(s -> idle.put(s, FreePort.pick())); // nothing listens there yet: both slots DOWN
        List<LibertyProcess> servers = new ArrayList<>();
        List<Signal> signals = new ArrayList<>();
        try (TestRedis redis = TestRedis.start();
             HaProxy proxy = HaProxy.start(idle);
             Fleet fleet = new Fleet(proxy.ws(null), size.pauseMillis())) {
            LibertyProcess serving = create(servers, "blue", 0, redis);
            startIn(proxy, "blue", serving).join();
            String servingSlot = "blue";
            // The next server starts while the clients connect and talk: its cold start overlaps the run.
            LibertyProcess next = size.rollovers() > 0 ? create(servers, "green", 1, redis) : null;
            CompletableFuture<Void> nextReady = next != null ? startIn(proxy, "green", next) : null;

            fleet.create(size.clients(), size.roomSize());
            fleet.connectAll(Duration.ofSeconds(60 + size.clients() / 50));
            LOG.log(Level.INFO, "{0} clients connected through haproxy to {1}", new Object[] {size.clients(), serving.name()});
            fleet.startTalking();
            awaitProgress(fleet, 2);

            for (int round = 1; round <= size.rollovers(); round++) {
                String nextSlot = other(servingSlot);
                nextReady.join();
                signals.add(new Signal(System.currentTimeMillis(), nextSlot));
                report.rounds.add(rollOver(fleet, serving, next, round));
                serving.close(); // exited already; makes sure of it
                serving = next;
                servingSlot = nextSlot;
                if (round < size.rollovers()) {
                    next = create(servers, other(nextSlot), round + 1, redis);
                    nextReady = startIn(proxy, other(nextSlot), next);
                }
                awaitProgress(fleet, 2);
                if (size.failover() && round == 1 && round < size.rollovers()) {
                    failOver(redis, serving, fleet, report);
                }
            }

            fleet.stopTalking();
            fleet.awaitAll("every message answered", RolloverClient::settled, Duration.ofSeconds(30));
            List<RolloverClient.Snapshot> snapshots = fleet.clients().stream().map(RolloverClient::snapshot).toList();
            readProxyLog(fleet, proxy, signals, report);
            Map<String, Long> stored = awaitStoredTotals(redis, snapshots);
            report.add(snapshots, stored);
            report.durationMillis = (System.nanoTime() - runStart) / 1_000_000;
            judge(report);
            return report;
        } finally {
            for (LibertyProcess server : servers) {
                server.close();
            }
        }
    }

    private static String other(String slot) {
        return slot.equals("blue") ? "green" : "blue";
    }

    /**
     * Kills the Redis primary while the clients talk, waits for the new one, and for the serving
     * instance to write through it again (its rooms continue in the new primary's epochs, each
     * member told with a reset), then for more traffic: the next rollover's resumes are then
     * positions in epochs the new primary knows.
     */
    private void failOver(TestRedis redis, LibertyProcess serving, Fleet fleet, RolloverReport report) throws Exception {
        long killed = System.nanoTime();
        var old = redis.killPrimary(FAILOVER_KEY);
        var now = redis.awaitFailover(FAILOVER_KEY, old, Duration.ofSeconds(60));
        report.failoverPromotedMillis = (System.nanoTime() - killed) / 1_000_000;
        dev.goingaway.testing.Await.until("the serving instance writes through the new primary", Duration.ofSeconds(60),
                () -> dev.goingaway.testing.Metrics.value(serving, "stream_store_up") == 1
                        && dev.goingaway.testing.Metrics.value(serving, "cluster_bus_up") == 1);
        report.failoverWritingMillis = (System.nanoTime() - killed) / 1_000_000;
        LOG.log(Level.INFO, "primary {0} killed, {1} promoted after {2} ms, writes through it after {3} ms",
                new Object[] {old, now, report.failoverPromotedMillis, report.failoverWritingMillis});
        awaitProgress(fleet, 2);
    }

    private LibertyProcess create(List<LibertyProcess> servers, String slot, int round, TestRedis redis)
            throws java.io.IOException {
        LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName(slot + round),
                LibertyProcess.env(redis.env("RECONNECT_SPREAD", size.reconnectSpread().toMillis() + "ms")));
        servers.add(server);
        return server;
    }

    /** Starts a server, points its slot at it, and completes once HAProxy sees it UP. */
    private static CompletableFuture<Void> startIn(HaProxy proxy, String slot, LibertyProcess server) {
        return CompletableFuture.runAsync(() -> {
            try {
                server.start();
                proxy.point(slot, server.httpPort());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            proxy.awaitStatus(slot, "UP", Duration.ofSeconds(30));
        });
    }

    /** When a rollover's SIGTERM was sent (wall clock, as HAProxy logs) and which slot took the clients. */
    private record Signal(long epochMillis, String newSlot) {
    }

    /**
     * HAProxy logs a connection when it ends, so a rollover's upgrades are in its log only once
     * their clients have gone: the fleet is closed first, and each rollover's view is read from
     * the connections accepted between its SIGTERM and the next one.
     */
    private static void readProxyLog(Fleet fleet, HaProxy proxy, List<Signal> signals, RolloverReport report)
            throws InterruptedException {
        fleet.close();
        try {
            Await.until("haproxy has logged every connection", Duration.ofSeconds(30), () -> {
                try {
                    return proxy.command("show info").lines().anyMatch(l -> l.equals("CurrConns: 0"));
                } catch (java.io.IOException e) {
                    return false;
                }
            });
        } catch (AssertionError e) {
            LOG.log(Level.WARNING, "reading the proxy log with connections still open: {0}", e.getMessage());
        }
        String log = proxy.log();
        for (int i = 0; i < signals.size(); i++) {
            long until = i + 1 < signals.size() ? signals.get(i + 1).epochMillis() : Long.MAX_VALUE;
            ProxyView view = ProxyView.of(log, signals.get(i).newSlot(), signals.get(i).epochMillis(), until);
            report.rounds.set(i, report.rounds.get(i).withProxy(view));
        }
    }

    private RolloverReport.Round rollOver(Fleet fleet, LibertyProcess old, LibertyProcess next, int round)
            throws InterruptedException {
        int moving = (int) fleet.count(c -> c.openOn(old.name()));
        long sigterm = System.nanoTime();
        old.sigterm();
        int exit = old.awaitExit(Duration.ofSeconds(20));
        long exitMillis = (System.nanoTime() - old.signalledAtNanos()) / 1_000_000;
        fleet.awaitAll("every client re-established on " + next.name(), c -> c.openOn(next.name()),
                Duration.ofSeconds(60 + size.reconnectSpread().toSeconds() + size.clients() / 100));
        long lastWelcome = fleet.welcomes().stream().filter(w -> w.instance().equals(next.name()) && w.nanos() >= sigterm)
                .mapToLong(Fleet.Welcome::nanos).max().orElse(sigterm);
        int peak = fleet.peakHandshakesPerSecond(next.name(), sigterm);
        // The server writes every bye within about a second; a client JVM that lags reads them later.
        long lastByeRead = fleet.clients().stream().mapToLong(RolloverClient::lastByeNanos).max().orElse(sigterm);
        long lastByeReadMillis = Math.max(0, lastByeRead - sigterm) / 1_000_000;
        LOG.log(Level.INFO, "rollover {0}: {1} -> {2}, {3} clients moved in {4} ms, peak {5} handshakes/s; last bye read by its client"
                        + " {6} ms after SIGTERM",
                new Object[] {round, old.name(), next.name(), moving, (lastWelcome - sigterm) / 1_000_000, peak, lastByeReadMillis});
        return new RolloverReport.Round(round, old.name(), next.name(), exit, exitMillis, (lastWelcome - sigterm) / 1_000_000,
                peak, moving, lastByeReadMillis, null);
    }

    /** Waits until every client has had {@code more} messages acknowledged since now. */
    private void awaitProgress(Fleet fleet, int more) {
        Map<Integer, Integer> base = new HashMap<>();
        fleet.clients().forEach(c -> base.put(c.index, c.ackedCount()));
        fleet.awaitAll("every client has " + more + " more messages acknowledged",
                c -> c.ackedCount() >= base.get(c.index) + more, Duration.ofSeconds(60 + size.clients() / 100));
    }

    /** Waits until Redis holds each session's total as its client counted it (written behind). */
    private Map<String, Long> awaitStoredTotals(TestRedis redis, List<RolloverClient.Snapshot> clients) {
        Map<String, Long> stored = new HashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        try (UnifiedJedis jedis = redis.client()) {
            while (true) {
                AbstractPipeline p = jedis.pipelined();
                Map<String, Response<String>> answers = new HashMap<>();
                clients.forEach(c -> answers.put(c.session(), p.hget("goingaway:session:" + c.session(), "total")));
                p.sync();
                stored.clear();
                answers.forEach((session, r) -> stored.put(session, r.get() == null ? -1 : Long.parseLong(r.get())));
                boolean all = clients.stream().allMatch(c -> stored.get(c.session()) == c.acked());
                if (all || System.nanoTime() > deadline) {
                    return stored;
                }
                Thread.sleep(100); // poll interval of a deadline-bounded wait
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return stored;
        }
    }

    private void judge(RolloverReport r) {
        r.check("no message lost", r.lost == 0, r.lost + " sent without ack or error");
        r.check("no message delivered twice", r.duplicateDeliveries == 0, r.duplicateDeliveries + " duplicate deliveries");
        r.check("no message counted twice", r.countedTwice == 0, r.countedTwice + " extra counts");
        r.check("every total continued correctly", r.totalsCorrect == r.clients,
                r.totalsCorrect + "/" + r.clients + " clients (welcome, ack and bye totals = distinct acked ids)");
        r.check("every total stored correctly", r.storedTotalsCorrect == r.clients,
                r.storedTotalsCorrect + "/" + r.clients + " sessions in Redis");
        r.check("fan-out complete to connected members", r.fanoutDelivered == r.fanoutExpected,
                r.fanoutDelivered + "/" + r.fanoutExpected);
        r.check("every acknowledged message reached every member once, reconnecting ones included",
                r.receiverDelivered == r.receiverExpected && r.duplicateDeliveries == 0,
                r.receiverDelivered + "/" + r.receiverExpected);
        if (size.failover()) {
            // A failover starts new epochs: members are told (a reset), and only that may break a sequence.
            r.check("every member saw its room's offsets in order, without a gap it was not told of",
                    r.offsetGaps == 0 && r.offsetRepeats == 0,
                    r.offsetRepeats + " out of order, " + r.offsetGaps + " gaps, " + r.resets + " resets announced");
        } else {
            r.check("every member saw its room's offsets in order, without a gap or a reset",
                    r.offsetGaps == 0 && r.offsetRepeats == 0 && r.resets == 0,
                    r.offsetRepeats + " out of order, " + r.offsetGaps + " gaps, " + r.resets + " resets");
        }
        r.check("every resume said recovered:true", r.recoveredFalse == 0 && r.recoveredTrue > 0,
                r.recoveredTrue + " recovered, " + r.recoveredFalse + " not");
        r.check("every welcomed connection ended with bye then 1001", r.closedWithoutBye == 0 && r.closeAfterByeNot1001 == 0,
                r.closedWithoutBye + " ended without bye, " + r.closeAfterByeNot1001 + " bye not followed by 1001");
        r.check("no answer for an id never sent", r.answersForUnknownIds == 0, Long.toString(r.answersForUnknownIds));
        r.check("every message answered while its connection was open", r.answerTimeouts == 0,
                r.answerTimeouts + " waited more than " + RolloverClient.ANSWER_TIMEOUT_MILLIS / 1000 + " s on an open connection");
        r.check("every client got a bye each rollover", r.byes == (long) r.clients * r.rounds.size(),
                r.byes + " byes for " + r.clients + " clients x " + r.rounds.size() + " rollovers");
        for (RolloverReport.Round round : r.rounds) {
            // How long the exit took is reported, not judged here: GracefulShutdownIT owns the 10 s bound,
            // and on a machine shared with other work Liberty's own stop after the drain varies a lot.
            r.check("rollover " + round.number() + ": old instance exited with 143 (SIGTERM)",
                    round.exitCode() == 143, "exit " + round.exitCode() + " after " + round.exitMillis() + " ms");
            r.check("rollover " + round.number() + ": every client moved", round.clientsMoved() == r.clients,
                    round.clientsMoved() + "/" + r.clients + " were on the old instance and came back on the new one");
        }
    }
}
