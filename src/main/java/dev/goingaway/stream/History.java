package dev.goingaway.stream;

import java.time.Duration;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.metrics.MetricRegistry;

import dev.goingaway.config.Settings;
import dev.goingaway.redis.LazyClient;
import dev.goingaway.redis.Redis;
import dev.goingaway.redis.RedisTarget;

/**
 * The streams' store for this application: Redis when one is set ({@link Redis}) (with this
 * instance's own numbering while it cannot be reached), memory otherwise. Window from
 * {@code HISTORY_SIZE} and {@code HISTORY_TTL}. Gauge {@code stream_store_up}.
 */
@ApplicationScoped
public class History {

    private static final Logger LOG = Logger.getLogger(History.class.getName());
    /** How often a store that failed is tried again (one call; the others stay local meanwhile). */
    static final Duration RETRY = Duration.ofSeconds(1);

    @Inject
    Settings settings;

    @Inject
    MetricRegistry metrics;

    @Inject
    Redis redis;

    private FallbackStreamStore store;
    private String where;

    @PostConstruct
    void start() {
        int size = settings.historySize();
        Duration ttl = settings.historyTtl();
        Optional<RedisTarget> target = redis.target();
        StreamStore shared = null;
        if (target.isPresent()) {
            shared = new RedisStreamStore(new LazyClient(target.get(), "goingaway-streams", 16), size, ttl);
            where = target.get().describe();
        } else {
            where = "memory";
        }
        store = new FallbackStreamStore(shared, size, ttl, RETRY);
        metrics.gauge("stream_store_up", this, h -> h.store.status().up() ? 1 : 0);
        LOG.log(Level.INFO, "stream history: {0} messages per stream, kept {1} s after the last, in {2}",
                new Object[] {size, ttl.toSeconds(), where});
    }

    public FallbackStreamStore store() {
        return store;
    }

    /** Where the history lives, for readiness data and logs (never a password). */
    public String describe() {
        return where;
    }

    @PreDestroy
    void stop() {
        store.close();
    }
}
