/** WebSocket pings at {@code HEARTBEAT_INTERVAL}, and the closing of peers that stopped answering. */
package dev.goingaway.heartbeat;
