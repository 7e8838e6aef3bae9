package dev.goingaway.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import org.junit.jupiter.api.Test;

import dev.goingaway.testing.Await;
import dev.goingaway.testing.LibertyProcess;
import dev.goingaway.testing.Prometheus;
import dev.goingaway.testing.RedisProcess;
import dev.goingaway.testing.Replies;
import dev.goingaway.testing.Talker;
import dev.goingaway.testing.TimedTalker;
import dev.goingaway.testing.WireClient;

/**
 * Clients that stop reading (a frozen tab, a phone in a tunnel, a bot that only sends): each
 * fills its own send queue and socket buffers, is closed as a slow consumer, and costs the
 * readers next to it nothing; at shutdown it cannot hold the process past its bound.
 */
class SlowConsumerIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String TOKEN = "slow-consumer-token";
    /** A broadcast of ~3.9 KB fills a 4 KB receive window in one frame. */
    private static final String BIG = "b".repeat(3_900);

    /** Keeps posting broadcasts (closed loop) until stopped; counts the accepted ones. */
    private static Thread broadcaster(LibertyProcess server, AtomicBoolean stop, AtomicInteger accepted, int max) {
        Thread t = new Thread(() -> {
            String body = Json.createObjectBuilder().add("title", "load").add("message", BIG).build().toString();
            while (!stop.get() && accepted.get() < max) {
                try {
                    HttpResponse<String> r = server.post("/chat/api/broadcast", body,
                            "Content-Type", "application/json", "Authorization", "Bearer " + TOKEN);
                    if (r.statusCode() == 202) {
                        accepted.incrementAndGet();
                    }
                } catch (java.io.IOException e) {
                    return;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }, "broadcaster");
        t.setDaemon(true);
        return t;
    }

    @Test
    void aClientThatStopsReadingIsClosedAsASlowConsumerWithoutSlowingTheOthers() throws Exception {
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
        List<TimedTalker> talkers = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        try (RedisProcess redis = RedisProcess.start(0);
             LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName("slow"), LibertyProcess.env(
                     "REDIS_URL", redis.url(), "BROADCAST_TOKEN", TOKEN, "SEND_QUEUE_LIMIT", "128",
                     "RATE_LIMIT", "1000")).start()) {

            String room = "room=slowroom";
            for (int i = 0; i < 4; i++) {
                talkers.add(TimedTalker.connect("reader" + i, server.ws(room), timer, 10, "m".repeat(1_000)));
            }
            Await.until("the readers are welcomed", WAIT, () -> talkers.stream().allMatch(TimedTalker::welcomed));
            talkers.forEach(TimedTalker::startTalking);
            Await.until("a baseline of acks", Duration.ofSeconds(30), () -> talkers.stream().allMatch(t -> t.acks() >= 20));
            long[] baseline = TimedTalker.pooled(talkers);

            // The client that stops reading: it never starts its reader, and has a 4 KB receive buffer.
            try (WireClient stalled = WireClient.connect(server.ws(room), Map.of(), false)) {
                Await.until("the stalled client is registered", WAIT,
                        () -> Prometheus.valueOrMissing(server, "ws_sessions_active") == 5);
                AtomicInteger broadcasts = new AtomicInteger();
                Thread load = broadcaster(server, stop, broadcasts, Integer.MAX_VALUE);
                load.start();
                long start = System.nanoTime();
                Await.until("the server closed the stalled client as a slow consumer", Duration.ofSeconds(90),
                        () -> Prometheus.valueOrMissing(server, "ws_slow_consumers_closed_total") >= 1);
                long closedAfterMillis = (System.nanoTime() - start) / 1_000_000;
                Await.until("the stalled client is no longer counted as a session", Duration.ofSeconds(30),
                        () -> Prometheus.valueOrMissing(server, "ws_sessions_active") == 4);
                long removedAfterMillis = (System.nanoTime() - start) / 1_000_000;
                stop.set(true);
                load.join(10_000);

                long[] all = TimedTalker.pooled(talkers);
                long[] during = java.util.Arrays.copyOfRange(all, baseline.length, all.length);
                System.out.printf("slow consumer closed after %d ms (%d broadcasts of 3.9 KB), session removed after %d ms;"
                                + " reader ack latency before: p50 %d us p99 %d us; while it filled up: p50 %d us p99 %d us max %d us (%d acks)%n",
                        closedAfterMillis, broadcasts.get(), removedAfterMillis,
                        TimedTalker.percentile(baseline, 50), TimedTalker.percentile(baseline, 99),
                        TimedTalker.percentile(during, 50), TimedTalker.percentile(during, 99),
                        TimedTalker.percentile(during, 100), during.length);

                assertTrue(during.length >= 20, "the readers kept chatting while the stalled client filled up: " + during.length);
                assertTrue(TimedTalker.percentile(during, 99) < 1_000_000,
                        "readers' p99 ack latency stayed under 1 s: " + TimedTalker.percentile(during, 99) + " us");
                for (TimedTalker t : talkers) {
                    assertEquals(0, t.errors(), t.name() + ": no errors");
                    assertTrue(t.outstandingMillis() < 5_000, t.name() + ": no message waiting long for its ack");
                    assertTrue(!t.wire().ended(), t.name() + ": still connected");
                }
                assertTrue(server.messagesLog().contains("closed: send queue full"), "the slow-consumer close is logged");

                // What the stalled client actually gets once it reads again: everything the kernel
                // buffers held, then (if Liberty managed to write it) the close frame.
                stalled.startReading();
                assertTrue(stalled.awaitEnd(Duration.ofSeconds(30)), "the stalled client's connection has ended");
                WireClient.Event close = stalled.closeFrame();
                System.out.printf("stalled client received %d text frames, then %s%n", stalled.texts().size(),
                        close == null ? "no close frame (" + stalled.events().get(stalled.events().size() - 1).kind() + ")"
                                : "close " + close.code() + " '" + close.text() + "'");
                if (close != null) {
                    assertEquals(1008, close.code(), "a close frame, if it got through, is 1008 VIOLATED_POLICY");
                }
                // On the servlet transport the end of that connection is the application's own
                // doing (TcpClose), which degrades to a warning if it cannot reach the socket.
                assertTrue(!server.messagesLog().contains("cannot reach the socket"),
                        "the servlet transport reached the socket under the upgraded connection");
            }
        } finally {
            stop.set(true);
            talkers.forEach(TimedTalker::close);
            timer.shutdownNow();
            timer.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void sigtermWithClientsThatStopReadingStillExitsWithinTheBoundAndReadersGetTheirBye() throws Exception {
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
        List<Talker> readers = new ArrayList<>();
        List<WireClient> stalled = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        try (RedisProcess redis = RedisProcess.start(0);
             LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName("slowstop"), LibertyProcess.env(
                     "REDIS_URL", redis.url(), "RECONNECT_SPREAD", "1s", "RATE_LIMIT", "100000",
                     // large enough that the stalled clients are still open, queues full, at the signal
                     "SEND_QUEUE_LIMIT", "100000")).start()) {

            for (int i = 0; i < 20; i++) {
                readers.add(Talker.connect("reader" + i, server.ws("room=r" + i), timer, 50));
            }
            for (int i = 0; i < 10; i++) {
                stalled.add(WireClient.connect(server.ws("room=stalled"), Map.of(), false));
            }
            Await.until("everyone is connected", WAIT, () -> Prometheus.valueOrMissing(server, "ws_sessions_active") == 30);
            readers.forEach(Talker::startTalking);
            // A pump in the stalled clients' room sends 3,000 messages of 3.9 KB (12 MB to each
            // stalled client): more than the socket buffers hold (~4 MB at most here), so their
            // byes cannot be written when the signal comes.
            try (Replies pump = Replies.connect(server.ws("room=stalled"))) {
                pump.nextFrame(WAIT);
                for (int i = 0; i < 3_000; i++) {
                    pump.wire().sendText(Wire.message("p" + i, BIG));
                }
                Await.until("the pump's messages are all acknowledged", Duration.ofSeconds(120),
                        () -> pump.wire().texts().stream().filter(t -> t.startsWith("{\"type\":\"ack\"")).count() == 3_000);
            }
            assertEquals(0.0, Prometheus.scrape(server).value("ws_slow_consumers_closed_total"),
                    "the stalled clients are still connected (not slow-consumer closed)");
            Await.until("every reader has talked", Duration.ofSeconds(30), () -> readers.stream().allMatch(t -> t.ackCount() >= 3));

            server.sigterm();
            int exit = server.awaitExit(Duration.ofSeconds(15));
            long tookMillis = (System.nanoTime() - server.signalledAtNanos()) / 1_000_000;
            System.out.printf("SIGTERM -> exit %d ms with 20 readers and 10 stalled clients (exit code %d)%n", tookMillis, exit);
            assertTrue(tookMillis < 10_000, "process gone within 10 s of SIGTERM with stalled clients: " + tookMillis + " ms");

            for (Talker t : readers) {
                assertTrue(t.wire().awaitEnd(WAIT), t.name() + ": connection ended");
                WireClient.Event close = t.wire().closeFrame();
                assertNotNull(close, t.name() + ": got a close frame, events " + t.wire().events().size());
                assertEquals(1001, close.code(), t.name() + ": close 1001");
                assertNotNull(t.bye(), t.name() + ": got its bye although stalled clients shared the server");
                assertTrue(t.unanswered().size() <= 1, t.name() + ": unanswered " + t.unanswered());
            }
            try (var jedis = redis.client()) {
                String report = jedis.get("goingaway:shutdown:" + server.name());
                assertNotNull(report, "the shutdown report was stored");
                JsonObject r = dev.goingaway.testing.Json.parse(report);
                System.out.printf("shutdown report: %s%n", report);
                assertEquals(30, r.getInt("sessions"), "report: sessions at the signal (the pump has left)");
                assertTrue(r.getInt("byesSent") >= 20, "report: every reader's bye was written");
                assertTrue(r.getInt("byeFailures") >= 1,
                        "report: stalled clients' byes could not be written (the case this test is about)");
            }
        } finally {
            stop.set(true);
            readers.forEach(Talker::close);
            stalled.forEach(WireClient::close);
            timer.shutdownNow();
            timer.awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
