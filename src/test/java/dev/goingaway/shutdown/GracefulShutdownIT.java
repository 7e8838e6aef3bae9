package dev.goingaway.shutdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.json.JsonObject;

import org.junit.jupiter.api.Test;

import dev.goingaway.testing.Await;
import dev.goingaway.testing.Json;
import dev.goingaway.testing.LibertyProcess;
import dev.goingaway.testing.RedisProcess;
import dev.goingaway.testing.Talker;
import dev.goingaway.testing.WireClient;

import redis.clients.jedis.Jedis;

/**
 * The reason the project exists, proven on the real thing: the project's own Liberty server
 * as a process, a real Redis, 1,000 clients talking at the frame level, a real SIGTERM.
 */
class GracefulShutdownIT {

    private static final int CLIENTS = 1_000;

    /** One readiness answer seen by the poller: HTTP status (-1: refused) and body. */
    private record Probe(int status, String body) {
    }

    @Test
    void sigtermGivesEveryClientAnAnsweredMessageAByeAnd1001AndSavesEveryTotal() throws Exception {
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(4);
        List<Talker> talkers = new ArrayList<>();
        try (RedisProcess redis = RedisProcess.start(0);
             LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName("sigterm"),
                     LibertyProcess.env("REDIS_URL", redis.url(), "RECONNECT_SPREAD", "5s")).start()) {

            for (int i = 0; i < CLIENTS; i++) {
                // rooms of two: every message is fanned out to one other client as well
                talkers.add(Talker.connect("c" + i, server.ws("room=r" + (i / 2)), timer, 100));
            }
            Await.until("every client welcomed", Duration.ofSeconds(60),
                    () -> talkers.stream().allMatch(t -> t.sessionId() != null));
            talkers.forEach(Talker::startTalking);
            Await.until("every client has had three messages acknowledged", Duration.ofSeconds(120),
                    () -> talkers.stream().allMatch(t -> t.ackCount() >= 3));

            List<Probe> probes = new CopyOnWriteArrayList<>();
            Thread poller = new Thread(() -> {
                while (true) {
                    try {
                        var r = server.get("/health/ready");
                        probes.add(new Probe(r.statusCode(), r.body()));
                    } catch (java.io.IOException e) {
                        probes.add(new Probe(-1, e.toString()));
                        if (!server.portOpen()) {
                            return;
                        }
                    }
                }
            }, "readiness-poller");
            poller.setDaemon(true);
            poller.start();
            Await.until("readiness polled UP before the signal", Duration.ofSeconds(10),
                    () -> probes.stream().anyMatch(p -> p.status() == 200));

            server.sigterm();
            int exit = server.awaitExit(Duration.ofSeconds(15));
            long tookMillis = (System.nanoTime() - server.signalledAtNanos()) / 1_000_000;
            assertTrue(tookMillis < 10_000, "process must be gone within 10 s of SIGTERM, took " + tookMillis + " ms");
            assertEquals(143, exit, "exit status of a SIGTERM'd JVM");
            poller.join(5_000);

            for (Talker t : talkers) {
                assertTrue(t.wire().awaitEnd(Duration.ofSeconds(5)), t.name() + ": connection ended");
                List<WireClient.Event> events = t.wire().events();
                WireClient.Event close = t.wire().closeFrame();
                assertNotNull(close, t.name() + ": a close frame arrived (not a dropped connection); events " + tail(events));
                assertEquals(1001, close.code(), t.name() + ": close code is 1001 GOING_AWAY");
                WireClient.Event lastText = events.stream().filter(e -> e.kind() == WireClient.Event.Kind.TEXT)
                        .reduce((a, b) -> b).orElseThrow();
                assertTrue(lastText.nanos() <= close.nanos(), t.name() + ": bye came before the close frame");
                JsonObject bye = Json.parse(lastText.text());
                assertEquals("bye", bye.getString("type"), t.name() + ": the last frame before close is the bye");
                assertTrue(bye.getBoolean("bye"), t.name() + ": bye flag");
                assertEquals(t.sessionId(), bye.getString("session"), t.name() + ": bye names the session");
                assertEquals(t.ackCount(), bye.getJsonNumber("total").longValue(),
                        t.name() + ": bye total equals the messages this client had acknowledged");
                long reconnect = bye.getJsonNumber("reconnectAfterMs").longValue();
                assertTrue(reconnect >= 0 && reconnect <= 5_000, t.name() + ": reconnectAfterMs within RECONNECT_SPREAD");
                assertEquals(List.of(), t.answeredTwice(), t.name() + ": no message answered twice");
                // A message can only be unanswered if it crossed the bye on the wire: the client
                // sends one at a time, so at most one, and it was never counted (checked below).
                assertTrue(t.unanswered().size() <= 1, t.name() + ": unanswered " + t.unanswered());
            }

            try (Jedis jedis = redis.client()) {
                for (Talker t : talkers) {
                    String stored = jedis.hget("goingaway:session:" + t.sessionId(), "total");
                    assertEquals(Long.toString(t.ackCount()), stored,
                            t.name() + ": total in Redis equals the acks the client received");
                }
                String report = jedis.get("goingaway:shutdown:" + server.name());
                assertNotNull(report, "the shutdown report is kept in Redis");
                JsonObject r = Json.parse(report);
                assertEquals(CLIENTS, r.getInt("byesSent"), "report: byes sent");
                assertEquals(0, r.getInt("leftOpen"), "report: no session left open");
            }

            List<Integer> statuses = probes.stream().map(Probe::status).toList();
            int firstDown = statuses.indexOf(503);
            assertTrue(firstDown > 0, "readiness answered 503 after SIGTERM while the port was open: " + compress(statuses));
            assertTrue(probes.get(firstDown).body().contains("\"draining\":true"),
                    "the DOWN answer says why: " + probes.get(firstDown).body());
            assertTrue(statuses.subList(firstDown, statuses.size()).stream().noneMatch(s -> s == 200),
                    "readiness never went back UP: " + compress(statuses));

            String log = server.messagesLog();
            for (String event : List.of("ws_shutdown_started", "ws_shutdown_session_saved", "ws_shutdown_bye_sent",
                    "ws_shutdown_completed")) {
                assertTrue(log.contains(event), "log records " + event);
            }
            System.out.printf("SIGTERM -> exit %d ms with %d clients%n", tookMillis, CLIENTS);
        } finally {
            talkers.forEach(Talker::close);
            timer.shutdownNow();
            timer.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static List<WireClient.Event> tail(List<WireClient.Event> events) {
        return events.subList(Math.max(0, events.size() - 4), events.size());
    }

    /** 200 x 57, 503 x 12, -1 x 3: the readiness timeline in one line. */
    static String compress(List<Integer> statuses) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        while (i < statuses.size()) {
            int j = i;
            while (j < statuses.size() && statuses.get(j).equals(statuses.get(i))) {
                j++;
            }
            b.append(statuses.get(i)).append(" x ").append(j - i).append(j < statuses.size() ? ", " : "");
            i = j;
        }
        return b.toString();
    }

}
