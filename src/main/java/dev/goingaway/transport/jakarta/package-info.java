/**
 * The Jakarta transport ({@code WS_TRANSPORT=jakarta}): the design card's {@code @ServerEndpoint}
 * ({@link dev.goingaway.transport.jakarta.ChatEndpoint}) on Liberty's Jakarta WebSocket, its
 * {@code Session} seen by the chat as a {@link dev.goingaway.transport.jakarta.JakartaConnection},
 * the origin check at the handshake ({@link dev.goingaway.transport.jakarta.HandshakeGuard}),
 * and what the drain needs of it ({@link dev.goingaway.transport.jakarta.JakartaTransport}, with
 * {@link dev.goingaway.transport.jakarta.OpenConnections} counting Liberty's sockets).
 */
package dev.goingaway.transport.jakarta;
