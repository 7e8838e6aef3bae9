package dev.goingaway.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.goingaway.config.Settings;

/**
 * The Redis of this deployment, read once from the settings: {@code REDIS_URL} (one node),
 * {@code REDIS_SENTINEL_NODES} (a primary watched by sentinels) or {@code REDIS_CLUSTER_NODES}
 * (a Redis Cluster); none of them: no Redis, everything in memory. Naming more than one fails
 * the deployment, naming which.
 */
@ApplicationScoped
public class Redis {

    private static final Logger LOG = Logger.getLogger(Redis.class.getName());

    @Inject
    Settings settings;

    private Optional<RedisTarget> target;

    @PostConstruct
    void read() {
        target = from(settings);
        target.ifPresent(t -> LOG.log(Level.INFO, "redis: {0} ({1})", new Object[] {t.describe(), t.mode()}));
    }

    /** Where Redis is, or empty when no Redis is configured. */
    public Optional<RedisTarget> target() {
        return target;
    }

    static Optional<RedisTarget> from(Settings s) {
        List<String> named = new ArrayList<>();
        s.redisUrl().ifPresent(v -> named.add("REDIS_URL"));
        s.redisSentinelNodes().ifPresent(v -> named.add("REDIS_SENTINEL_NODES"));
        s.redisClusterNodes().ifPresent(v -> named.add("REDIS_CLUSTER_NODES"));
        if (named.size() > 1) {
            throw new IllegalArgumentException("set one of REDIS_URL, REDIS_SENTINEL_NODES and REDIS_CLUSTER_NODES, not "
                    + String.join(" and ", named));
        }
        if (s.redisUrl().isPresent()) {
            return Optional.of(RedisTarget.single(RedisUrl.parse(s.redisUrl().get()), s.redisTimeout()));
        }
        String user = s.redisUsername().orElse(null);
        String password = s.redisPassword().orElse(null);
        if (s.redisSentinelNodes().isPresent()) {
            return Optional.of(RedisTarget.sentinel(s.redisSentinelNodes().get(), s.redisSentinelMaster(), user, password,
                    s.redisSentinelUsername().orElse(null), s.redisSentinelPassword().orElse(null), s.redisTls(),
                    s.redisTimeout()));
        }
        if (s.redisClusterNodes().isPresent()) {
            return Optional.of(RedisTarget.cluster(s.redisClusterNodes().get(), user, password, s.redisTls(), s.redisTimeout()));
        }
        return Optional.empty();
    }
}
