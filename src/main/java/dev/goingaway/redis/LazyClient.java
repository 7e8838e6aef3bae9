package dev.goingaway.redis;

import java.util.function.Consumer;

import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.RedisSentinelClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.Pool;

/**
 * A pooled client of a {@link RedisTarget}, made on first use. A Sentinel client asks the
 * sentinels for the primary as it is built, and a Cluster client reads the slot map: either fails
 * if nothing answers, and the service must start (and chat from memory) while Redis is away. So
 * the client is built when a call first needs it, and a failed build is a failed call
 * ({@link JedisException}), tried again by the next.
 */
public final class LazyClient implements AutoCloseable {

    private final RedisTarget target;
    private final String name;
    private final int poolSize;
    private volatile UnifiedJedis client;
    private volatile boolean closed;

    public LazyClient(RedisTarget target, String clientName, int poolSize) {
        this.target = target;
        this.name = clientName;
        this.poolSize = poolSize;
    }

    /** Wraps a client made elsewhere (tests); it is closed with this. */
    public static LazyClient of(RedisTarget target, UnifiedJedis client) {
        LazyClient lazy = new LazyClient(target, "goingaway", 1);
        lazy.client = client;
        return lazy;
    }

    public RedisTarget target() {
        return target;
    }

    /** The client; builds it if this is the first use or every earlier build failed. */
    public UnifiedJedis get() {
        UnifiedJedis c = client;
        if (c != null) {
            return c;
        }
        synchronized (this) {
            if (closed) {
                throw new JedisConnectionException("closed");
            }
            if (client == null) {
                try {
                    client = target.client(name, poolSize);
                } catch (JedisException e) {
                    throw e;
                } catch (RuntimeException e) {
                    throw new JedisConnectionException(target.describe() + ": " + e.getMessage(), e);
                }
            }
            return client;
        }
    }

    /** A connection of its own to the primary (or, on Cluster, any node): see {@link RedisTarget#connect}. */
    public Connection connect(String clientName) {
        return target.connect(get(), clientName);
    }

    /**
     * Runs {@code commands} on one pipeline and reads the replies once. On a single node or a
     * Sentinel primary the connection is taken from the pool here: a pipeline's own
     * {@code close()} reads again after a failed read, which on a frozen Redis waits for the
     * timeout twice. A Cluster pipeline spreads the commands over the nodes that own their slots.
     */
    public void pipelined(Consumer<AbstractPipeline> commands) {
        UnifiedJedis c = get();
        Pool<Connection> pool = primaryPool(c);
        if (pool != null) {
            try (Connection connection = pool.getResource()) {
                Pipeline pipeline = new Pipeline(connection, false);
                commands.accept(pipeline);
                pipeline.sync(); // a failure marks the connection broken: closing it destroys it
            }
        } else {
            try (AbstractPipeline pipeline = c.pipelined()) {
                commands.accept(pipeline);
                pipeline.sync();
            } catch (RuntimeException e) {
                // A cluster pipeline never reads the slot map again by itself: after a failover
                // it would keep sending to the node that is gone.
                refreshSlots(c);
                throw e;
            }
        }
    }

    /** Reads a cluster's slot map again; nothing on other shapes or when no node answers. */
    public void refreshSlots() {
        refreshSlots(client);
    }

    private static void refreshSlots(UnifiedJedis c) {
        if (c instanceof RedisClusterClient cluster) {
            try {
                cluster.refreshClusterTopology();
            } catch (RuntimeException e) {
                // no node answered: the next call fails and is retried in turn
            }
        }
    }

    private static Pool<Connection> primaryPool(UnifiedJedis c) {
        if (c instanceof RedisClient single) {
            return single.getPool();
        }
        if (c instanceof RedisSentinelClient sentinel) {
            for (Pool<Connection> p : sentinel.getPrimaryNodesConnectionMap().values()) {
                return p;
            }
        }
        return null;
    }

    /**
     * Drops the idle pooled connections: after Redis restarted or a new primary took over, a
     * connection opened before would fail the first call made on it. On a Cluster, reads the
     * slot map again too.
     */
    public void clearIdle() {
        UnifiedJedis c = client;
        if (c instanceof RedisClient single) {
            single.getPool().clear();
        } else if (c instanceof RedisSentinelClient sentinel) {
            sentinel.getPrimaryNodesConnectionMap().values().forEach(Pool::clear);
        } else if (c instanceof RedisClusterClient cluster) {
            cluster.getClusterNodes().values().forEach(ConnectionPool::clear);
            refreshSlots(cluster);
        }
    }

    @Override
    public void close() {
        UnifiedJedis c;
        synchronized (this) {
            closed = true;
            c = client;
            client = null;
        }
        if (c != null) {
            c.close();
        }
    }
}
