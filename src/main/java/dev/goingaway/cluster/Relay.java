package dev.goingaway.cluster;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbException;

/**
 * The rules of cross-instance fan-out, apart from Redis and CDI: what to publish, what to do
 * with what arrives, and how the instances answer a broadcast with their counts. The publisher
 * has already delivered locally; an envelope whose origin is this node is therefore ignored, which
 * is what keeps each message to one delivery per session and stops echo loops.
 */
final class Relay {

    private static final Logger LOG = Logger.getLogger(Relay.class.getName());

    /** This instance's sessions. */
    interface Local {
        /** Hands a frame to the room's sessions here; returns how many. */
        int toRoom(String room, String frame);

        /** Hands a frame to every session here; returns how many. */
        int toAll(String frame);
    }

    /** The channel underneath ({@link RedisBus} in production). */
    interface Transport {
        void publish(String payload);

        long publishNow(String payload);

        boolean subscribed();
    }

    /** Replies to one broadcast of this node: each adds its count to both totals and releases a permit. */
    private record Replies(AtomicInteger delivered, AtomicInteger remote, Semaphore arrived) {
        void add(int n) {
            remote.addAndGet(n);
            delivered.addAndGet(n);
            arrived.release();
        }
    }

    private final String node;
    /** How this node's own envelopes begin (origin is serialised first). */
    private final String ownPrefix;
    private final Local local;
    private final Jsonb jsonb;
    private final Map<String, Replies> pending = new ConcurrentHashMap<>();
    private volatile Transport transport;

    Relay(String node, Local local, Jsonb jsonb) {
        this.node = node;
        this.ownPrefix = "{\"origin\":" + jsonb.toJson(node) + ",";
        this.local = local;
        this.jsonb = jsonb;
    }

    void attach(Transport t) {
        this.transport = t;
    }

    String node() {
        return node;
    }

    /** Sends a room's frame to the other instances (this one has delivered it already). */
    void publishRoom(String room, String frame) {
        transport.publish(jsonb.toJson(Envelope.room(node, room, frame)));
    }

    /**
     * Sends a broadcast frame to the other instances and waits, at most {@code wait}, for each
     * to answer how many sessions it handed it to; every answer is added to {@code delivered} as
     * it arrives. Returns the sessions counted on other instances (a lower bound if one did not
     * answer in time). If Redis fails, the broadcast stays on this instance and 0 is returned.
     */
    int broadcast(String frame, AtomicInteger delivered, Duration wait) {
        String id = UUID.randomUUID().toString();
        Replies replies = new Replies(delivered, new AtomicInteger(), new Semaphore(0));
        pending.put(id, replies);
        try {
            long receivers;
            try {
                receivers = transport.publishNow(jsonb.toJson(Envelope.broadcast(node, id, frame)));
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "broadcast reached this instance only: cluster bus failed: {0}", e.getMessage());
                return 0;
            }
            // PUBLISH counts every subscriber, this instance's own subscription included.
            int others = (int) Math.max(0, receivers - (transport.subscribed() ? 1 : 0));
            try {
                if (others > 0 && !replies.arrived().tryAcquire(others, wait.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.log(Level.WARNING, "broadcast: {0} of {1} other instances answered within {2} ms",
                            new Object[] {replies.arrived().availablePermits(), others, wait.toMillis()});
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return replies.remote().get();
        } finally {
            pending.remove(id);
        }
    }

    /**
     * A payload from the channel: deliver it here unless it is this node's own. Returns whether
     * it was a room message or broadcast from another instance (delivered here).
     */
    boolean receive(String payload) {
        if (payload.startsWith(ownPrefix)) {
            return false; // this node's own, delivered here already: not even parsed
        }
        Envelope e;
        try {
            e = jsonb.fromJson(payload, Envelope.class);
        } catch (JsonbException ex) {
            LOG.log(Level.WARNING, "ignored a cluster message that is not an envelope: {0}", ex.getMessage());
            return false;
        }
        if (e == null || e.kind() == null || node.equals(e.origin())) {
            return false;
        }
        switch (e.kind()) {
            case Envelope.ROOM -> {
                local.toRoom(e.room(), e.frame());
                return true;
            }
            case Envelope.BROADCAST -> {
                int n = local.toAll(e.frame());
                transport.publish(jsonb.toJson(Envelope.delivered(node, e.origin(), e.id(), n)));
                return true;
            }
            case Envelope.DELIVERED -> {
                Replies r = node.equals(e.to()) ? pending.get(e.id()) : null;
                if (r != null) {
                    r.add(e.count());
                }
                return false;
            }
            default -> {
                LOG.log(Level.FINE, "ignored cluster message of unknown kind {0}", e.kind());
                return false;
            }
        }
    }
}
