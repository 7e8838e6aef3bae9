package dev.goingaway.shutdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

/**
 * The 10-second promise when things are broken: Redis frozen or gone during the drain, and
 * clients that stopped reading with megabytes queued for them.
 */
class ShutdownFaultsIT {

    private static final int TALKERS = 200;
    private static final int STUCK = 50;

    @Test
    void frozenRedisAndClientsThatStopReadingStillEndWithinTenSeconds() throws Exception {
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
        List<Talker> talkers = new ArrayList<>();
        List<WireClient> stuck = new ArrayList<>();
        try (RedisProcess redis = RedisProcess.start(0);
             LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName("faults"),
                     LibertyProcess.env("REDIS_URL", redis.url(), "SEND_QUEUE_LIMIT", "1000000", "RATE_LIMIT", "100000"))
                     .start()) {
            for (int i = 0; i < TALKERS; i++) {
                talkers.add(Talker.connect("t" + i, server.ws("room=ok" + (i / 2)), timer, 50));
            }
            for (int i = 0; i < STUCK; i++) {
                stuck.add(WireClient.connect(server.ws("room=stuck"), Map.of(), false));
            }
            Await.until("talkers welcomed", Duration.ofSeconds(60), () -> talkers.stream().allMatch(t -> t.sessionId() != null));
            talkers.forEach(Talker::startTalking);

            // Megabytes for the stuck room: far more than their socket buffers hold.
            try (WireClient spammer = WireClient.connect(server.ws("room=stuck"))) {
                String big = "z".repeat(3_900);
                for (int i = 0; i < 1_500; i++) {
                    spammer.sendText("{\"type\":\"message\",\"text\":\"" + big + "\",\"id\":\"s" + i + "\"}");
                }
                spammer.awaitText(t -> t.contains("\"id\":\"s1499\""), Duration.ofSeconds(60));
            }
            Await.until("talkers acknowledged while the stuck clients pile up", Duration.ofSeconds(60),
                    () -> talkers.stream().allMatch(t -> t.ackCount() >= 2));

            redis.freeze();
            try {
                server.sigterm();
                int exit = server.awaitExit(Duration.ofSeconds(15));
                long took = (System.nanoTime() - server.signalledAtNanos()) / 1_000_000;
                assertTrue(took < 10_000, "gone within 10 s of SIGTERM with Redis frozen and 50 stuck clients, took " + took);
                assertEquals(143, exit, "SIGTERM exit status");
                System.out.printf("frozen Redis + %d stuck clients: SIGTERM -> exit %d ms%n", STUCK, took);
            } finally {
                redis.thaw();
            }

            for (Talker t : talkers) {
                assertTrue(t.wire().awaitEnd(Duration.ofSeconds(5)), t.name() + " ended");
                WireClient.Event close = t.wire().closeFrame();
                assertNotNull(close, t.name() + ": got a close frame despite the stuck clients");
                assertEquals(1001, close.code(), t.name() + ": 1001");
                assertNotNull(t.bye(), t.name() + ": got its bye");
            }
            String log = server.messagesLog();
            assertTrue(log.contains("ws_shutdown_bye_failed"), "clients that did not read their bye are logged by session");
            assertTrue(log.contains("ws_shutdown_completed"), "the drain completed (or the watchdog logged why not)"
                    + (log.contains("ws_shutdown_forced") ? " — forced" : ""));
            assertTrue(log.contains("store_unreachable") || log.contains("shutdown report not stored"),
                    "the frozen store is reported");
        } finally {
            talkers.forEach(Talker::close);
            stuck.forEach(WireClient::close);
            timer.shutdownNow();
            timer.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void stoppedRedisStillGivesEveryClientItsBye() throws Exception {
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
        List<Talker> talkers = new ArrayList<>();
        try (RedisProcess redis = RedisProcess.start(0);
             LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName("noredis"),
                     LibertyProcess.env("REDIS_URL", redis.url())).start()) {
            for (int i = 0; i < TALKERS; i++) {
                talkers.add(Talker.connect("n" + i, server.ws("room=r" + i), timer, 50));
            }
            Await.until("talkers welcomed", Duration.ofSeconds(60), () -> talkers.stream().allMatch(t -> t.sessionId() != null));
            talkers.forEach(Talker::startTalking);
            Await.until("talking", Duration.ofSeconds(60), () -> talkers.stream().allMatch(t -> t.ackCount() >= 2));

            redis.stop();
            server.sigterm();
            server.awaitExit(Duration.ofSeconds(15));
            long took = (System.nanoTime() - server.signalledAtNanos()) / 1_000_000;
            assertTrue(took < 10_000, "gone within 10 s with Redis down, took " + took);
            for (Talker t : talkers) {
                assertTrue(t.wire().awaitEnd(Duration.ofSeconds(5)), t.name() + " ended");
                assertEquals(1001, t.wire().closeFrame().code(), t.name() + ": 1001");
                JsonObject bye = t.bye();
                assertNotNull(bye, t.name() + ": bye");
                assertEquals(t.ackCount(), bye.getJsonNumber("total").longValue(), t.name() + ": bye total");
            }
            String log = server.messagesLog();
            assertTrue(log.contains("store_unreachable"), "the Redis outage is logged");
            assertTrue(log.contains("shutdown report not stored"), "the unsaved report is logged");
            System.out.printf("Redis down: SIGTERM -> exit %d ms%n", took);
        } finally {
            talkers.forEach(Talker::close);
            timer.shutdownNow();
        }
    }

}
