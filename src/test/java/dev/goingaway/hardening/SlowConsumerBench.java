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
 * reading, {@code -Dbench.scenarios=10,0,10,0}, alternating to show the run-to-run noise) it starts a fresh server and Redis, connects
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
    /** Mean pause 10 s: ~450-500 messages/s in all, below what this 2-core machine saturates at (~1,000/s). */
    private static final int PAUSE_MILLIS = Integer.getInteger("bench.pauseMillis", 20_000);
    private static final int TEXT = Integer.getInteger("bench.text", 200);
    /**
     * MB to push to each non-reader before measuring (0: none). With a fill the non-readers sit in
     * rooms of their own, each with a pump client sending 3.9 KB messages, so that their socket
     * buffers (~1.6 MB here) are full and their queues growing when the measurement and the
     * SIGTERM come; without, they are spread one per readers' room and only hold what the chat
     * sends them.
     */
    private static final int FILL_MB = Integer.getInteger("bench.fillMB", 0);
    /** Server HEARTBEAT_INTERVAL (the default is 25s). */
    private static final String HEARTBEAT = System.getProperty("bench.heartbeat", "25s");
    private static final String SCENARIOS = System.getProperty("bench.scenarios", "10,0,10,0");

    /** One scenario's numbers. */
    private record Result(int slowPercent, int readers, int stalled, long connectMillis, int acks, long p50, long p99,
                          long p999, long max, double slowClosed, double heartbeatClosed, long shutdownMillis, int exit,
                          int readersWithByeAnd1001, Map<String, Integer> otherEndings, String report) {
    }

    @Test
    void readersLatencyAndShutdownTimeWithAndWithoutClientsThatStopReading() throws Exception {
        List<Result> results = new ArrayList<>();
        for (String s : SCENARIOS.split(",")) {
            results.add(run(Integer.parseInt(s.trim())));
        }
        System.out.printf("%n=== SlowConsumerBench: %d clients, rooms of %d, %d-char messages, pause 0..%d ms, %d s measured,"
                + " non-readers filled with %d MB each ===%n", CLIENTS, ROOM, TEXT, PAUSE_MILLIS, SECONDS, FILL_MB);
        System.out.printf("%-9s %7s %7s %8s %7s %8s %8s %8s %8s %10s %10s %9s %12s%n", "stalled", "readers", "acks",
                "acks/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "slow-cl", "hb-closed", "SIGTERM->", "exit", "bye+1001");
        for (Result r : results) {
            System.out.printf("%-9s %7d %7d %8.0f %7.1f %8.1f %8.1f %8.1f %8.0f %10.0f %8d ms %9d %6d/%d%n",
                    r.slowPercent() + "%", r.readers(), r.acks(), r.acks() / (double) SECONDS, r.p50() / 1000.0,
                    r.p99() / 1000.0, r.p999() / 1000.0, r.max() / 1000.0, r.slowClosed(), r.heartbeatClosed(),
                    r.shutdownMillis(), r.exit(), r.readersWithByeAnd1001(), r.readers());
        }
        for (Result r : results) {
            System.out.printf("shutdown report (%d%% stalled): %s; readers without bye+1001: %s%n", r.slowPercent(),
                    r.report(), r.otherEndings());
        }
    }

    /** One pump per non-readers' room sends FILL_MB of 3.9 KB messages; returns when all are acknowledged. */
    private static void fill(LibertyProcess server, int stalledRooms) throws Exception {
        String big = "b".repeat(3_900);
        int perPump = FILL_MB * 1024 * 1024 / 3_900 + 1;
        long t0 = System.nanoTime();
        List<dev.goingaway.testing.Replies> pumps = new ArrayList<>();
        try {
            for (int r = 0; r < stalledRooms; r++) {
                dev.goingaway.testing.Replies p = dev.goingaway.testing.Replies.connect(server.ws("room=s" + r));
                p.nextFrame(Duration.ofSeconds(30));
                pumps.add(p);
            }
            for (int i = 0; i < perPump; i++) {
                for (dev.goingaway.testing.Replies p : pumps) {
                    p.wire().sendText(Wire.message("p" + i, big));
                }
            }
            Await.until("every pump message acknowledged", Duration.ofMinutes(10), () -> pumps.stream().allMatch(
                    p -> p.wire().texts().stream().filter(t -> t.startsWith("{\"type\":\"ack\"")).count() >= perPump));
        } finally {
            pumps.forEach(dev.goingaway.testing.Replies::close);
        }
        System.out.printf("filled: %d pumps x %d messages of 3.9 KB (%d MB to each non-reader) in %d ms; slow consumers closed so far: %.0f%n",
                stalledRooms, perPump, FILL_MB, (System.nanoTime() - t0) / 1_000_000,
                Prometheus.valueOrMissing(server, "ws_slow_consumers_closed_total"));
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
                     LibertyProcess.env("REDIS_URL", redis.url(), "HEARTBEAT_INTERVAL", HEARTBEAT,
                             // the pumps send as fast as they can; the readers stay far below any limit
                             "RATE_LIMIT", FILL_MB > 0 ? "1000000" : "50")).start()) {
            String text = "x".repeat(TEXT);
            // one non-reader per room while they last, so every room has readers and at most one stalled client
            int rooms = (CLIENTS + ROOM - 1) / ROOM;
            long t0 = System.nanoTime();
            List<Future<?>> pending = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                int n = i;
                int room = n % rooms;
                boolean stalls = n < stalledCount;
                String stalledRoom = FILL_MB > 0 ? "s" + (n / ROOM) : "r" + room;
                pending.add(connectors.submit(() -> {
                    if (stalls) {
                        stalled.add(WireClient.connect(server.ws("room=" + stalledRoom), Map.of(), false));
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

            if (FILL_MB > 0 && stalledCount > 0) {
                fill(server, (stalledCount + ROOM - 1) / ROOM);
            }
            readers.forEach(TimedTalker::startTalking);
            long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(WARMUP_SECONDS);
            Await.until("warm-up", Duration.ofSeconds(WARMUP_SECONDS + 5), () -> System.nanoTime() > warmupEnd);
            int[] startIndex = readers.stream().mapToInt(TimedTalker::acks).toArray();
            long measureEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
            Await.until("measurement window", Duration.ofSeconds(SECONDS + 5), () -> System.nanoTime() > measureEnd);
            List<Long> window = new ArrayList<>();
            long windowStart = measureEnd - TimeUnit.SECONDS.toNanos(SECONDS);
            // per second of the window: how many acks took over a second (a stall shows as a spike)
            int[] slowBySecond = new int[SECONDS + 1];
            for (int i = 0; i < readers.size(); i++) {
                long[] l = readers.get(i).latenciesMicros();
                long[] at = readers.get(i).ackedAtNanos();
                for (int j = startIndex[i]; j < l.length; j++) {
                    window.add(l[j]);
                    if (l[j] > 1_000_000) {
                        int sec = (int) Math.max(0, Math.min(SECONDS, (at[j] - windowStart) / 1_000_000_000L));
                        slowBySecond[sec]++;
                    }
                }
            }
            System.out.printf("acks over 1 s, by second of the window: %s%n", Arrays.toString(slowBySecond));
            long[] lat = window.stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(lat);
            Prometheus m = Prometheus.scrape(server);
            double slowClosed = m.value("ws_slow_consumers_closed_total");
            double hbClosed = m.value("ws_heartbeat_timeouts_total");

            server.sigterm();
            int exit = server.awaitExit(Duration.ofSeconds(30));
            long shutdownMillis = (System.nanoTime() - server.signalledAtNanos()) / 1_000_000;
            int clean = 0;
            Map<String, Integer> other = new java.util.TreeMap<>();
            for (TimedTalker r : readers) {
                r.stopTalking();
                boolean ended = r.wire().awaitEnd(Duration.ofSeconds(2));
                WireClient.Event close = r.wire().closeFrame();
                boolean bye = r.wire().texts().stream().anyMatch(t -> t.contains("\"type\":\"bye\""));
                if (bye && close != null && close.code() == 1001) {
                    clean++;
                } else {
                    List<WireClient.Event> ev = r.wire().events();
                    String end = !ended ? "still open" : close != null ? "close " + close.code()
                            : ev.get(ev.size() - 1).kind().toString();
                    other.merge((bye ? "bye, " : "no bye, ") + end, 1, Integer::sum);
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
                    TimedTalker.percentile(lat, 100), slowClosed, hbClosed, shutdownMillis, exit, clean, other, report);
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
