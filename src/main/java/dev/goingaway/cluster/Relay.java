package dev.goingaway.cluster;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbException;

/**
 * The rules of cross-instance fan-out, apart from Redis and CDI: the envelopes' heads the stream
 * store publishes under, what to do with what arrives, and how the instances answer a broadcast
 * with their counts. The publisher has already delivered locally (the answer to its append); an
 * envelope whose origin is this node is therefore ignored.
 */
final class Relay {

    private static final Logger LOG = Logger.getLogger(Relay.class.getName());

    /** This instance's connections. */
    interface Local {
        /** A room message another instance appended; returns how many connections here got it. */
        int toRoom(String room, String epoch, long offset, String frame);

        /** A broadcast another instance appended; returns how many connections here got it. */
        int toAll(String epoch, long offset, String frame);
    }

    /** The channel underneath ({@link RedisBus} in production). */
    interface Transport {
        void publish(String payload);

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

    /** The head of a room message's envelope; the append script completes it. */
    String roomHead(String room) {
        return ownPrefix + "\"kind\":\"room\",\"room\":" + jsonb.toJson(room) + ",";
    }

    /**
     * The head of a broadcast's envelope, and from now on the other instances' answers to it are
     * added to {@code delivered}; {@link #awaitReplies} must follow.
     */
    String broadcastHead(String id, AtomicInteger delivered) {
        pending.put(id, new Replies(delivered, new AtomicInteger(), new Semaphore(0)));
        return ownPrefix + "\"kind\":\"broadcast\",\"id\":" + jsonb.toJson(id) + ",";
    }

    /**
     * Waits, at most {@code wait}, for the other instances to say how many connections each
     * handed the broadcast {@code id} to. {@code receivers} is what its PUBLISH counted (this
     * instance's own subscription included; negative when it was not published). Returns the
     * connections counted on other instances (a lower bound if one did not answer in time).
     */
    int awaitReplies(String id, long receivers, Duration wait) {
        Replies replies = pending.get(id);
        try {
            if (replies == null || receivers < 0) {
                return 0;
            }
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
                if (e.epoch() == null || e.offset() < 1) {
                    LOG.log(Level.FINE, "ignored a room message without a position (an older instance?)");
                    return false;
                }
                local.toRoom(e.room(), e.epoch(), e.offset(), e.frame());
                return true;
            }
            case Envelope.BROADCAST -> {
                int n = e.epoch() == null || e.offset() < 1 ? 0 : local.toAll(e.epoch(), e.offset(), e.frame());
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
