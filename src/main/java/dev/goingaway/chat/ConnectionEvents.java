package dev.goingaway.chat;

/**
 * What a transport tells the chat about a connection, in the order it happens; each call on the
 * connection's reading thread (or the container's callback thread). {@link ChatService}
 * implements it; a transport calls nothing else of the chat.
 */
public interface ConnectionEvents {

    /** The handshake is done and the connection is open. */
    void open(Connection connection);

    /** One text frame's payload (UTF-8 already checked); {@code last} ends the message. */
    void receivePart(Connection connection, String part, boolean last);

    /** One binary frame's payload; {@code first} begins a message, {@code last} ends it. */
    void binary(Connection connection, byte[] part, boolean first, boolean last);

    /** An answer to one of the server's pings. */
    void pong(Connection connection);

    /** The connection is gone: its close handshake ended (with this code), or it just went. */
    void closed(Connection connection, int code, String reason);

    /** The connection failed; it is gone after this. */
    void failed(Connection connection, Throwable error);
}
