/**
 * Test support shared by the integration tests: real processes (a Liberty server, a Redis
 * server) and real clients (a wire-level WebSocket client that records the exact close frame,
 * and a JDK client for load). Nothing here is a mock.
 */
package dev.goingaway.testing;
