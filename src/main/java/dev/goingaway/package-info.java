/**
 * GoingAway: a WebSocket chat and broadcast service whose rolling updates lose nothing.
 * One package per feature: {@code chat} (the WebSocket endpoint and its session state),
 * {@code broadcast} (the REST API), {@code store} (session totals in Redis), {@code heartbeat},
 * {@code health}, {@code shutdown} (the drain on SIGTERM) and {@code config}.
 */
package dev.goingaway;
