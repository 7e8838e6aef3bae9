package dev.goingaway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

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
import dev.goingaway.testing.Metrics;
import dev.goingaway.testing.TestRedis;

import redis.clients.jedis.UnifiedJedis;

/**
 * Two of the project's Liberty servers as real processes, A and B, sharing one real Redis:
 * rooms and broadcasts span both, each session gets every message once, a session moves
 * between them with its total, and a Redis outage only narrows fan-out to each instance until
 * Redis is back. "Exactly once" is checked after a later marker from the same sender has
 * arrived: one instance's messages reach the others in the order they were published.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFanoutIT {

    private static final String TOKEN = "cluster-it-token";
    private static final Duration WAIT = Duration.ofSeconds(20);

    private TestRedis redis;
    private LibertyProcess a;
    private LibertyProcess b;

    @BeforeAll
    void startTwoInstances() throws Exception {
        redis = TestRedis.start();
        a = LibertyProcess.create(LibertyProcess.uniqueName("fanout-a"), env());
        b = LibertyProcess.create(LibertyProcess.uniqueName("fanout-b"), env());
        // Two cold starts in parallel: about half the wall time of one after the other.
        CompletableFuture<LibertyProcess> startA = CompletableFuture.supplyAsync(() -> start(a));
        CompletableFuture<LibertyProcess> startB = CompletableFuture.supplyAsync(() -> start(b));
        CompletableFuture.allOf(startA, startB).join();
    }

    private java.util.Map<String, String> env() {
        return LibertyProcess.env(redis.env("BROADCAST_TOKEN", TOKEN));
    }

    private static LibertyProcess start(LibertyProcess server) {
        try {
            return server.start();
        } catch (Exception e) {
            throw new IllegalStateException("server " + server.name() + " did not start", e);
        }
    }

    @AfterAll
    void stopEverything() throws Exception {
        try (TestRedis r = redis; LibertyProcess x = a; LibertyProcess y = b) {
            // try-with-resources closes all three, whatever fails
        }
    }

    @Test
    @Order(1)
    void aRoomSplitAcrossInstancesGetsEachMessageExactlyOnce() throws Exception {
        try (Peer a1 = Peer.connect(a.ws("room=split"));
             Peer b1 = Peer.connect(b.ws("room=split"));
             Peer b2 = Peer.connect(b.ws("room=split"));
             Peer aOther = Peer.connect(a.ws("room=elsewhere"));
             Peer bOther = Peer.connect(b.ws("room=elsewhere"))) {
            assertEquals(a.name(), a1.instance(), "a1 is served by A");
            assertEquals(b.name(), b1.instance(), "b1 is served by B");

            assertEquals(1, a1.sayAcked("a1-1", "from A"), "A counted a1's message");
            JsonObject atB = b1.awaitMessage("from A");
            assertEquals(a1.session(), atB.getString("from"), "the message names its sender's session");
            assertEquals("split", atB.getString("room"), "and its room");
            b2.awaitMessage("from A");

            assertEquals(1, b1.sayAcked("b1-1", "from B"), "B counted b1's message");
            a1.awaitMessage("from B");

            // Markers from each sender: once they are in, every earlier message from that sender is too.
            a1.sayAcked("a1-2", "marker A");
            b1.sayAcked("b1-2", "marker B");
            for (Peer p : List.of(a1, b1, b2)) {
                p.awaitMessage("marker A");
                p.awaitMessage("marker B");
            }
            for (Peer p : List.of(a1, b1, b2)) {
                assertEquals(1, p.messages("from A"), "a member got the message from A exactly once (its sender included)");
                assertEquals(1, p.messages("from B"), "a member got the message from B exactly once (its sender included)");
            }
            assertEquals(0, aOther.allMessages(), "a session in another room on A got none of them");
            assertEquals(0, bOther.allMessages(), "a session in another room on B got none of them");
        }
    }

    @Test
    @Order(2)
    void aBroadcastReachesEverySessionOnBothInstancesOnceAndCountsThemAll() throws Exception {
        try (Peer a1 = Peer.connect(a.ws("room=bc1"));
             Peer a2 = Peer.connect(a.ws("room=bc2"));
             Peer b1 = Peer.connect(b.ws("room=bc3"))) {
            // Sessions of the previous test close asynchronously; count only once they are gone.
            Await.until("A has 2 sessions and B has 1", WAIT,
                    () -> Metrics.value(a, "ws_sessions_active") == 2 && Metrics.value(b, "ws_sessions_active") == 1);

            var response = a.post("/chat/api/broadcast", "{\"message\":\"maintenance at noon\",\"level\":\"warning\"}",
                    "Authorization", "Bearer " + TOKEN, "Content-Type", "application/json");
            assertEquals(202, response.statusCode(), "broadcast accepted: " + response.body());
            assertEquals(3, Json.parse(response.body()).getInt("delivered"),
                    "delivered counts A's 2 sessions and the 1 that B reported");

            var marker = b.post("/chat/api/broadcast", "{\"message\":\"marker\"}",
                    "Authorization", "Bearer " + TOKEN, "Content-Type", "application/json");
            assertEquals(202, marker.statusCode(), "a broadcast posted to B is accepted too");
            assertEquals(3, Json.parse(marker.body()).getInt("delivered"), "from B the count is the same 3");
            for (Peer p : List.of(a1, a2, b1)) {
                p.awaitBroadcast("maintenance at noon");
                p.awaitBroadcast("marker");
            }
            // The marker went out after the first broadcast from A had been answered by B.
            for (Peer p : List.of(a1, a2, b1)) {
                assertEquals(1, p.broadcasts("maintenance at noon"), "every session got the broadcast exactly once");
                assertEquals(1, p.broadcasts("marker"), "and the second one exactly once");
            }
        }
    }

    @Test
    @Order(3)
    void aSessionResumesOnTheOtherInstanceWithItsTotal() throws Exception {
        String session;
        try (Peer onA = Peer.connect(a.ws("room=move"))) {
            session = onA.session();
            for (int i = 1; i <= 3; i++) {
                assertEquals(i, onA.sayAcked("mv-" + i, "message " + i), "ack total on A after message " + i);
            }
            onA.leave();
        }
        try (UnifiedJedis jedis = redis.client()) {
            Await.until("A has written the session's total to Redis", WAIT,
                    () -> "3".equals(jedis.hget("goingaway:session:" + session, "total")));
        }
        try (Peer onB = Peer.connect(b.ws("room=move&session=" + session))) {
            assertEquals(b.name(), onB.instance(), "the resumed session is served by B");
            assertEquals(session, onB.session(), "B resumed the same session id");
            assertEquals(3, onB.welcomeTotal(), "B's welcome carries the total counted on A");
            assertEquals(3, onB.sayAcked("mv-3", "message 3"),
                    "a message A already counted, re-sent to B, is acknowledged and not counted again");
            assertEquals(4, onB.sayAcked("mv-4", "message 4"), "the next message continues the total on B");
        }
    }

    @Test
    @Order(4)
    void aRedisOutageNarrowsFanOutToEachInstanceAndFanOutRecoversWhenRedisReturns() throws Exception {
        assumeTrue(redis.topology() == TestRedis.Topology.SINGLE,
                "stopping the one node; Sentinel and Cluster lose a primary in RedisFailoverIT");
        try (Peer a1 = Peer.connect(a.ws("room=outage"));
             Peer a2 = Peer.connect(a.ws("room=outage"));
             Peer b1 = Peer.connect(b.ws("room=outage"))) {
            a1.sayAcked("o-1", "before");
            b1.awaitMessage("before");
            assertEquals(1.0, Metrics.value(a, "cluster_bus_up"), "A's bus is up before the outage");

            redis.single().stop();
            Await.until("both instances report the bus down", WAIT,
                    () -> Metrics.value(a, "cluster_bus_up") == 0 && Metrics.value(b, "cluster_bus_up") == 0);
            a1.sayAcked("o-2", "during");
            JsonObject during = a2.awaitMessage("during");
            assertTrue(during.getJsonNumber("offset").longValue() >= 1, "numbered even without Redis: " + during);
            JsonObject reset = a2.frames("reset").get(0);
            assertTrue(reset.getString("epoch").startsWith("L"),
                    "A's members were told first that the room continues in a local epoch: " + reset);
            assertEquals(0.0, Metrics.value(a, "stream_store_up"), "the history is reported down");
            var ready = a.get("/health/ready");
            assertEquals(200, ready.statusCode(), "A stays ready without Redis: it serves its own sessions");
            assertTrue(ready.body().contains("\"busUp\":false"), "readiness data says the bus is down: " + ready.body());
            assertTrue(ready.body().contains("\"historyUp\":false"), "and the history too: " + ready.body());
            assertTrue(a.messagesLog().contains("cluster_bus_down"), "A logged a warning that fan-out is local");

            redis.single().startProcess();
            Await.until("both instances resubscribe by themselves", WAIT,
                    () -> Metrics.value(a, "cluster_bus_up") == 1 && Metrics.value(b, "cluster_bus_up") == 1);
            assertTrue(Metrics.value(b, "cluster_resubscribes_total") >= 1, "B counted its resubscription");

            a1.sayAcked("o-3", "after");
            b1.sayAcked("o-4", "marker from B");
            a1.sayAcked("o-5", "marker from A");
            b1.awaitMessage("marker from A");
            a1.awaitMessage("marker from B");
            assertEquals(1, b1.messages("after"), "B's member gets A's first message after recovery exactly once");
            assertEquals(1, a2.messages("after"), "A's other member gets it exactly once too");
            assertEquals(1, a2.messages("during"), "during the outage A's own members still got the message, once");
            assertEquals(0, b1.messages("during"), "the outage's message is not replayed to B later");
            assertNotEquals(a.name(), b1.instance(), "b1 really is on the other instance");
        }
    }
}
