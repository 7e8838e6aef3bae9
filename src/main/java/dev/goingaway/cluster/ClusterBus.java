package dev.goingaway.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;

import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.MetricRegistry;

import dev.goingaway.chat.FanOut;
import dev.goingaway.chat.StreamDelivery;
import dev.goingaway.config.Settings;
import dev.goingaway.redis.Redis;
import dev.goingaway.redis.RedisTarget;
import dev.goingaway.stream.StreamStore;

/**
 * Makes the instances one chat: every room message and broadcast delivered here is also
 * published for the others, and what they publish is delivered to this instance's sessions.
 * With {@code REDIS_URL} unset there is nothing to publish to and fan-out stays here.
 *
 * <p>The bus subscribes while the application starts, so an instance reports ready only once
 * it receives the others' messages (or once a short wait for an unreachable Redis is over: it
 * then serves its own sessions and joins when Redis answers). Metrics: gauge
 * {@code cluster_bus_up}, counters {@code cluster_published}, {@code cluster_publish_failures},
 * {@code cluster_received}, {@code cluster_resubscribes}, gauge {@code cluster_publish_queue}.
 */
@ApplicationScoped
public class ClusterBus implements FanOut {

    private static final Logger LOG = Logger.getLogger(ClusterBus.class.getName());
    /** How long a broadcast waits for the other instances to say how many sessions they reached. */
    static final Duration BROADCAST_REPLY_WAIT = Duration.ofMillis(1_000);
    /** The longest the application start waits for the first subscription. */
    private static final Duration SUBSCRIBE_WAIT = Duration.ofSeconds(3);

    /** What health checks and logs show about the bus. */
    public record Status(String mode, String bus, boolean up, String node, String lastError, Instant since, int queued) {
    }

    @Inject
    Settings settings;

    @Inject
    StreamDelivery streams;

    @Inject
    MetricRegistry metrics;

    @Inject
    Redis redis;

    private Jsonb jsonb;
    private Relay relay;
    private RedisBus bus;
    private volatile Instant since = Instant.now();
    private Counter published;
    private Counter publishFailures;
    private Counter received;
    private Counter resubscribes;

