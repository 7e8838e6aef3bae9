/**
 * Several instances as one service. {@link dev.goingaway.cluster.ClusterBus} publishes every chat
 * message and broadcast on one Redis pub/sub channel and delivers what the other instances
 * publish to this instance's sessions: local delivery happens at once, each published envelope
 * carries its origin, and an instance ignores its own, so every session gets each message once.
 * Without {@code REDIS_URL} fan-out stays in this instance; when Redis is unreachable it degrades
 * to local fan-out (metric {@code cluster_bus_up} 0) and resubscribes by itself when Redis returns.
 */
package dev.goingaway.cluster;
