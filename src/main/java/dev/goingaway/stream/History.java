package dev.goingaway.stream;

import java.time.Duration;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.eclipse.microprofile.metrics.MetricRegistry;

import dev.goingaway.config.Settings;
import dev.goingaway.store.RedisUrl;

import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;

/**
 * The streams' store for this application: Redis when {@code REDIS_URL} is set (with this
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

    private FallbackStreamStore store;
    private String where;

    @PostConstruct
    void start() {
        int size = settings.historySize();
        Duration ttl = settings.historyTtl();
        Optional<String> url = settings.redisUrl();
        StreamStore shared = null;
        if (url.isPresent()) {
            RedisUrl redis = RedisUrl.parse(url.get());
            var appendConfig = redis.clientConfig(settings.redisTimeout(), "goingaway-streams-append");
            var address = new HostAndPort(redis.host(), redis.port());
            shared = new RedisStreamStore(client(redis, settings.redisTimeout()), size, ttl,
                    () -> new Connection(address, appendConfig));
            where = redis.toString();
        } else {
            where = "memory";
        }
        store = new FallbackStreamStore(shared, size, ttl, RETRY);
        metrics.gauge("stream_store_up", this, h -> h.store.status().up() ? 1 : 0);
        LOG.log(Level.INFO, "stream history: {0} messages per stream, kept {1} s after the last, in {2}",
                new Object[] {size, ttl.toSeconds(), where});
    }

    private static RedisClient client(RedisUrl url, Duration timeout) {
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(16);
        pool.setMaxIdle(16);
        pool.setMinIdle(0);
        pool.setMaxWait(timeout);
        pool.setBlockWhenExhausted(true);
        pool.setJmxEnabled(false);
        return RedisClient.builder().hostAndPort(new HostAndPort(url.host(), url.port()))
                .clientConfig(url.clientConfig(timeout, "goingaway-streams")).poolConfig(pool).build();
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
