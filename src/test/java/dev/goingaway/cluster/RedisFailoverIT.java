package dev.goingaway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.json.JsonObject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import dev.goingaway.testing.Await;
import dev.goingaway.testing.Json;
import dev.goingaway.testing.LibertyProcess;
import dev.goingaway.testing.Talker;
import dev.goingaway.testing.TestRedis;
import dev.goingaway.testing.WireClient;

import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.UnifiedJedis;

/**
 * A Redis primary SIGKILLed under two real Liberty servers, on Sentinel and on Cluster
 * ({@code -Dit.redis.topology}; skipped on a single node, which has nothing to promote): while
 * clients chat, every message is still acknowledged, no member sees a gap or a repeat it is not
 * told about (a {@code reset}), the service writes through the new primary by itself, and no
 * session's total goes backwards; during a drain, every client still gets its bye and 1001 and
 * the process is gone within 10 s.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisFailoverIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TOKEN = "failover-it-token";

    private TestRedis redis;
    private LibertyProcess a;
    private LibertyProcess b;

    @BeforeAll
    void startTwoInstances() throws Exception {
        assumeTrue(TestRedis.requested() != TestRedis.Topology.SINGLE, "a failover needs Sentinel or Cluster");
        redis = TestRedis.start();
        var env = LibertyProcess.env(redis.env("BROADCAST_TOKEN", TOKEN, "RATE_LIMIT", "500", "RECONNECT_SPREAD", "2s"));
        a = LibertyProcess.create(LibertyProcess.uniqueName("failover-a"), env);
        b = LibertyProcess.create(LibertyProcess.uniqueName("failover-b"), env);
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

    private static String streamKey(String room) {
        return "goingaway:{stream:room:" + room + "}:meta";
    }

    /** One sender: says numbered messages one after the other, each awaited; keeps every answer. */
    private static final class Sender {
        final Peer peer;
        final String prefix;
        final List<JsonObject> answers = new CopyOnWriteArrayList<>();
        final List<String> failures = new CopyOnWriteArrayList<>();
        volatile int sent;

        Sender(Peer peer, String prefix) {
            this.peer = peer;
            this.prefix = prefix;
        }

        void run(AtomicBoolean going) {
            try {
                while (going.get()) {
                    String id = prefix + "-" + sent;
                    peer.say(id, prefix + " " + sent);
                    sent++;
                    try {
                        answers.add(peer.awaitAnswer(id));
                    } catch (AssertionError e) {
                        failures.add(e.getMessage());
                    }
                }
            } catch (Exception e) {
                failures.add(e.toString());
            }
        }
    }

    @Test
    @Order(1)
    void aPrimaryKilledMidTrafficCostsNoAckNoSilentGapAndNoTotal() throws Exception {
        String room = "fo";
        assertTrue(redis.readyToFailOver(streamKey(room)), "a replica to promote");
        try (Peer a1 = Peer.connect(a.ws("room=" + room));
             Peer a2 = Peer.connect(a.ws("room=" + room));
             Peer b1 = Peer.connect(b.ws("room=" + room));
             Peer b2 = Peer.connect(b.ws("room=" + room))) {
            String before = a1.welcome().getJsonObject("streams").getJsonObject("room").getString("epoch");
            Sender fromA = new Sender(a1, "a");
            Sender fromB = new Sender(b1, "b");
            AtomicBoolean going = new AtomicBoolean(true);
            CompletableFuture<Void> sa = CompletableFuture.runAsync(() -> fromA.run(going));
            CompletableFuture<Void> sb = CompletableFuture.runAsync(() -> fromB.run(going));
            try {
                Await.until("traffic flows before the kill", WAIT, () -> fromA.answers.size() >= 20 && fromB.answers.size() >= 20);

                long killed = System.nanoTime();
                HostAndPort old = redis.killPrimary(streamKey(room));
                HostAndPort now = redis.awaitFailover(streamKey(room), old, WAIT);
                long promotedMillis = (System.nanoTime() - killed) / 1_000_000;
                // Writes flow through the new primary when a member is told of an epoch that is
                // neither the one from before nor an instance's own ("L…").
                Await.until("the room continues in an epoch of the new primary", WAIT,
                        () -> newPrimaryEpoch(a2, before) != null && newPrimaryEpoch(b2, before) != null);
                long flowingMillis = (System.nanoTime() - killed) / 1_000_000;
                int atFlow = fromA.answers.size() + fromB.answers.size();
                Await.until("traffic continues after the failover", WAIT,
                        () -> fromA.answers.size() + fromB.answers.size() >= atFlow + 40);
                System.out.printf("RedisFailoverIT %s: primary %s killed, %s promoted after %d ms; writes through it after %d ms%n",
                        redis, old, now, promotedMillis, flowingMillis);
            } finally {
                going.set(false);
                CompletableFuture.allOf(sa, sb).join();
            }

            for (Sender s : List.of(fromA, fromB)) {
                assertEquals(List.of(), s.failures, "every message of " + s.prefix + " was acknowledged");
                assertEquals(s.sent, s.answers.size(), "one answer per message");
                for (int i = 0; i < s.answers.size(); i++) {
                    assertEquals(i + 1, s.answers.get(i).getJsonNumber("total").longValue(),
                            s.prefix + ": totals count up by one, through the failover");
                }
            }
            for (Peer p : List.of(a1, a2, b1, b2)) {
                assertEquals(List.of(), sequenceProblems(p), "member on " + p.instance());
            }

            // The service finds the new primary by itself, for all three of its uses of Redis.
            for (LibertyProcess server : List.of(a, b)) {
                Await.until(server.name() + " reports Redis up again", WAIT, () -> {
                    try {
                        String body = server.get("/health/ready").body();
                        return body.contains("\"busUp\":true") && body.contains("\"historyUp\":true")
                                && body.contains("\"storeReachable\":true");
                    } catch (java.io.IOException e) {
                        return false;
                    }
                });
            }
            // The senders' totals reach the new primary and follow the session to the other instance.
            for (Sender s : List.of(fromA, fromB)) {
                long total = s.answers.size();
                String session = s.peer.session();
                try (UnifiedJedis jedis = redis.client()) {
                    Await.until(s.prefix + "'s total " + total + " is in Redis", WAIT,
                            () -> Long.toString(total).equals(jedis.hget("goingaway:session:" + session, "total")));
                }
                s.peer.leave();
                LibertyProcess other = s == fromA ? b : a;
                try (Peer back = Peer.connect(other.ws("room=" + room + "&session=" + session))) {
                    assertEquals(total, back.welcomeTotal(), s.prefix + ": the total did not go backwards");
                }
            }
        }
    }

    /** The epoch of the room a member was last told of, if it is a new primary's. */
    private static String newPrimaryEpoch(Peer p, String before) {
        List<JsonObject> resets = p.frames("reset");
        if (resets.isEmpty()) {
            return null;
        }
        String epoch = resets.get(resets.size() - 1).getString("epoch");
        return epoch.startsWith("L") || epoch.equals(before) ? null : epoch;
    }

    /**
     * Within an epoch each message is the next offset; a new epoch is announced with a reset
     * before its first message; no text twice.
     */
    private static List<String> sequenceProblems(Peer p) {
        List<String> problems = new ArrayList<>();
        JsonObject room = p.welcome().getJsonObject("streams").getJsonObject("room");
        String epoch = room.getString("epoch");
        long at = room.getJsonNumber("offset").longValue();
        Set<String> seen = new HashSet<>();
        for (String text : p.texts()) {
            JsonObject f = Json.parse(text);
            switch (f.getString("type")) {
                case "reset" -> {
                    if ("room".equals(f.getString("stream"))) {
                        epoch = f.getString("epoch");
                        at = f.getJsonNumber("offset").longValue();
                    }
                }
                case "message" -> {
                    long offset = f.getJsonNumber("offset").longValue();
                    if (offset != at + 1) {
                        problems.add("epoch " + epoch + ": offset " + offset + " after " + at + " without a reset");
                    }
                    at = offset;
                    if (!seen.add(f.getString("text"))) {
                        problems.add("'" + f.getString("text") + "' twice");
                    }
                }
                default -> {
                }
            }
        }
        return problems;
    }

    @Test
    @Order(2)
    void aDrainWhileThePrimaryIsGoneStillSaysByeAnd1001WithinTenSeconds() throws Exception {
        String room = pickRoomWithAReplica();
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
        List<Talker> talkers = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                talkers.add(Talker.connect("d" + i, a.ws("room=" + room), timer, 50));
            }
            Await.until("every client welcomed", WAIT, () -> talkers.stream().allMatch(t -> t.sessionId() != null));
            talkers.forEach(Talker::startTalking);
            Await.until("every client has had three messages acknowledged", WAIT,
                    () -> talkers.stream().allMatch(t -> t.ackCount() >= 3));

            HostAndPort old = redis.killPrimary(streamKey(room));
            a.sigterm();
            int exit = a.awaitExit(Duration.ofSeconds(15));
            long tookMillis = (System.nanoTime() - a.signalledAtNanos()) / 1_000_000;
            System.out.printf("RedisFailoverIT %s: drain with primary %s killed just before: exit %d after %d ms%n",
                    redis, old, exit, tookMillis);
            assertTrue(tookMillis < 10_000, "gone within 10 s of SIGTERM, took " + tookMillis + " ms");

            Map<String, Long> byes = new ConcurrentHashMap<>();
            for (Talker t : talkers) {
                assertTrue(t.wire().awaitEnd(Duration.ofSeconds(5)), t.name() + ": connection ended");
                WireClient.Event close = t.wire().closeFrame();
                assertNotNull(close, t.name() + ": a close frame arrived, not a dropped connection");
                assertEquals(1001, close.code(), t.name() + ": 1001 GOING_AWAY");
                JsonObject bye = t.bye();
                assertNotNull(bye, t.name() + ": a bye before the close");
                assertEquals(t.ackCount(), bye.getJsonNumber("total").longValue(), t.name() + ": bye total = acks");
                assertTrue(t.unanswered().size() <= 1, t.name() + ": unanswered " + t.unanswered());
                byes.put(t.sessionId(), bye.getJsonNumber("total").longValue());
            }

            // The totals A could not write while the primary was gone: each session, resumed on B
            // once the new primary serves, has at least what its bye said or says it lost none
            // it had acknowledged before the kill.
            redis.awaitFailover(streamKey(room), old, WAIT);
            for (Talker t : talkers) {
                try (Peer back = Peer.connect(b.ws("room=" + room + "&session=" + t.sessionId()))) {
                    assertTrue(back.welcomeTotal() <= byes.get(t.sessionId()),
                            t.name() + ": never more than was acknowledged");
                    t.close();
                }
            }
        } finally {
            timer.shutdownNow();
            talkers.forEach(Talker::close);
        }
    }

    /** A room whose stream's primary can still fail over (Cluster: a shard that kept its replica). */
    private String pickRoomWithAReplica() throws Exception {
        for (int i = 0; i < 64; i++) {
            String room = "drain" + i;
            if (redis.readyToFailOver(streamKey(room))) {
                return room;
            }
        }
        throw new IllegalStateException("no shard with a replica left");
    }
}
