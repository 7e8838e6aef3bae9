/**
 * The servlet transport ({@code WS_TRANSPORT=servlet}, the default): RFC 6455 framed by this
 * package on a Servlet {@code HttpUpgradeHandler}, without Liberty's WebSocket layer.
 *
 * <ul>
 *   <li>{@link dev.goingaway.transport.servlet.WebSocketServlet}: the opening handshake;</li>
 *   <li>{@link dev.goingaway.transport.servlet.WebSocketConnection}: one connection (the chat's
 *       {@code Connection}); it opens, ends the TCP connection once, reports the end once;</li>
 *   <li>{@link dev.goingaway.transport.servlet.Incoming} and
 *       {@link dev.goingaway.transport.servlet.FrameParser}: reading and parsing;</li>
 *   <li>{@link dev.goingaway.transport.servlet.Outgoing} and
 *       {@link dev.goingaway.transport.servlet.FrameEncoder}: the writer task and the frames;</li>
 *   <li>{@link dev.goingaway.transport.servlet.CloseHandshake}: the close handshake;</li>
 *   <li>{@link dev.goingaway.transport.servlet.TcpClose}: the end of a socket Liberty's close
 *       leaves open;</li>
 *   <li>{@link dev.goingaway.transport.servlet.ServletTransport}: the state shared by every
 *       connection (the open ones, the writer pool, the timers) and the drain's view of it.</li>
 * </ul>
 *
 * Conformance: the Autobahn|Testsuite fuzzingclient, run by {@code scripts/conformance.sh}
 * against a test-only echo on this same code (docs/ARCHITECTURE.md).
 */
package dev.goingaway.transport.servlet;
