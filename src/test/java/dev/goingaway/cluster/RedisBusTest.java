package dev.goingaway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import dev.goingaway.stream.Framing;
import dev.goingaway.stream.RedisStreamStore;
import dev.goingaway.stream.StreamException;
import dev.goingaway.stream.StreamStore;
import redis.clients.jedis.RedisClient;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.goingaway.redis.RedisTarget;
import dev.goingaway.redis.RedisUrl;
import dev.goingaway.testing.Await;
import dev.goingaway.testing.RedisProcess;

/**
 * The bus and the fan-out rules on a real Redis process, without Liberty: two nodes on one
 * channel, each with a plain record of what it delivered to "its sessions".
 */
class RedisBusTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private RedisProcess redis;
    private Jsonb jsonb;
    private String channel;
    private final List<Node> nodes = new CopyOnWriteArrayList<>();
    private RedisStreamStore store;

    /** The frame's text, checked to carry the offset the envelope says. */
    private static String text(String frame, long offset) {
        int hash = frame.lastIndexOf('#');
        assertEquals(Long.toString(offset), frame.substring(hash + 1), "the frame carries its envelope's offset");
        return frame.substring(0, hash);
    }

    /** One instance: a relay on a bus, recording what reached its sessions and what the bus reported. */
    private final class Node implements Relay.Local, RedisBus.Listener {
        final String name;
        final List<String> roomFrames = new CopyOnWriteArrayList<>();
        final List<String> allFrames = new CopyOnWriteArrayList<>();
        final AtomicInteger ups = new AtomicInteger();
        final AtomicInteger downs = new AtomicInteger();
        final AtomicInteger published = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger resubscribed = new AtomicInteger();
        final int sessions;
        final Relay relay;
        final RedisBus bus;

        Node(String name, int sessions) throws InterruptedException {
            this(name, sessions, true);
        }

        /** {@code publishCountsAll} false: count the other nodes by their heartbeats, as on a Redis Cluster. */
        Node(String name, int sessions, boolean publishCountsAll) throws InterruptedException {
            this.name = name;
            this.sessions = sessions;
            String node = name + "#" + UUID.randomUUID().toString().substring(0, 4);
            relay = new Relay(node, this, jsonb, publishCountsAll, Duration.ofSeconds(3));
            bus = new RedisBus(RedisTarget.single(RedisUrl.parse(redis.url()), Duration.ofMillis(500)), channel,
                    jsonb.toJson(Envelope.heartbeat(node)), this, Thread::new);
            relay.attach(bus);
            bus.start();
            assertTrue(bus.awaitSubscribed(WAIT), name + " subscribed");
            nodes.add(this);
        }

        @Override
        public int toRoom(String room, String epoch, long offset, String frame) {
            roomFrames.add(room + "|" + text(frame, offset));
            return sessions;
        }

        @Override
        public int toAll(String epoch, long offset, String frame) {
            allFrames.add(text(frame, offset));
            return sessions;
        }

        /** Publishes a room message as the chat does: appended to its stream, published by the script. */
        long publishRoom(String room, String text) throws StreamException {
            return store.append("room:" + room, new Framing(text + "#", ""),
                    new StreamStore.Publication(channel, relay.roomHead(room))).offset();
        }

        @Override
        public void message(String payload) {
            relay.receive(payload);
        }

        @Override
        public void up() {
            ups.incrementAndGet();
        }

        @Override
        public void down(String reason) {
            downs.incrementAndGet();
        }

        @Override
        public void published(int count) {
            published.addAndGet(count);
        }

        @Override
        public void publishFailed(int count, String reason) {
            failed.addAndGet(count);
        }

        @Override
        public void resubscribed() {
            resubscribed.incrementAndGet();
        }

        long count(String roomAndFrame) {
            return roomFrames.stream().filter(roomAndFrame::equals).count();
        }
    }

    @BeforeEach
    void start() throws Exception {
        redis = RedisProcess.start(0);
        jsonb = JsonbBuilder.create();
        channel = "test:" + UUID.randomUUID();
        store = new RedisStreamStore(RedisClient.create("127.0.0.1", redis.port()), 100, Duration.ofMinutes(1));
    }

    @AfterEach
    void stop() throws Exception {
        nodes.forEach(n -> n.bus.close(Duration.ofSeconds(1)));
        store.close();
        jsonb.close();
        redis.close();
    }

    @Test
    void roomMessageReachesTheOtherNodeOnceAndNeverComesBackToItsOrigin() throws Exception {
        Node a = new Node("a", 1);
        Node b = new Node("b", 1);
        a.publishRoom("r1", "first");
        a.publishRoom("r1", "marker");
        // The channel keeps one publisher's order: once the marker is there, so is anything before it.
        Await.until("b received the marker", WAIT, () -> b.count("r1|marker") == 1);
        assertEquals(1, b.count("r1|first"), "b delivered the message exactly once: " + b.roomFrames);
        assertEquals(List.of(), a.roomFrames, "a ignores its own messages (it delivered them locally already)");

        b.publishRoom("r2", "reply");
        Await.until("a received b's reply", WAIT, () -> a.count("r2|reply") == 1);
    }

    @Test
    void broadcastAddsTheSessionsEachOtherNodeReached() throws Exception {
        Node a = new Node("a", 2);
        Node b = new Node("b", 7);
        Node c = new Node("c", 5);
        AtomicInteger delivered = new AtomicInteger(2); // a's own sessions, delivered locally first
        String id = UUID.randomUUID().toString();
        long receivers = store.append("broadcast", new Framing("notice#", ""),
                new StreamStore.Publication(channel, a.relay.broadcastHead(id, delivered))).receivers();
        assertEquals(3, receivers, "the script's PUBLISH reached the three subscriptions");
        int remote = a.relay.awaitReplies(id, receivers, Duration.ofSeconds(5));
        assertEquals(12, remote, "b's 7 and c's 5 sessions are counted");
        assertEquals(14, delivered.get(), "the API's total: local 2 plus remote 12");
        assertEquals(List.of("notice"), b.allFrames, "b delivered the broadcast once");
        assertEquals(List.of("notice"), c.allFrames, "c delivered the broadcast once");
        assertEquals(List.of(), a.allFrames, "a does not deliver its own broadcast a second time");
    }

    @Test
    void redisOutageIsReportedAndFanOutResumesWhenRedisIsBack() throws Exception {
        Node a = new Node("a", 1);
        Node b = new Node("b", 1);
        Await.until("both report up", WAIT, () -> a.ups.get() == 1 && b.ups.get() == 1);

        redis.stop();
        Await.until("both report the bus down", WAIT, () -> a.downs.get() == 1 && b.downs.get() == 1);
        assertTrue(!a.bus.up() && !b.bus.up(), "up() is false while Redis is gone");
        assertThrows(StreamException.class, () -> a.publishRoom("r", "lost"), "no append while Redis is gone");
        a.bus.publish("a reply during the outage");
        Await.until("a publish during the outage is counted as failed", WAIT, () -> a.failed.get() >= 1);

        redis.startProcess();
        Await.until("both resubscribe and report up again", WAIT,
                () -> a.ups.get() == 2 && b.ups.get() == 2 && a.bus.up() && b.bus.up());
        assertTrue(a.resubscribed.get() >= 1 && b.resubscribed.get() >= 1, "resubscriptions counted");

        a.publishRoom("r", "after");
        a.publishRoom("r", "marker");
        Await.until("b receives again", WAIT, () -> b.count("r|marker") == 1);
        assertEquals(1, b.count("r|after"), "the first message after recovery arrives once");
        assertEquals(0, b.count("r|lost"), "a message published into the outage is not replayed later");
    }

    @Test
    void frozenRedisIsDetectedAndCloseStaysBounded() throws Exception {
        Node a = new Node("a", 1);
        Await.until("a reports up", WAIT, () -> a.ups.get() == 1);
        redis.freeze();
        try {
            Await.until("the watchdog notices that its heartbeat does not come back", WAIT, () -> a.downs.get() == 1);
            for (int i = 0; i < 10; i++) {
                a.bus.publish("into the void " + i);
            }
            long start = System.nanoTime();
            a.bus.close(Duration.ofMillis(500));
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMillis < 3_000, "close() returns within its bound while Redis is frozen, took " + tookMillis + " ms");
        } finally {
            redis.thaw();
        }
    }

    /**
     * A healthy Redis under steady traffic never costs a subscription. (A PING through the
     * subscription did, now and then: Jedis 8.0.2 registers for its answer after sending it.)
     */
    @Test
    void aBusyHealthyRedisNeverCostsTheSubscription() throws Exception {
        Node a = new Node("steady-a", 1);
        Node b = new Node("steady-b", 1);
        long end = System.nanoTime() + Duration.ofSeconds(4).toNanos(); // four watchdog rounds of traffic
        int sent = 0;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 200; i++) {
                a.bus.publish("{\"origin\":\"someone\",\"kind\":\"noise\",\"id\":\"" + sent++ + "\"}");
            }
            // Pacing, not a wait: 2,000 payloads a second, steady traffic that every subscriber
            // reads as it comes. (As fast as the publisher goes, a subscriber on a loaded machine
            // fell behind by more than the heartbeat's deadline, and a subscription that far
            // behind is rightly cut: CI, 2026-12-06.)
            Thread.sleep(100);
        }
        int total = sent;
        Await.until("every payload published", WAIT, () -> a.published.get() + a.failed.get() >= total);
        assertEquals(0, a.failed.get(), "nothing failed to publish");
        for (Node n : List.of(a, b)) {
            assertEquals(0, n.resubscribed.get(), n.name + " kept its subscription");
            assertEquals(0, n.downs.get(), n.name + " never reported down");
        }
    }

    /**
     * On a Redis Cluster a PUBLISH counts only the subscribers of the node that ran it: a
     * broadcast then waits for the instances heard on the channel (their heartbeats) instead.
     */
    @Test
    void withoutACountFromPublishABroadcastWaitsForTheInstancesHeardOnTheChannel() throws Exception {
        Node a = new Node("ca", 2, false);
        Node b = new Node("cb", 7, false);
        Node c = new Node("cc", 5, false);
        Await.until("a has heard b's and c's heartbeats", WAIT, () -> a.relay.peers() == 2);
        AtomicInteger delivered = new AtomicInteger(2);
        String id = UUID.randomUUID().toString();
        store.append("broadcast", new Framing("cluster notice#", ""), new StreamStore.Publication(channel, a.relay.broadcastHead(id, delivered)));
        int remote = a.relay.awaitReplies(id, 1, Duration.ofSeconds(5)); // what a node of a cluster might count
        assertEquals(12, remote, "b's 7 and c's 5 sessions are counted although PUBLISH said 1");
        assertEquals(14, delivered.get());
    }
}
