package dev.goingaway.chat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * One WebSocket connection as the chat sees it, whatever carries it. The chat only ever needs
 * these operations; {@link JakartaPeer} maps them onto a Jakarta WebSocket {@code Session}.
 * Keeping the chat off the container's API is what lets the transport be measured and swapped
 * (README, Benchmarks: "Where the floor is").
 */
public interface Peer {

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

    /** Whether {@link #queueClose} is supported; where not, callers use {@link #close}. */
    default boolean canQueueClose() {
        return false;
    }

    /**
     * Queues a close frame behind the frames already handed to this peer and returns at once;
     * {@code written} runs once, with null when the frame is written or with the failure. Only
     * where {@link #canQueueClose()}. The drain uses it to send the bye and the close frame in
     * one write. The client's answer is awaited until {@code answerDeadlineNanos} (a
     * {@link System#nanoTime()} stamp), then the connection ends without it.
     */
    default void queueClose(CloseCode code, String reason, long answerDeadlineNanos, Consumer<Throwable> written) {
        throw new UnsupportedOperationException("this transport closes with close()");
    }

    /**
     * Ends the connection now, without waiting for the close handshake: for a client that has
     * not taken its close frame by a deadline. Returns whether it ended anything. By default it
     * does nothing: Liberty's WebSocket container ends its own connections when it stops
     * (measured, docs/LIBERTY-FACTS.md).
     */
    default boolean abort(String why) {
        return false;
    }
}
