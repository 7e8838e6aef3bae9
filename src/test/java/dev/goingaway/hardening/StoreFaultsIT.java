package dev.goingaway.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.json.JsonObject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.goingaway.testing.Await;
import dev.goingaway.testing.FreePort;
import dev.goingaway.testing.Json;
import dev.goingaway.testing.LibertyProcess;
import dev.goingaway.testing.Prometheus;
import dev.goingaway.testing.RedisProcess;
import dev.goingaway.testing.Replies;
import dev.goingaway.testing.Talker;
import dev.goingaway.testing.TimedTalker;
import dev.goingaway.testing.WireClient;

import redis.clients.jedis.Jedis;

/**
 * The store fails in every way a Redis can, on one server, in order: down when the server
 * starts, stopped mid-run, frozen (SIGSTOP) mid-run, frozen during the drain. Through all of
 * it chat goes on, the operator can see what is wrong (readiness data, metrics, log), and the
 * totals reach Redis once it is back. The last test stops the server.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StoreFaultsIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    /** How long an ack may take while the store is failing: it is never on the ack's path. */
    private static final long ACK_BOUND_MILLIS = 1_000;

    private static int redisPort;
    private static RedisProcess redis;
    private static LibertyProcess server;

    @BeforeAll
    static void startWithRedisDown() throws Exception {
        redisPort = FreePort.pick();
        server = LibertyProcess.create(LibertyProcess.uniqueName("store"), LibertyProcess.env(
                "REDIS_URL", "redis://127.0.0.1:" + redisPort, "RATE_LIMIT", "1000", "RECONNECT_SPREAD", "1s")).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (redis != null) {
            redis.close();
        }
        if (server != null) {
            server.close();
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** The data of the readiness check named "chat" (there are others; their order is not fixed). */
    private static JsonObject readiness() throws IOException {
        HttpResponse<String> r = server.get("/health/ready");
        JsonObject body = Json.parse(r.body());
        return body.getJsonArray("checks").stream().map(v -> v.asJsonObject())
                .filter(c -> "chat".equals(c.getString("name", ""))).findFirst()
                .orElseThrow(() -> new AssertionError("no readiness check named chat: " + r.body()))
                .getJsonObject("data");
    }

    private static boolean storeReachable() {
        try {
            return readiness().getBoolean("storeReachable");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String storedTotal(String session) {
        try (Jedis j = redis.client()) {
            return j.hget("goingaway:session:" + session, "total");
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Sends a message and returns its ack, failing if it takes longer than the bound. */
    private static JsonObject sendTimed(Replies c, String id) throws Exception {
        long start = System.nanoTime();
        c.wire().sendText(Wire.message(id, "while the store is in trouble"));
        JsonObject f;
        do {
            f = c.nextFrame(WAIT);
            // Its own copy of the message, and, when the store has just failed, the reset that
            // announces the room's local epoch (docs/RECOVERY.md) come before the ack.
        } while ("message".equals(f.getString("type")) || "reset".equals(f.getString("type")));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals("ack", f.getString("type"), id + ": acknowledged: " + f);
        assertTrue(millis < ACK_BOUND_MILLIS, id + ": ack within " + ACK_BOUND_MILLIS + " ms although the store is failing: "
                + millis + " ms");
        return f;
    }

    private static Replies welcomed(String query) throws Exception {
        Replies c = Replies.connect(server.ws(query));
        JsonObject w = c.nextFrame(WAIT);
        assertEquals("welcome", w.getString("type"), "welcomed: " + w);
        return c;
    }

    private static void assertOperatorSeesTheStoreDown(String phase) throws Exception {
        Await.until(phase + ": readiness says the store is unreachable", WAIT, () -> !storeReachable());
        HttpResponse<String> ready = server.get("/health/ready");
        assertEquals(200, ready.statusCode(), phase + ": the instance stays ready (chat works without the store)");
        JsonObject data = readiness();
        assertTrue(data.getString("storeError", "").length() > 0, phase + ": readiness says why: " + data);
        assertTrue(data.containsKey("storeDownSince"), phase + ": and since when: " + data);
        Prometheus m = Prometheus.scrape(server);
        assertEquals(0.0, m.value("store_up"), phase + ": store_up is 0");
        assertTrue(server.messagesLog().contains("store_unreachable"), phase + ": the log says so");
    }

    // ---- the faults ----------------------------------------------------------------------------

    @Test
    @Order(1)
    void redisDownAtStart_serverIsReadyChatWorksAndTotalsAreWrittenWhenRedisComesUp() throws Exception {
        assertOperatorSeesTheStoreDown("down at start");
        String session;
        try (Replies c = welcomed("room=start")) {
            for (int i = 1; i <= 3; i++) {
                assertEquals(i, sendTimed(c, "s" + i).getInt("total"), "counted while Redis is down");
            }
            session = readinessSessionOf(c);
        }
        Await.until("write failures are counted", WAIT,
                () -> Prometheus.valueOrMissing(server, "store_write_failures_total") > 0);
        assertTrue(Prometheus.scrape(server).value("store_pending_writes") >= 1, "the total waits to be written");

        redis = RedisProcess.start(redisPort);
        Await.until("the total written to Redis once it is up", Duration.ofSeconds(15), () -> "3".equals(storedTotal(session)));
        Await.until("readiness says the store is reachable again", WAIT, StoreFaultsIT::storeReachable);
        assertEquals(1.0, Prometheus.scrape(server).value("store_up"), "store_up is 1");
        assertTrue(server.messagesLog().contains("store_recovered"), "the recovery is logged");
    }

    /** The session id from the connection's welcome (the first frame it received). */
    private static String readinessSessionOf(Replies c) {
        return Json.parse(c.wire().texts().get(0)).getString("session");
    }

    @Test
    @Order(2)
    void redisStoppedMidRun_chatContinuesAndPendingTotalsAreWrittenWhenItReturns() throws Exception {
        try (Replies c = welcomed("room=midrun")) {
            String session = readinessSessionOf(c);
            sendTimed(c, "a1");
            sendTimed(c, "a2");
            Await.until("the first two written", WAIT, () -> "2".equals(storedTotal(session)));
            double failuresBefore = Prometheus.scrape(server).value("store_write_failures_total");

            redis.stop();
            for (int i = 3; i <= 5; i++) {
                assertEquals(i, sendTimed(c, "a" + i).getInt("total"), "counted while Redis is stopped");
            }
            assertOperatorSeesTheStoreDown("stopped mid-run");
            Await.until("the failed writes are counted", WAIT,
                    () -> Prometheus.valueOrMissing(server, "store_write_failures_total") > failuresBefore);

            redis.startProcess(); // an empty Redis: the restart lost the earlier data
            Await.until("the pending total is written to the restarted Redis", Duration.ofSeconds(15),
                    () -> "5".equals(storedTotal(session)));
            Await.until("reachable again", WAIT, StoreFaultsIT::storeReachable);
        }
    }

    @Test
    @Order(3)
    void redisFrozenMidRun_chatAndResumesContinueWithinBoundsAndWritesCatchUpAfterThaw() throws Exception {
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
        ExecutorService resumers = Executors.newFixedThreadPool(16);
        String earlier;
        try (Replies first = welcomed("room=frozen")) {
            earlier = readinessSessionOf(first);
            sendTimed(first, "e1");
            sendTimed(first, "e2");
            Await.until("the earlier session's total written", WAIT, () -> "2".equals(storedTotal(earlier)));
        }
        // sessions that will come back while Redis is frozen (a reconnect storm after a deploy)
        List<String> storm = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            try (Replies c = welcomed("room=storm" + i)) {
                storm.add(readinessSessionOf(c));
                sendTimed(c, "storm" + i);
            }
        }
        Await.until("the storm sessions' totals written", WAIT, () -> storm.stream().allMatch(s -> "1".equals(storedTotal(s))));

        try (TimedTalker bystander = TimedTalker.connect("bystander", server.ws("room=bystander"), timer, 20, "hi")) {
            Await.until("bystander welcomed", WAIT, bystander::welcomed);
            bystander.startTalking();
            Await.until("bystander talking", WAIT, () -> bystander.acks() >= 5);
            int acksBefore = bystander.acks();
            double failuresBefore = Prometheus.scrape(server).value("store_write_failures_total");

            redis.freeze();
            try {
                // The earlier session resumes: its stored total cannot be read in time.
                long start = System.nanoTime();
                try (Replies resumed = Replies.connect(server.ws("room=frozen&session=" + earlier))) {
                    JsonObject welcome = resumed.nextFrame(WAIT);
                    long welcomeMillis = (System.nanoTime() - start) / 1_000_000;
                    assertEquals("welcome", welcome.getString("type"), "welcomed while Redis is frozen");
                    assertEquals(earlier, welcome.getString("session"), "the same session");
                    assertTrue(welcomeMillis < 3_000, "the welcome waited for Redis only as long as REDIS_TIMEOUT allows: "
                            + welcomeMillis + " ms");
                    // it re-sends the last message it sent before (it never saw that ack, say):
                    // acknowledged again, and must not be counted twice once the stored ids are known
                    sendTimed(resumed, "e2");
                    for (int i = 3; i <= 5; i++) {
                        sendTimed(resumed, "e" + i);
                    }
                }
                // ... leaves, and comes back once more before Redis answers again.
                try (Replies again = welcomed("room=frozen&session=" + earlier)) {
                    for (int i = 6; i <= 7; i++) {
                        sendTimed(again, "e" + i);
                    }
                }
                // ... and so do 40 others at once.
                List<Future<long[]>> welcomes = new ArrayList<>();
                for (String s : storm) {
                    welcomes.add(resumers.submit(() -> {
                        long t0 = System.nanoTime();
                        try (Replies c = Replies.connect(server.ws("room=back-" + s + "&session=" + s))) {
                            c.nextFrame(Duration.ofSeconds(30));
                            long t1 = System.nanoTime();
                            c.wire().sendText(Wire.message("again", "back"));
                            JsonObject f = c.nextFrame(WAIT);
                            while ("message".equals(f.getString("type")) || "reset".equals(f.getString("type"))) {
                                f = c.nextFrame(WAIT); // its own copy first, after a reset to a local epoch
                            }
                            assertEquals("ack", f.getString("type"), "acknowledged");
                            return new long[] {(t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000};
                        }
                    }));
                }
                long[] welcomeMillis = new long[storm.size()];
                long[] ackMillis = new long[storm.size()];
                for (int i = 0; i < welcomes.size(); i++) {
                    long[] r = welcomes.get(i).get(60, TimeUnit.SECONDS);
                    welcomeMillis[i] = r[0];
                    ackMillis[i] = r[1];
                }
                long slowest = TimedTalker.percentile(welcomeMillis, 100);
                System.out.printf("frozen Redis: 40 resumes at once: welcome p50 %d ms max %d ms; their first ack p50 %d ms max %d ms%n",
                        TimedTalker.percentile(welcomeMillis, 50), slowest,
                        TimedTalker.percentile(ackMillis, 50), TimedTalker.percentile(ackMillis, 100));
                assertOperatorSeesTheStoreDown("frozen");
                Await.until("the frozen store's write failures are counted", Duration.ofSeconds(15),
                        () -> Prometheus.valueOrMissing(server, "store_write_failures_total") > failuresBefore);

                long[] frozenLatencies = bystander.latenciesMicros();
                frozenLatencies = java.util.Arrays.copyOfRange(frozenLatencies, acksBefore, frozenLatencies.length);
                System.out.printf("frozen Redis: bystander p50 %d us, p99 %d us, max %d us over %d acks%n",
                        TimedTalker.percentile(frozenLatencies, 50), TimedTalker.percentile(frozenLatencies, 99),
                        TimedTalker.percentile(frozenLatencies, 100), frozenLatencies.length);
                assertTrue(frozenLatencies.length >= 10, "the bystander kept chatting while Redis was frozen");
                assertTrue(TimedTalker.percentile(frozenLatencies, 100) < ACK_BOUND_MILLIS * 1_000,
                        "no bystander ack took longer than " + ACK_BOUND_MILLIS + " ms while Redis was frozen");
                assertTrue(TimedTalker.percentile(ackMillis, 100) < ACK_BOUND_MILLIS,
                        "every resumed client's first ack came within " + ACK_BOUND_MILLIS + " ms");
                assertTrue(slowest < 3_000, "each resume during the storm was welcomed within 3 s: " + slowest);
            } finally {
                redis.thaw();
            }
            try {
                Await.until("the resumed session is reconciled: 2 stored + 3 + 2 counted while frozen, the re-sent e2 not again", Duration.ofSeconds(15),
                        () -> "7".equals(storedTotal(earlier)));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; stored total is " + storedTotal(earlier), e);
            }
            Await.until("every storm session reconciled: 1 stored + 1 counted while frozen", Duration.ofSeconds(15),
                    () -> storm.stream().allMatch(s -> "2".equals(storedTotal(s))));
            Await.until("reachable after thaw", WAIT, StoreFaultsIT::storeReachable);
            assertEquals(0, bystander.errors(), "the bystander never got an error");
        } finally {
            resumers.shutdownNow();
            timer.shutdownNow();
        }
    }

    @Test
    @Order(4)
    void redisFrozenDuringTheDrain_shutdownBoundHoldsAndEveryClientGetsByeAnd1001() throws Exception {
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
        List<Talker> talkers = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                talkers.add(Talker.connect("t" + i, server.ws("room=drain" + (i % 4)), timer, 30));
            }
            Await.until("all welcomed", WAIT, () -> talkers.stream().allMatch(t -> t.sessionId() != null));
            talkers.forEach(Talker::startTalking);
            Await.until("all talking", Duration.ofSeconds(30), () -> talkers.stream().allMatch(t -> t.ackCount() >= 3));

            redis.freeze();
            try {
                server.sigterm();
                int exit = server.awaitExit(Duration.ofSeconds(15));
                long tookMillis = (System.nanoTime() - server.signalledAtNanos()) / 1_000_000;
                System.out.printf("SIGTERM with Redis frozen -> exit %d ms (code %d)%n", tookMillis, exit);
                assertTrue(tookMillis < 10_000, "gone within 10 s of SIGTERM although Redis is frozen: " + tookMillis + " ms");
                assertEquals(143, exit, "exit status of a SIGTERM'd JVM");
            } finally {
                redis.thaw();
            }
            for (Talker t : talkers) {
                assertTrue(t.wire().awaitEnd(WAIT), t.name() + ": connection ended");
                WireClient.Event close = t.wire().closeFrame();
                assertNotNull(close, t.name() + ": a close frame, not a dropped connection");
                assertEquals(1001, close.code(), t.name() + ": close 1001");
                assertNotNull(t.bye(), t.name() + ": got the bye");
                assertEquals(t.ackCount(), t.bye().getJsonNumber("total").longValue(), t.name() + ": bye total = acks");
                assertTrue(t.unanswered().size() <= 1, t.name() + ": unanswered " + t.unanswered());
            }
            String log = server.messagesLog();
            assertTrue(log.contains("ws_shutdown_completed"), "the drain completed");
            assertFalse(log.contains("ws_shutdown_forced"), "without the watchdog having to halt the JVM");
        } finally {
            talkers.forEach(Talker::close);
            timer.shutdownNow();
        }
    }
}
