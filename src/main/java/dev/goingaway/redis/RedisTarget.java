package dev.goingaway.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;

import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.RedisSentinelClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;

/**
 * The Redis this deployment uses, in one of three shapes an operator runs:
 * <ul>
 *   <li>{@link Mode#SINGLE}: one node, {@code REDIS_URL};</li>
 *   <li>{@link Mode#SENTINEL}: a primary watched by sentinels, {@code REDIS_SENTINEL_NODES} and
 *       {@code REDIS_SENTINEL_MASTER}; Jedis asks the sentinels for the primary and follows their
 *       {@code +switch-master} announcements;</li>
 *   <li>{@link Mode#CLUSTER}: a Redis Cluster, {@code REDIS_CLUSTER_NODES} (any of its nodes);
 *       Jedis routes every command by the slot of its keys.</li>
 * </ul>
 * Every connection is made with the same timeout (connect and each read), credentials, TLS and a
 * client name that shows in {@code CLIENT LIST}. {@link #toString()} never shows a password.
 */
public final class RedisTarget {

    public enum Mode { SINGLE, SENTINEL, CLUSTER }

    /**
     * How many times a cluster command is tried, all within twice {@code REDIS_TIMEOUT}. Jedis
     * reads the slot map again only after two failed connections in a row, so with two attempts
     * the first command after a failover failed although the new primary already served
     * (`RedisFailoverIT` on Cluster: a resumed session's total read as unknown 3 s after the
     * kill, 1 s after the promotion).
     */
    static final int CLUSTER_ATTEMPTS = 5;
    /**
     * How often a cluster client reads the slot map even when nothing failed (a failover or a
     * resharding elsewhere); a failed call or pipeline reads it at once.
     */
    static final Duration SLOT_MAP_REFRESH = Duration.ofSeconds(5);

    private final Mode mode;
    private final List<HostAndPort> nodes;
    private final String master;
    private final String user;
    private final String password;
    private final String sentinelUser;
    private final String sentinelPassword;
    private final int database;
    private final boolean tls;
    private final Duration timeout;

    private RedisTarget(Mode mode, List<HostAndPort> nodes, String master, String user, String password,
            String sentinelUser, String sentinelPassword, int database, boolean tls, Duration timeout) {
        this.mode = mode;
        this.nodes = List.copyOf(nodes);
        this.master = master;
        this.user = user;
        this.password = password;
        this.sentinelUser = sentinelUser;
        this.sentinelPassword = sentinelPassword;
        this.database = database;
        this.tls = tls;
        this.timeout = timeout;
    }

    /** One node, from a {@code REDIS_URL}. */
    public static RedisTarget single(RedisUrl url, Duration timeout) {
        return new RedisTarget(Mode.SINGLE, List.of(new HostAndPort(url.host(), url.port())), null, url.user(),
                url.password(), null, null, url.database(), url.tls(), timeout);
    }

    /** A primary found through sentinels. */
    public static RedisTarget sentinel(String sentinels, String master, String user, String password,
            String sentinelUser, String sentinelPassword, boolean tls, Duration timeout) {
        if (master == null || master.isBlank()) {
            throw new IllegalArgumentException("REDIS_SENTINEL_MASTER must name the primary the sentinels monitor");
        }
        return new RedisTarget(Mode.SENTINEL, addresses("REDIS_SENTINEL_NODES", sentinels, 26379), master.trim(), user,
                password, sentinelUser, sentinelPassword, 0, tls, timeout);
    }

    /** A Redis Cluster, from some of its nodes. */
    public static RedisTarget cluster(String seeds, String user, String password, boolean tls, Duration timeout) {
        return new RedisTarget(Mode.CLUSTER, addresses("REDIS_CLUSTER_NODES", seeds, 6379), null, user, password,
                null, null, 0, tls, timeout);
    }

    /**
     * {@code host:port[,host:port…]}; a missing port is {@code defaultPort}. An IPv6 address is
     * written in brackets ({@code [::1]:6379}).
     */
    static List<HostAndPort> addresses(String setting, String text, int defaultPort) {
        LinkedHashSet<HostAndPort> out = new LinkedHashSet<>();
        for (String part : text.split(",")) {
            String s = part.trim();
            if (s.isEmpty()) {
                continue;
            }
            String host;
            String port = null;
            if (s.startsWith("[")) {
                int close = s.indexOf(']');
                if (close < 0) {
                    throw new IllegalArgumentException(setting + ": '" + s + "' opens a bracket it does not close");
                }
                host = s.substring(1, close);
                if (s.length() > close + 1) {
                    if (s.charAt(close + 1) != ':') {
                        throw new IllegalArgumentException(setting + ": '" + s + "' is not host:port");
                    }
                    port = s.substring(close + 2);
                }
            } else {
                int colon = s.lastIndexOf(':');
                if (colon >= 0 && s.indexOf(':') != colon) {
                    throw new IllegalArgumentException(setting + ": write the IPv6 address '" + s + "' in brackets, [::1]:6379");
                }
                host = colon < 0 ? s : s.substring(0, colon);
                port = colon < 0 ? null : s.substring(colon + 1);
            }
            if (host.isEmpty() || host.contains("/")) {
                throw new IllegalArgumentException(setting + ": '" + s + "' is not host:port");
            }
            int p = defaultPort;
            if (port != null) {
                try {
                    p = Integer.parseInt(port);
                } catch (NumberFormatException e) {
                    p = -1;
                }
                if (p < 1 || p > 65535) {
                    throw new IllegalArgumentException(setting + ": '" + port + "' in '" + s + "' is not a port");
                }
            }
            out.add(new HostAndPort(host, p));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(setting + " names no node (expected host:port[,host:port…])");
        }
        return new ArrayList<>(out);
    }

