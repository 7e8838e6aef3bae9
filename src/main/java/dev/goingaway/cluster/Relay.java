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
    /** Other nodes heard on the channel, and when last ({@link System#nanoTime()}). */
    private final Map<String, Long> peers = new ConcurrentHashMap<>();
    /**
     * Whether a PUBLISH's count is every subscriber of the channel. Not on a Redis Cluster: there
     * it counts the subscribers of the node that ran it; the others are found by their heartbeats.
     */
    private final boolean publishCountsAll;
    /** A node not heard for this long is gone (each bus publishes a heartbeat every watchdog round). */
    private final long peerTtlNanos;
    private volatile Transport transport;

    Relay(String node, Local local, Jsonb jsonb) {
        this(node, local, jsonb, true, Duration.ofSeconds(3));
    }

    Relay(String node, Local local, Jsonb jsonb, boolean publishCountsAll, Duration peerTtl) {
        this.publishCountsAll = publishCountsAll;
        this.peerTtlNanos = peerTtl.toNanos();
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

    /** How many other nodes were heard on the channel lately (three heartbeat rounds). */
    int peers() {
        long now = System.nanoTime();
        peers.values().removeIf(at -> now - at > peerTtlNanos);
        return peers.size();
    }

    /**
     * The head of a room message's publication: its envelope (without the frame) and a line
     * break; the append script adds {@code epoch offset frame}.
     */
    String roomHead(String room) {
        return ownPrefix + "\"kind\":\"room\",\"room\":" + jsonb.toJson(room) + "}\n";
    }

    /**
     * The head of a broadcast's envelope, and from now on the other instances' answers to it are
     * added to {@code delivered}; {@link #awaitReplies} must follow.
     */
    String broadcastHead(String id, AtomicInteger delivered) {
        pending.put(id, new Replies(delivered, new AtomicInteger(), new Semaphore(0)));
        return ownPrefix + "\"kind\":\"broadcast\",\"id\":" + jsonb.toJson(id) + "}\n";
    }

    /**
     * Waits, at most {@code wait}, for the other instances to say how many connections each
     * handed the broadcast {@code id} to. {@code receivers} is what its PUBLISH counted (this
     * instance's own subscription included; negative when it was not published); on a Redis
     * Cluster, the other instances heard lately (their heartbeats) are waited for instead.
     * Returns the connections counted on other instances (a lower bound if one did not answer in
     * time).
     */
    int awaitReplies(String id, long receivers, Duration wait) {
        Replies replies = pending.get(id);
        try {
            if (replies == null || receivers < 0) {
                return 0;
            }
            int others = publishCountsAll ? (int) Math.max(0, receivers - (transport.subscribed() ? 1 : 0)) : peers();
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
     * An envelope as JSON ({@link Envelope#DELIVERED}), or as the append script publishes a
     * stream's message: the envelope's head, a line break, then {@code epoch offset frame}.
     */
    private Envelope parse(String payload) {
        int newline = payload.indexOf('\n');
        if (newline < 0) {
            return jsonb.fromJson(payload, Envelope.class);
        }
        Envelope head = jsonb.fromJson(payload.substring(0, newline), Envelope.class);
        int space = payload.indexOf(' ', newline + 1);
        int space2 = space < 0 ? -1 : payload.indexOf(' ', space + 1);
        if (head == null || space2 < 0) {
            throw new IllegalArgumentException("not epoch, offset and frame after the envelope's head");
        }
        return new Envelope(head.kind(), head.origin(), head.room(), payload.substring(space2 + 1), head.id(), head.to(),
                head.count(), payload.substring(newline + 1, space), Long.parseLong(payload.substring(space + 1, space2)));
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
            e = parse(payload);
        } catch (JsonbException | IllegalArgumentException ex) {
            LOG.log(Level.WARNING, "ignored a cluster message that is not an envelope: {0}", ex.getMessage());
            return false;
        }
        if (e == null || e.kind() == null || node.equals(e.origin())) {
            return false;
        }
        if (e.origin() != null) {
            peers.put(e.origin(), System.nanoTime());
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
            case Envelope.HEARTBEAT -> {
                return false; // another bus watching its own subscription
            }
            default -> {
                LOG.log(Level.FINE, "ignored cluster message of unknown kind {0}", e.kind());
                return false;
            }
        }
    }
}
