package dev.goingaway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.json.JsonObject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.goingaway.testing.Await;
import dev.goingaway.testing.LibertyProcess;
import dev.goingaway.testing.Metrics;
import dev.goingaway.testing.TestRedis;

/**
 * Receiver-side recovery (DESIGN.md, "Positions and recovery") on two real Liberty servers
 * sharing one real Redis (one node, Sentinel or Cluster: {@link TestRedis}): a client that leaves and comes back, on the other instance, with the
 * position it last saw gets exactly what it missed, in order, after its welcome and before
 * anything live, or is told plainly that it cannot; and an instance whose subscription is killed
 * mid-traffic still gives its members every offset once and in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RecoveryIT {

    private static final String TOKEN = "recovery-it-token";
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** The default window: the subscription kills below must not exceed it, the window test does. */
    private static final int HISTORY = 200;

    private TestRedis redis;
    private LibertyProcess a;
    private LibertyProcess b;

    @BeforeAll
    void startTwoInstances() throws Exception {
        redis = TestRedis.start();
        var env = LibertyProcess.env(redis.env("BROADCAST_TOKEN", TOKEN,
                "HISTORY_SIZE", Integer.toString(HISTORY), "RATE_LIMIT", "500"));
        a = LibertyProcess.create(LibertyProcess.uniqueName("recover-a"), env);
        b = LibertyProcess.create(LibertyProcess.uniqueName("recover-b"), env);
        CompletableFuture.allOf(CompletableFuture.runAsync(() -> start(a)), CompletableFuture.runAsync(() -> start(b))).join();
    }

    private static void start(LibertyProcess server) {
        try {
            server.start();
        } catch (Exception e) {
            throw new IllegalStateException("server " + server.name() + " did not start", e);
        }
    }

    @AfterAll
    void stopEverything() throws Exception {
        try (TestRedis r = redis; LibertyProcess x = a; LibertyProcess y = b) {
            // closes all three, whatever fails
        }
    }

    private static long offset(JsonObject frame) {
        return frame.getJsonNumber("offset").longValue();
    }

    /** The position of the last frame of a type a peer received, as {@code EPOCH:OFFSET}. */
    private static String lastPosition(Peer p, String stream, String type) {
        String epoch = p.welcome().getJsonObject("streams").getJsonObject(stream).getString("epoch");
        List<JsonObject> got = p.frames(type);
        long last = got.isEmpty() ? p.welcome().getJsonObject("streams").getJsonObject(stream).getJsonNumber("offset").longValue()
                : offset(got.get(got.size() - 1));
        return epoch + ":" + last;
    }

    /** The texts of the frames between the welcome and the first frame that is not one of {@code type}. */
    private static List<String> replayed(Peer p, String type) {
        List<String> out = new ArrayList<>();
        List<String> texts = p.texts();
        for (String t : texts.subList(1, texts.size())) {
            if (!t.contains("\"type\":\"" + type + "\"")) {
                break;
            }
            out.add(t);
        }
        return out;
    }

    @Test
    void aMemberThatMissedMessagesGetsExactlyThoseInOrderOnTheOtherInstance() throws Exception {
        String session;
        String since;
        try (Peer sender = Peer.connect(b.ws("room=rec1"));
             Peer member = Peer.connect(a.ws("room=rec1"))) {
            session = member.session();
            sender.sayAcked("s-0", "before");
            member.awaitMessage("before");
            since = lastPosition(member, "room", "message");
            member.leave();
            for (int i = 1; i <= 5; i++) {
                sender.sayAcked("s-" + i, "missed " + i);
            }
            try (Peer back = Peer.connect(b.ws("room=rec1&session=" + session + "&since=" + since))) {
                assertEquals(b.name(), back.instance(), "resumed on the other instance");
                JsonObject welcome = back.welcome();
                assertEquals(true, welcome.getBoolean("recovered"), "recovered: " + welcome);
                assertTrue(welcome.getJsonObject("streams").getJsonObject("room").getBoolean("recovered"));
                Await.until("the five missed messages are replayed", WAIT, () -> back.frames("message").size() >= 5);
                assertEquals(5, replayed(back, "message").size(), "right after the welcome, before anything else: " + back.texts());
                List<JsonObject> got = back.frames("message");
                long first = Long.parseLong(since.substring(since.indexOf(':') + 1)) + 1;
                for (int i = 0; i < 5; i++) {
                    assertEquals("missed " + (i + 1), got.get(i).getString("text"), "in order: " + got);
                    assertEquals(first + i, offset(got.get(i)), "offsets follow on from the position given");
                }
                assertEquals(0, back.messages("before"), "nothing the member had seen is sent again");
                sender.sayAcked("s-live", "live after");
                JsonObject live = back.awaitMessage("live after");
                assertEquals(first + 5, offset(live), "live continues right after the replay");
                assertEquals(6, back.frames("message").size(), "each exactly once");
            }
        }
        assertTrue(Metrics.value(b, "stream_recoveries_succeeded_total") >= 1, "counted as recovered");
        assertTrue(Metrics.value(b, "stream_messages_replayed_total") >= 5, "and the replayed messages counted");
    }

    @Test
    void beyondTheWindowTheResumeSaysRecoveredFalseAndReplaysNothing() throws Exception {
        try (Peer sender = Peer.connect(a.ws("room=rec2"));
             Peer member = Peer.connect(a.ws("room=rec2"))) {
            sender.sayAcked("w-0", "seen");
            member.awaitMessage("seen");
            String since = lastPosition(member, "room", "message");
            String session = member.session();
            member.leave();
            // Twice the window: Redis trims whole nodes of 100 entries (MAXLEN ~), so a stream
            // holds between HISTORY and HISTORY + 100 of its last messages.
            for (int i = 1; i <= 2 * HISTORY; i++) {
                sender.sayAcked("w-" + i, "flood " + i);
            }
            try (Peer back = Peer.connect(b.ws("room=rec2&session=" + session + "&since=" + since))) {
                assertFalse(back.welcome().getBoolean("recovered"), "older than the window: " + back.welcome());
                assertFalse(back.welcome().getJsonObject("streams").getJsonObject("room").getBoolean("recovered"));
                sender.sayAcked("w-live", "after the gap");
                back.awaitMessage("after the gap");
                assertEquals(1, back.frames("message").size(), "nothing replayed, only the live message: " + back.texts());
                long top = back.welcome().getJsonObject("streams").getJsonObject("room").getJsonNumber("offset").longValue();
                assertEquals(top + 1, offset(back.frames("message").get(0)), "the welcome's top is the new start");
            }
        }
        String metrics = b.get("/metrics").body();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("stream_recoveries_failed_total{") && l.contains("reason=\"window\"")),
                "the failure is counted with its reason");
    }

    @Test
    void missedBroadcastsAreRecoveredTheSameWay() throws Exception {
        try (Peer member = Peer.connect(a.ws("room=rec3"))) {
            String broadcastSince = member.welcomePosition("broadcast");
            String session = member.session();
            member.leave();
            for (int i = 1; i <= 3; i++) {
                var r = b.post("/chat/api/broadcast", "{\"message\":\"notice " + i + "\"}",
                        "Authorization", "Bearer " + TOKEN, "Content-Type", "application/json");
                assertEquals(202, r.statusCode(), r.body());
            }
            try (Peer back = Peer.connect(a.ws("room=rec3&session=" + session + "&broadcastSince=" + broadcastSince))) {
                assertEquals(true, back.welcome().getBoolean("recovered"), "recovered: " + back.welcome());
                Await.until("three broadcasts replayed", WAIT, () -> back.frames("broadcast").size() >= 3);
                List<JsonObject> got = back.frames("broadcast");
                long first = Long.parseLong(broadcastSince.substring(broadcastSince.indexOf(':') + 1)) + 1;
                for (int i = 0; i < 3; i++) {
                    assertEquals("notice " + (i + 1), got.get(i).getString("message"));
                    assertEquals(first + i, offset(got.get(i)));
                }
                assertEquals(3, replayed(back, "broadcast").size(), "right after the welcome, before anything else");
            }
        }
    }

    @Test
    void aMalformedPositionIsAnsweredWithAnErrorAndRecoveredFalse() throws Exception {
        try (Peer p = Peer.connect(a.ws("room=rec4&since=not-a-position"))) {
            assertFalse(p.welcome().getBoolean("recovered"));
            Await.until("the error frame follows the welcome", WAIT, () -> !p.frames("error").isEmpty());
            JsonObject error = p.frames("error").get(0);
            assertEquals("bad_position", error.getString("code"), error.toString());
            assertEquals(1, p.sayAcked("ok-1", "still chatting"), "the connection works as usual");
        }
    }

    @Test
    void killedSubscriptionsMidTrafficCostNoMemberAnOffsetOrARepeat() throws Exception {
        int perSender = 150;
        try (Peer a1 = Peer.connect(a.ws("room=kill"));
             Peer a2 = Peer.connect(a.ws("room=kill"));
             Peer b1 = Peer.connect(b.ws("room=kill"));
             Peer b2 = Peer.connect(b.ws("room=kill"))) {
            AtomicBoolean sending = new AtomicBoolean(true);
            AtomicInteger kills = new AtomicInteger();
            CompletableFuture<Void> killer = CompletableFuture.runAsync(() -> {
                try {
                    while (sending.get()) {
                        redis.killSubscriptions();
                        kills.incrementAndGet();
                        // Pacing, not a wait: a kill every 150 ms lets each instance resubscribe
                        // (100 ms backoff) and receive some traffic before its next loss.
                        Thread.sleep(150);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            CompletableFuture<Void> fromA = CompletableFuture.runAsync(() -> send(a1, "a", perSender));
            CompletableFuture<Void> fromB = CompletableFuture.runAsync(() -> send(b1, "b", perSender));
            CompletableFuture.allOf(fromA, fromB).join();
            sending.set(false);
            killer.join();
            assertTrue(kills.get() >= 3, "the subscriptions were killed several times: " + kills.get());
            for (Peer p : List.of(a1, a2, b1, b2)) {
                try {
                    Await.until("every member has all " + 2 * perSender + " messages", WAIT,
                            () -> p.frames("message").size() >= 2 * perSender);
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "; a member on " + p.instance() + " has " + p.frames("message").size()
                            + ", offsets " + p.frames("message").stream().map(RecoveryIT::offset).toList()
                            + ", resets " + p.frames("reset"), e);
                }
            }
            for (Peer p : List.of(a1, a2, b1, b2)) {
                List<JsonObject> got = p.frames("message");
                assertEquals(2 * perSender, got.size(), "no repeat: " + p.instance());
                for (int i = 1; i < got.size(); i++) {
                    assertEquals(offset(got.get(i - 1)) + 1, offset(got.get(i)), "offsets without a gap, in order, on " + p.instance());
                }
                assertEquals(0, p.frames("reset").size(), "nothing had to be skipped: every hole was repaired");
            }
            assertTrue(Metrics.value(a, "cluster_resubscribes_total") >= 1 && Metrics.value(b, "cluster_resubscribes_total") >= 1,
                    "both instances lost and remade their subscription");
        }
    }

    private static void send(Peer p, String prefix, int n) {
        try {
            for (int i = 0; i < n; i++) {
                p.sayAcked(prefix + i, prefix + " " + i);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
