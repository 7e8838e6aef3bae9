package dev.goingaway.testing;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.RedisSentinelClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.args.ClientType;
import redis.clients.jedis.params.ClientKillParams;

/**
 * The Redis an integration test runs the servers against, in the shape the run asks for with
 * {@code -Dit.redis.topology=single|sentinel|cluster} (default single): one node, a primary with
 * a replica behind three sentinels, or a three-primary cluster with a replica each. All real
 * processes of the Redis binary the tests use. A test reads it the same whatever the shape:
 * the settings to start a server with, a client to look inside, the subscriptions to cut, and a
 * failover to cause.
 */
public final class TestRedis implements AutoCloseable {

    public enum Topology { SINGLE, SENTINEL, CLUSTER }

    private final Topology topology;
    private final RedisProcess single;
    private final RedisSentinelSetup sentinel;
    private final RedisClusterSetup cluster;
    /** Sentinel: the port of the primary killed last, not yet back. */
    private Integer killed;
    /** Cluster: nodes promoted by a failover here; their shard has no replica left. */
    private final Set<HostAndPort> promoted = new LinkedHashSet<>();

    private TestRedis(Topology topology, RedisProcess single, RedisSentinelSetup sentinel, RedisClusterSetup cluster) {
        this.topology = topology;
        this.single = single;
        this.sentinel = sentinel;
        this.cluster = cluster;
    }

    /** The shape named by {@code it.redis.topology}. */
    public static Topology requested() {
        String name = System.getProperty("it.redis.topology", "single").trim().toUpperCase(Locale.ROOT);
        return Topology.valueOf(name.isEmpty() ? "SINGLE" : name);
    }

    /** Starts the shape the run asks for. */
    public static TestRedis start() throws Exception {
        return start(requested());
    }

    public static TestRedis start(Topology topology) throws Exception {
        return switch (topology) {
            case SINGLE -> new TestRedis(topology, RedisProcess.start(0), null, null);
            case SENTINEL -> new TestRedis(topology, null, RedisSentinelSetup.start(), null);
            case CLUSTER -> new TestRedis(topology, null, null, RedisClusterSetup.start(3, 1));
        };
    }

    public Topology topology() {
        return topology;
    }

    /** The settings a server is started with to use this Redis, as name, value pairs. */
    public String[] env(String... more) {
        String[] own = switch (topology) {
            case SINGLE -> new String[] {"REDIS_URL", single.url()};
            case SENTINEL -> new String[] {"REDIS_SENTINEL_NODES", sentinel.sentinelNodes(),
                    "REDIS_SENTINEL_MASTER", sentinel.masterName()};
            case CLUSTER -> new String[] {"REDIS_CLUSTER_NODES", cluster.seeds()};
        };
        String[] all = Arrays.copyOf(own, own.length + more.length);
        System.arraycopy(more, 0, all, own.length, more.length);
        return all;
    }

    /** A client of this Redis, whatever its shape; the caller closes it. */
    public UnifiedJedis client() {
        return switch (topology) {
            case SINGLE -> RedisClient.create("127.0.0.1", single.port());
            case SENTINEL -> RedisSentinelClient.builder().masterName(sentinel.masterName())
                    .sentinels(addresses(sentinel.sentinelNodes())).build();
            case CLUSTER -> RedisClusterClient.builder().nodes(addresses(cluster.seeds())).build();
        };
    }

    /** The one node (single only), for the tests that stop, freeze or restart it. */
    public RedisProcess single() {
        if (single == null) {
            throw new IllegalStateException("not a single-node run: " + topology);
        }
        return single;
    }

    /** Cuts every pub/sub connection of every data node ({@code CLIENT KILL TYPE pubsub}). */
    public void killSubscriptions() {
        for (HostAndPort node : dataNodes()) {
            try (Jedis jedis = new Jedis(node)) {
                jedis.clientKill(new ClientKillParams().type(ClientType.PUBSUB));
            } catch (RuntimeException e) {
                // a node that is down has no subscriptions to cut
            }
        }
    }

    private List<HostAndPort> dataNodes() {
        return switch (topology) {
            case SINGLE -> List.of(new HostAndPort("127.0.0.1", single.port()));
            case SENTINEL -> List.of(sentinel.primary());
            case CLUSTER -> List.copyOf(addresses(cluster.seeds())); // replicas hold subscriptions too
        };
    }

    /**
     * Whether {@link #killPrimaryAndAwaitFailover} can be called for {@code key}: there is a
     * replica to promote. On Sentinel the node killed before is brought back as a replica first.
     */
    public boolean readyToFailOver(String key) throws Exception {
        return switch (topology) {
            case SINGLE -> false;
            case SENTINEL -> {
                if (killed != null) {
                    sentinel.restartAsReplica(killed);
                    killed = null;
                }
                yield true;
            }
            case CLUSTER -> !promoted.contains(cluster.primaryOf(key));
        };
    }

    /**
     * SIGKILLs the primary that holds {@code key} (Sentinel: the primary) and returns where it
     * was. Not for a single node, which has no replica to promote.
     */
    public HostAndPort killPrimary(String key) {
        switch (topology) {
            case SENTINEL -> {
                HostAndPort old = sentinel.primary();
                killed = sentinel.killPrimary();
                return old;
            }
            case CLUSTER -> {
                HostAndPort old = cluster.primaryOf(key);
                cluster.killPrimaryOf(key);
                return old;
            }
            default -> throw new IllegalStateException("a single node has no replica to promote");
        }
    }

    /** Waits until another node than {@code old} serves {@code key} as primary; returns it. */
    public HostAndPort awaitFailover(String key, HostAndPort old, Duration within) throws Exception {
        if (topology == Topology.SENTINEL) {
            return sentinel.awaitFailover(old, within);
        }
        HostAndPort now = cluster.awaitFailoverOf(key, old, within);
        promoted.add(now);
        return now;
    }

    private static Set<HostAndPort> addresses(String list) {
        Set<HostAndPort> out = new LinkedHashSet<>();
        for (String s : list.split(",")) {
            out.add(HostAndPort.from(s.trim()));
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        try (AutoCloseable a = single; AutoCloseable b = sentinel; AutoCloseable c = cluster) {
            // closes whichever was started
        }
    }

    @Override
    public String toString() {
        return topology.name().toLowerCase(Locale.ROOT);
    }
}
