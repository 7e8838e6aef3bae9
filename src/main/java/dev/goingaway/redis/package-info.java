/**
 * Where Redis is and how the service talks to it, whichever shape it has: one node
 * ({@code REDIS_URL}), a primary watched by sentinels ({@code REDIS_SENTINEL_NODES}) or a Redis
 * Cluster ({@code REDIS_CLUSTER_NODES}). {@link dev.goingaway.redis.Redis} reads the settings
 * once; {@link dev.goingaway.redis.RedisTarget} makes Jedis's client for that shape and
 * connections of their own (subscriptions, the appender's pipeline);
 * {@link dev.goingaway.redis.LazyClient} builds a client on first use so that a Redis that is
 * away at start is a fault like any other. The session store, the streams and the cluster bus
 * each hold their own client (docs/REDIS.md).
 */
package dev.goingaway.redis;
