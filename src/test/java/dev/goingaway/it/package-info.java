/**
 * Black-box Arquillian integration tests: the shipped WAR deployed by Arquillian to a managed
 * Liberty server (the production server.xml plus a test-only local connector) backed by a real
 * Redis, exercised over real WebSocket and HTTP connections.
 */
package dev.goingaway.it;
