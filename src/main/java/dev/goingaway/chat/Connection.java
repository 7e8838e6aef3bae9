package dev.goingaway.chat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * One WebSocket connection as the chat (and the drain, through {@link ChatClient}) sees it,
 * whatever transport carries it: the servlet transport's own framing or Liberty's Jakarta
 * WebSocket. Each transport implements it; nothing outside a transport package sees a
 * container's API. Keeping the chat off the container's API is what lets the transport be
 * measured and swapped (docs/BENCHMARKS.md).
 */
public interface Connection {

    /** Unique among this instance's open connections; the registry's key. */
    String id();

    /** The first value of a query parameter of the handshake, or null. */
    String param(String name);

    /** Whether the handshake's {@code Origin} passed {@code ALLOWED_ORIGINS}. */
    boolean originAllowed();

    /** The handshake's {@code Origin} header, for logs; null if the client sent none. */
    String origin();

    boolean isOpen();

    /**
     * Starts writing one text frame and returns without waiting for the network; {@code done}
     * runs once, with null when the frame was written or with the failure. The caller keeps at
     * most one write outstanding ({@link Outbox} does).
     */
    void sendText(String text, Consumer<Throwable> done);

    /** Writes a ping; only while no text frame is being written (the caller holds the turn). */
    void sendPing(ByteBuffer payload) throws IOException;

    /** Writes a close frame with this code and reason; may block while the frame is written. */
    void close(CloseCode code, String reason) throws IOException;

    /**
     * Closes once every frame handed to this connection before the call is written, and returns
     * at once; {@code written} runs once, with null when the close frame is written or with the
     * failure. The drain uses it for the bye and the close 1001. A frame handed over before it
     * that is not written by {@code lastFrameDeadlineNanos} marks a client that is not reading;
     * the client's answer to the close is awaited until {@code answerDeadlineNanos} (both
     * {@link System#nanoTime()} stamps), then the connection ends without it.
     */
    void queueClose(CloseCode code, String reason, long lastFrameDeadlineNanos, long answerDeadlineNanos,
                    Consumer<Throwable> written);

    /**
     * Ends the connection now, without waiting for the close handshake: for a client that has
     * not taken its close frame by a deadline. Returns whether it ended anything (a transport
     * whose container ends its own connections at stop may do nothing).
     */
    boolean abort(String why);
}
