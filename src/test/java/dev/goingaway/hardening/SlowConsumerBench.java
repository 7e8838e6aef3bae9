package dev.goingaway.hardening;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.goingaway.testing.Await;
import dev.goingaway.testing.Json;
import dev.goingaway.testing.LibertyProcess;
import dev.goingaway.testing.Prometheus;
import dev.goingaway.testing.RedisProcess;
import dev.goingaway.testing.TimedTalker;
import dev.goingaway.testing.WireClient;

/**
 * Load benchmark, not a test: nothing here is asserted, it prints numbers. Run with
 * {@code ./mvnw -B -ntp verify -Pbench-slow} (the profile runs only {@code *Bench} classes;
 * {@code verify} without it never runs this). For each scenario (percent of clients that stop
 * reading, {@code -Dbench.scenarios=10,0}) it starts a fresh server and Redis, connects
 * {@code bench.clients} clients in rooms of {@code bench.room} (the non-readers spread one per
 * room), lets the readers chat in a closed loop ({@code bench.text} characters, a random pause
 * of up to {@code bench.pauseMillis}), measures the readers' send-to-ack latency over
 * {@code bench.seconds}, then sends SIGTERM and measures the time to exit.
 */
class SlowConsumerBench {

    private static final int CLIENTS = Integer.getInteger("bench.clients", 5_000);
    private static final int ROOM = Integer.getInteger("bench.room", 10);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 30);
    private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmup", 10);
    private static final int PAUSE_MILLIS = Integer.getInteger("bench.pauseMillis", 9_000);
    private static final int TEXT = Integer.getInteger("bench.text", 200);
    private static final String SCENARIOS = System.getProperty("bench.scenarios", "10,0");

    /** One scenario's numbers. */
    private record Result(int slowPercent, int readers, int stalled, long connectMillis, int acks, long p50, long p99,
                          long p999, long max, double slowClosed, double heartbeatClosed, long shutdownMillis, int exit,
                          int readersWithByeAnd1001, String report) {
    }

    @Test
    void readersLatencyAndShutdownTimeWithAndWithoutClientsThatStopReading() throws Exception {
        List<Result> results = new ArrayList<>();
        for (String s : SCENARIOS.split(",")) {
            results.add(run(Integer.parseInt(s.trim())));
        }
        System.out.printf("%n=== SlowConsumerBench: %d clients, rooms of %d, %d-char messages, pause 0..%d ms, %d s measured ===%n",
                CLIENTS, ROOM, TEXT, PAUSE_MILLIS, SECONDS);
        System.out.printf("%-9s %7s %7s %8s %7s %8s %8s %8s %8s %10s %10s %9s %12s%n", "stalled", "readers", "acks",
                "acks/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "slow-cl", "hb-closed", "SIGTERM->", "exit", "bye+1001");
        for (Result r : results) {
            System.out.printf("%-9s %7d %7d %8.0f %7.1f %8.1f %8.1f %8.1f %8.0f %10.0f %8d ms %9d %6d/%d%n",
                    r.slowPercent() + "%", r.readers(), r.acks(), r.acks() / (double) SECONDS, r.p50() / 1000.0,
                    r.p99() / 1000.0, r.p999() / 1000.0, r.max() / 1000.0, r.slowClosed(), r.heartbeatClosed(),
                    r.shutdownMillis(), r.exit(), r.readersWithByeAnd1001(), r.readers());
        }
        for (Result r : results) {
            System.out.printf("shutdown report (%d%% stalled): %s%n", r.slowPercent(), r.report());
        }
    }

    private Result run(int slowPercent) throws Exception {
        int stalledCount = CLIENTS * slowPercent / 100;
        System.out.printf("--- scenario: %d clients, %d of them stop reading ---%n", CLIENTS, stalledCount);
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(4);
        ExecutorService connectors = Executors.newFixedThreadPool(16);
        List<TimedTalker> readers = Collections.synchronizedList(new ArrayList<>());
        List<WireClient> stalled = Collections.synchronizedList(new ArrayList<>());
        try (RedisProcess redis = RedisProcess.start(0);
             LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName("bench" + slowPercent),
                     LibertyProcess.env("REDIS_URL", redis.url())).start()) {
            String text = "x".repeat(TEXT);
            // one non-reader per room while they last, so every room has readers and at most one stalled client
            int rooms = (CLIENTS + ROOM - 1) / ROOM;
            long t0 = System.nanoTime();
            List<Future<?>> pending = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                int n = i;
                int room = n % rooms;
                boolean stalls = n < stalledCount;
                pending.add(connectors.submit(() -> {
                    if (stalls) {
                        stalled.add(WireClient.connect(server.ws("room=r" + room), Map.of(), false));
                    } else {
                        readers.add(TimedTalker.connect("c" + n, server.ws("room=r" + room), timer, PAUSE_MILLIS, text));
                    }
                    return null;
                }));
            }
            for (Future<?> f : pending) {
                f.get(5, TimeUnit.MINUTES);
            }
            Await.until("every reader welcomed", Duration.ofMinutes(2), () -> readers.stream().allMatch(TimedTalker::welcomed));
            Await.until("every client registered", Duration.ofMinutes(2),
                    () -> Prometheus.valueOrMissing(server, "ws_sessions_active") == CLIENTS);
            long connectMillis = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("connected %d readers and %d stalled clients in %d ms%n", readers.size(), stalled.size(), connectMillis);

            readers.forEach(TimedTalker::startTalking);
            long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(WARMUP_SECONDS);
            Await.until("warm-up", Duration.ofSeconds(WARMUP_SECONDS + 5), () -> System.nanoTime() > warmupEnd);
            int[] startIndex = readers.stream().mapToInt(TimedTalker::acks).toArray();
            long measureEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
            Await.until("measurement window", Duration.ofSeconds(SECONDS + 5), () -> System.nanoTime() > measureEnd);
            List<Long> window = new ArrayList<>();
            for (int i = 0; i < readers.size(); i++) {
                long[] l = readers.get(i).latenciesMicros();
                for (int j = startIndex[i]; j < l.length; j++) {
                    window.add(l[j]);
                }
            }
            long[] lat = window.stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(lat);
            Prometheus m = Prometheus.scrape(server);
            double slowClosed = m.value("ws_slow_consumers_closed_total");
            double hbClosed = m.value("ws_heartbeat_timeouts_total");

            server.sigterm();
            int exit = server.awaitExit(Duration.ofSeconds(30));
            long shutdownMillis = (System.nanoTime() - server.signalledAtNanos()) / 1_000_000;
            int clean = 0;
            for (TimedTalker r : readers) {
                r.stopTalking();
                if (r.wire().awaitEnd(Duration.ofSeconds(2))) {
                    WireClient.Event close = r.wire().closeFrame();
                    boolean bye = r.wire().texts().stream().anyMatch(t -> t.contains("\"type\":\"bye\""));
                    if (bye && close != null && close.code() == 1001) {
                        clean++;
                    }
                }
            }
            String report;
            try (var jedis = redis.client()) {
                report = jedis.get("goingaway:shutdown:" + server.name());
            }
            if (report != null) {
                var r = Json.parse(report);
                report = "durationMs=" + r.getJsonNumber("durationMs") + " byesSent=" + r.getInt("byesSent")
                        + " byeFailures=" + r.getInt("byeFailures") + " closed=" + r.getInt("closed")
                        + " leftOpen=" + r.getInt("leftOpen") + " phases=" + r.getJsonObject("phases");
            }
            Result result = new Result(slowPercent, readers.size(), stalled.size(), connectMillis, lat.length,
                    TimedTalker.percentile(lat, 50), TimedTalker.percentile(lat, 99), TimedTalker.percentile(lat, 99.9),
                    TimedTalker.percentile(lat, 100), slowClosed, hbClosed, shutdownMillis, exit, clean, report);
            System.out.println(result);
            return result;
        } finally {
            readers.forEach(TimedTalker::close);
            stalled.forEach(WireClient::close);
            connectors.shutdownNow();
            timer.shutdownNow();
            timer.awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
