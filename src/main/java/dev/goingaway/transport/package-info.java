/**
 * The transports that carry {@code /ws/chat}, one chosen at start by {@code WS_TRANSPORT}
 * ({@link dev.goingaway.transport.TransportSelection}): {@code servlet} (default), the project's
 * own RFC 6455 implementation on a Servlet upgrade, and {@code jakarta}, the
 * {@code @ServerEndpoint} on Liberty's Jakarta WebSocket. Each implements the ports the core
 * owns: the chat's {@link dev.goingaway.chat.Connection} and
 * {@link dev.goingaway.chat.ConnectionEvents}, and the drain's
 * {@link dev.goingaway.shutdown.Transport} (given to the drain by
 * {@link dev.goingaway.transport.Transports}). Nothing outside this package and its two
 * sub-packages touches a container's WebSocket or upgrade API.
 */
package dev.goingaway.transport;
