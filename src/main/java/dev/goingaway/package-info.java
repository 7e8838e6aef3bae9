/**
 * GoingAway: a WebSocket chat and broadcast service whose rolling updates lose nothing.
 * One package per feature (docs/ARCHITECTURE.md has the picture and the glossary):
 * {@code chat} (the chat, whatever carries it, and the ports it owns: {@code Connection},
 * {@code ConnectionEvents}, {@code FanOut}), {@code transport} with {@code transport.servlet} and
 * {@code transport.jakarta} (what carries {@code /ws/chat}), {@code cluster} (fan-out between
 * instances), {@code stream} (numbered streams and their history, for resumes), {@code store}
 * (sessions' totals in Redis), {@code shutdown} (the drain, and the
 * {@code Transport} port it owns), {@code broadcast} (the REST API), {@code heartbeat},
 * {@code health}, {@code config} and {@code web} (the page's headers). This package holds two
 * helpers every feature may use: {@link dev.goingaway.InFlight} and
 * {@link dev.goingaway.DaemonThreads}.
 */
package dev.goingaway;