    public Mode mode() {
        return mode;
    }

    /** The sentinels (Sentinel), the seeds (Cluster) or the one node. */
    public List<HostAndPort> nodes() {
        return nodes;
    }

    public Duration timeout() {
        return timeout;
    }

    /** How every connection to a data node is made; {@code clientName} shows in {@code CLIENT LIST}. */
    public JedisClientConfig clientConfig(String clientName) {
        return config(clientName, user, password, database);
    }

    private JedisClientConfig config(String clientName, String u, String p, int db) {
        int millis = (int) Math.max(1, timeout.toMillis());
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(millis)
                .socketTimeoutMillis(millis)
                .database(db)
                .ssl(tls)
                .clientName(clientName)
                .clientSetInfoConfig(ClientSetInfoConfig.DISABLED);
        if (p != null) {
            b.password(p);
        }
        if (u != null) {
            b.user(u);
        }
        return b.build();
    }

    /**
     * A pooled client of at most {@code poolSize} connections. Sentinel and Cluster find their
     * nodes when they are built, which fails if none answers; {@link LazyClient} builds on first use.
     */
    public UnifiedJedis client(String clientName, int poolSize) {
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(poolSize);
        pool.setMaxIdle(poolSize);
        pool.setMinIdle(0);
        pool.setMaxWait(timeout);
        pool.setBlockWhenExhausted(true);
        pool.setJmxEnabled(false);
        JedisClientConfig config = clientConfig(clientName);
        return switch (mode) {
            case SINGLE -> RedisClient.builder().hostAndPort(nodes.get(0)).clientConfig(config).poolConfig(pool).build();
            case SENTINEL -> RedisSentinelClient.builder().masterName(master).sentinels(new LinkedHashSet<>(nodes))
                    .clientConfig(config).poolConfig(pool)
                    .sentinelClientConfig(config(clientName + "-sentinel", sentinelUser, sentinelPassword, 0))
                    .build();
            case CLUSTER -> RedisClusterClient.builder().nodes(new LinkedHashSet<>(nodes)).clientConfig(config)
                    .poolConfig(pool).maxAttempts(CLUSTER_ATTEMPTS)
                    .maxTotalRetriesDuration(timeout.multipliedBy(2))
                    .topologyRefreshPeriod(SLOT_MAP_REFRESH)
                    .build();
        };
    }

    /**
     * A connection of its own, outside every pool, for a subscription or a pipeline that must not
     * share one: to the primary (single node, or the one the sentinels name now through
     * {@code locator}), or on a Cluster to any node {@code locator} knows (a classic PUBLISH
     * reaches every node, so a subscription anywhere hears it).
     */
    public Connection connect(UnifiedJedis locator, String clientName) {
        HostAndPort where = switch (mode) {
            case SINGLE -> nodes.get(0);
            case SENTINEL -> ((RedisSentinelClient) locator).getCurrentMaster();
            case CLUSTER -> anyNode((RedisClusterClient) locator);
        };
        return new Connection(where, clientConfig(clientName));
    }

    private HostAndPort anyNode(RedisClusterClient cluster) {
        List<String> known = new ArrayList<>(cluster.getClusterNodes().keySet());
        if (known.isEmpty()) {
            throw new JedisConnectionException("no node of the cluster is known");
        }
        return HostAndPort.from(known.get(ThreadLocalRandom.current().nextInt(known.size())));
    }

    /** For logs and readiness data: the shape and the nodes, never a password. */
    public String describe() {
        String auth = password != null ? "***@" : "";
        String list = String.join(",", nodes.stream().map(HostAndPort::toString).toList());
        return switch (mode) {
            case SINGLE -> (tls ? "rediss://" : "redis://") + auth + list + "/" + database;
            case SENTINEL -> "sentinel " + master + " via " + list + (tls ? " (TLS)" : "");
            case CLUSTER -> "cluster via " + list + (tls ? " (TLS)" : "");
        };
    }

    @Override
    public String toString() {
        return describe();
    }
}
