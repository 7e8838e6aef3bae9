package dev.goingaway.store;

import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonBuilderFactory;
import jakarta.json.JsonReaderFactory;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;

import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Session totals in Redis, shared by every instance. Key layout:
 * <ul>
 *   <li>{@code goingaway:session:<id>} — hash {@code total} (decimal) and {@code recent}
 *       (JSON array of the last client ids), expiring after {@code SESSION_TTL};</li>
 *   <li>{@code goingaway:shutdown:<instance>} — JSON report of that instance's last shutdown,
 *       and {@code goingaway:shutdown:last}, the newest report of any instance.</li>
 * </ul>
 * Every call borrows a pooled connection for at most {@code REDIS_TIMEOUT} and each read is
 * bounded by the same timeout, so a dead Redis fails in milliseconds and a frozen one in ~0.5 s.
 */
public class RedisSessionStore implements SessionStore {

    static final String SESSION_PREFIX = "goingaway:session:";
    static final String REPORT_PREFIX = "goingaway:shutdown:";
    static final String LAST_REPORT = "goingaway:shutdown:last";

    // Json.createX() looks the provider up on every call; factories are thread-safe and cached.
    private static final JsonBuilderFactory BUILDERS = Json.createBuilderFactory(Map.of());
    private static final JsonReaderFactory READERS = Json.createReaderFactory(Map.of());

    private final JedisPool pool;
    private final RedisUrl url;

    public RedisSessionStore(RedisUrl url, Duration timeout) {
        this.url = url;
        GenericObjectPoolConfig<Jedis> poolConfig = new GenericObjectPoolConfig<>();
        poolConfig.setMaxTotal(16);
        poolConfig.setMaxIdle(16);
        poolConfig.setMinIdle(0);
        poolConfig.setMaxWait(timeout);
        poolConfig.setBlockWhenExhausted(true);
        poolConfig.setJmxEnabled(false);
        this.pool = new JedisPool(poolConfig, new HostAndPort(url.host(), url.port()), url.clientConfig(timeout, "goingaway"));
    }

    /** The key of a session's hash. */
    public static String sessionKey(String sessionId) {
        return SESSION_PREFIX + sessionId;
    }

    @Override
    public Optional<SessionRecord> load(String sessionId) throws StoreException {
        try (Jedis jedis = pool.getResource()) {
            Map<String, String> hash = jedis.hgetAll(sessionKey(sessionId));
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
        try (Jedis jedis = pool.getResource()) {
            Pipeline pipeline = jedis.pipelined();
            for (SessionRecord r : records) {
                String key = sessionKey(r.sessionId());
                pipeline.hset(key, Map.of("total", Long.toString(r.total()), "recent", encodeIds(r.recentIds())));
                pipeline.pexpire(key, ttlMillis);
            }
            pipeline.sync();
        } catch (JedisException e) {
            throw new StoreException("save of " + records.size() + " sessions to " + url + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void saveShutdownReport(String instance, String json, Duration ttl) throws StoreException {
        try (Jedis jedis = pool.getResource()) {
            Pipeline pipeline = jedis.pipelined();
            pipeline.psetex(REPORT_PREFIX + instance, ttl.toMillis(), json);
            pipeline.psetex(LAST_REPORT, ttl.toMillis(), json);
            pipeline.sync();
        } catch (JedisException e) {
            throw new StoreException("save of shutdown report to " + url + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<String> shutdownReport(String instance) throws StoreException {
        try (Jedis jedis = pool.getResource()) {
            return Optional.ofNullable(jedis.get(REPORT_PREFIX + instance));
        } catch (JedisException e) {
            throw new StoreException("read of shutdown report from " + url + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void ping() throws StoreException {
        try (Jedis jedis = pool.getResource()) {
            jedis.ping();
        } catch (JedisException e) {
            throw new StoreException("Redis at " + url + " did not answer: " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return url.toString();
    }

    @Override
    public void close() {
        pool.close();
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