    @PostConstruct
    void start() {
        String node = settings.instance() + "#" + UUID.randomUUID().toString().substring(0, 8);
        Optional<RedisTarget> target = redis.target();
        if (target.isEmpty()) {
            LOG.log(Level.INFO, "cluster fan-out is local: no Redis is set, so messages reach the sessions of this instance only");
            return;
        }
        jsonb = JsonbBuilder.create();
        relay = new Relay(node, new Relay.Local() {
            @Override
            public int toRoom(String room, String epoch, long offset, String frame) {
                return streams.arrived(StreamDelivery.roomStream(room), epoch, offset, frame);
            }

            @Override
            public int toAll(String epoch, long offset, String frame) {
                return streams.arrived(StreamDelivery.BROADCAST, epoch, offset, frame);
            }
        }, jsonb, target.get().mode() != RedisTarget.Mode.CLUSTER, RedisBus.heartbeatEvery(settings.redisTimeout()).multipliedBy(3));
        published = metrics.counter("cluster_published");
        publishFailures = metrics.counter("cluster_publish_failures");
        received = metrics.counter("cluster_received");
        resubscribes = metrics.counter("cluster_resubscribes");
        bus = new RedisBus(target.get(), settings.clusterChannel(), jsonb.toJson(Envelope.heartbeat(node)), new Events(),
                appThreads());
        relay.attach(bus);
        metrics.gauge("cluster_bus_up", this, b -> b.bus.up() ? 1 : 0);
        metrics.gauge("cluster_publish_queue", this, b -> b.bus.queued());
        bus.start();
        try {
            if (bus.awaitSubscribed(SUBSCRIBE_WAIT)) {
                LOG.log(Level.INFO, "cluster fan-out joined {0} as {1}", new Object[] {bus.describe(), node});
            } else {
                LOG.log(Level.WARNING, "cluster_bus_down bus={0}: not subscribed within {1} ms ({2});"
                        + " serving this instance''s sessions, joining when Redis answers",
                        new Object[] {bus.describe(), SUBSCRIBE_WAIT.toMillis(), bus.lastError()});
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Creates the bean while the application starts, so it has subscribed before readiness is UP. */
    void subscribeOnStart(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        LOG.log(Level.FINE, "cluster bus started: {0}", status());
    }

    /** Where a room's messages are published: the cluster channel, under this node's envelope. */
    @Override
    public StreamStore.Publication roomPublication(String room) {
        return relay == null ? StreamStore.Publication.NONE
                : new StreamStore.Publication(settings.clusterChannel(), relay.roomHead(room));
    }

    /**
     * Where broadcast {@code id} is published; from now on the other instances' answers (how many
     * connections each reached) are added to {@code delivered}. {@link #awaitReplies} must follow.
     */
    public StreamStore.Publication broadcastPublication(String id, AtomicInteger delivered) {
        return relay == null ? StreamStore.Publication.NONE
                : new StreamStore.Publication(settings.clusterChannel(), relay.broadcastHead(id, delivered));
    }

    /**
     * Waits at most {@link #BROADCAST_REPLY_WAIT} for the other instances' answers to broadcast
     * {@code id}, which its publication reached {@code receivers} subscribers (negative: not
     * published). Returns the connections reached on other instances.
     */
    public int awaitReplies(String id, long receivers) {
        return relay == null ? 0 : relay.awaitReplies(id, receivers, BROADCAST_REPLY_WAIT);
    }

    public Status status() {
        if (bus == null) {
            return new Status("local", "none", true, settings.instance(), null, since, 0);
        }
        return new Status("redis", bus.describe(), bus.up(), relay.node(), bus.up() ? null : bus.lastError(), since,
                bus.queued());
    }

    /** Bus threads run with the application's class loader, like container threads. */
    private static ThreadFactory appThreads() {
        ClassLoader app = Thread.currentThread().getContextClassLoader();
        return r -> {
            Thread t = new Thread(r);
            t.setContextClassLoader(app);
            return t;
        };
    }

    /** Turns the bus's reports into logs and metrics. */
    private final class Events implements RedisBus.Listener {
        @Override
        public void message(String payload) {
            if (relay.receive(payload)) {
                received.inc();
            }
        }

        @Override
        public void up() {
            since = Instant.now();
            LOG.log(Level.INFO, "cluster_bus_up bus={0}: fan-out reaches every instance", bus.describe());
            // What was published while the bus was down never arrived: read it from the history.
            streams.resync();
        }

        @Override
        public void down(String reason) {
            since = Instant.now();
            LOG.log(Level.WARNING, "cluster_bus_down bus={0}: {1}; messages reach this instance''s sessions only"
                    + " until Redis answers again", new Object[] {bus.describe(), reason});
        }

        @Override
        public void published(int count) {
            published.inc(count);
        }

        @Override
        public void publishFailed(int count, String reason) {
            publishFailures.inc(count);
            LOG.log(Level.FINE, "cluster publish of {0} messages failed: {1}", new Object[] {count, reason});
        }

        @Override
        public void resubscribed() {
            resubscribes.inc();
        }
    }

    /**
     * Sends what is still queued for the other instances (a message answered during the drain
     * must reach them too), waiting at most {@code flush} for it, then leaves the channel. Called
     * by a drain that ends the JVM itself (no {@code @PreDestroy} runs then) and at application
     * stop; closing the bus a second time does nothing.
     */
    public void close(Duration flush) {
        if (bus != null) {
            bus.close(flush);
            LOG.log(Level.INFO, "cluster bus closed");
        }
    }

    /** At application stop. Bounded: Liberty's stopTimeout is 3 s. */
    @PreDestroy
    void stop() {
        close(Duration.ofMillis(Math.min(1_500, 2 * settings.redisTimeout().toMillis())));
        if (jsonb != null) {
            try {
                jsonb.close();
            } catch (Exception e) {
                LOG.log(Level.FINE, "closing JSON-B: {0}", e.toString());
            }
        }
    }
}
