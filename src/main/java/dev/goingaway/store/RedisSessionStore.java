package dev.goingaway.store;

import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonBuilderFactory;
import jakarta.json.JsonReaderFactory;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import dev.goingaway.redis.LazyClient;
import dev.goingaway.redis.RedisTarget;

import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Session totals in Redis, shared by every instance. Key layout:
 * <ul>
 *   <li>{@code goingaway:session:<id>} — hash {@code total} (decimal) and {@code recent}
 *       (JSON array of the last client ids), expiring after {@code SESSION_TTL};</li>
 *   <li>{@code goingaway:shutdown:<instance>} — JSON report of that instance's last shutdown,
 *       and {@code goingaway:shutdown:last}, the newest report of any instance.</li>
 * </ul>
 * On Sentinel a batch of totals ends with {@code WAIT 1} (at most {@value #REPLICA_WAIT_MILLIS} ms),
 * so what a failover promotes has them. Each key is one command's (never two keys in one command), so on a Redis Cluster every call
 * goes to the node that owns its slot and a batch is one pipeline per node. Every call borrows a
 * pooled connection for at most {@code REDIS_TIMEOUT} and each read is bounded by the same
 * timeout, so a dead Redis fails in milliseconds and a frozen one in ~0.5 s.
 */
public class RedisSessionStore implements SessionStore {

    static final String SESSION_PREFIX = "goingaway:session:";
    static final String REPORT_PREFIX = "goingaway:shutdown:";
    static final String LAST_REPORT = "goingaway:shutdown:last";
    /** The most a batch of totals waits for a replica ({@code WAIT 1}), Sentinel only. */
    static final long REPLICA_WAIT_MILLIS = 100;

    // Json.createX() looks the provider up on every call; factories are thread-safe and cached.
    private static final JsonBuilderFactory BUILDERS = Json.createBuilderFactory(Map.of());
    private static final JsonReaderFactory READERS = Json.createReaderFactory(Map.of());

    private final LazyClient redis;
    private final String url;
    /** How long a batch of totals waits for a replica to have it (Sentinel); 0: not at all. */
    private final long replicaWaitMillis;

    public RedisSessionStore(RedisTarget target) {
        this.redis = new LazyClient(target, "goingaway", 16);
        this.url = target.describe();
        this.replicaWaitMillis = target.mode() == RedisTarget.Mode.SENTINEL
                ? Math.max(1, Math.min(REPLICA_WAIT_MILLIS, target.timeout().toMillis() / 2)) : 0;
    }

    /** The key of a session's hash. */
    public static String sessionKey(String sessionId) {
        return SESSION_PREFIX + sessionId;
    }

    @Override
    public Optional<SessionRecord> load(String sessionId) throws StoreException {
        try {
            Map<String, String> hash = redis.get().hgetAll(sessionKey(sessionId));
            if (hash == null || hash.isEmpty() || hash.get("total") == null) {
                return Optional.empty();
            }
            long total = Long.parseLong(hash.get("total"));
            return Optional.of(new SessionRecord(sessionId, total, decodeIds(hash.get("recent"))));
        } catch (JedisException | NumberFormatException e) {
            throw new StoreException("load of session " + sessionId + " from " + url + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void saveAll(Collection<SessionRecord> records, Duration ttl) throws StoreException {
        if (records.isEmpty()) {
            return;
        }
        long ttlMillis = ttl.toMillis();
        try {
            redis.pipelined(pipeline -> {
                String key = null;
                for (SessionRecord r : records) {
                    key = sessionKey(r.sessionId());
                    pipeline.hset(key, Map.of("total", Long.toString(r.total()), "recent", encodeIds(r.recentIds())));
                    pipeline.pexpire(key, ttlMillis);
                }
                if (replicaWaitMillis > 0) {
                    // The batch is done when a replica has it too (or after the wait): a failover
                    // then promotes a replica that has these totals. One round trip per batch.
                    pipeline.waitReplicas(key, 1, replicaWaitMillis);
                }
            });
        } catch (JedisException e) {
            throw new StoreException("save of " + records.size() + " sessions to " + url + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void saveShutdownReport(String instance, String json, Duration ttl) throws StoreException {
        try {
            redis.pipelined(pipeline -> {
                pipeline.psetex(REPORT_PREFIX + instance, ttl.toMillis(), json);
                pipeline.psetex(LAST_REPORT, ttl.toMillis(), json);
            });
        } catch (JedisException e) {
            throw new StoreException("save of shutdown report to " + url + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<String> shutdownReport(String instance) throws StoreException {
        try {
            return Optional.ofNullable(redis.get().get(REPORT_PREFIX + instance));
        } catch (JedisException e) {
            throw new StoreException("read of shutdown report from " + url + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public String ping() throws StoreException {
        try {
            UnifiedJedis c = redis.get();
            if (c instanceof RedisClusterClient cluster) {
                TreeSet<String> ids = new TreeSet<>();
                for (ConnectionPool node : cluster.getClusterNodes().values()) {
                    try (Connection connection = node.getResource(); Jedis jedis = new Jedis(connection)) {
                        String info = jedis.info("replication");
                        if (info.contains("role:master")) {
                            ids.add(replicationId(info));
                        }
                    } catch (JedisException e) {
                        // a node that is down has no say; its slots are served by another or fail
                    }
                }
                if (ids.isEmpty()) {
                    throw new JedisConnectionException("no primary of the cluster answered");
                }
                return String.join(",", ids);
            }
            return replicationId(c.info("replication"));
        } catch (JedisException e) {
            throw new StoreException("Redis at " + url + " did not answer: " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return url;
    }

    @Override
    public void close() {
        redis.close();
    }

    /** {@code master_replid} of an {@code INFO replication} answer. */
    static String replicationId(String info) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("master_replid:")) {
                return line.substring("master_replid:".length()).trim();
            }
        }
        return "?";
    }

    static String encodeIds(List<String> ids) {
        JsonArrayBuilder array = BUILDERS.createArrayBuilder();
        ids.forEach(array::add);
        return array.build().toString();
    }

    static List<String> decodeIds(String json) {
        if (json == null || json.isEmpty()) {
            return List.of();
        }
        try (var reader = READERS.createReader(new StringReader(json))) {
            JsonArray array = reader.readArray();
            List<String> ids = new ArrayList<>(array.size());
            for (JsonValue v : array) {
                if (v instanceof JsonString s) {
                    ids.add(s.getString());
                }
            }
            return ids;
        } catch (RuntimeException e) {
            return List.of();
        }
    }
}
