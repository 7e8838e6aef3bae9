package dev.goingaway.transport.jakarta;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;

import dev.goingaway.chat.CloseCode;
import dev.goingaway.chat.Connection;

/**
 * A {@link Connection} carried by Liberty's Jakarta WebSocket implementation: a view of the
 * container's {@link Session}, which it never copies anything from that Liberty may clear while
 * tearing the connection down. The endpoint makes a fresh view for each callback (they are
 * equal by id); the one made at open is the chat's for the connection's whole life, and it
 * alone tracks its last write, which {@link #queueClose} waits for.
 */
final class JakartaConnection implements Connection {

    private final Session jakartaSession;
    private final JakartaTransport transport;
    /** The last text frame handed to Liberty: a close waits until it is written. */
    private volatile CompletableFuture<Void> lastWrite = CompletableFuture.completedFuture(null);

    private JakartaConnection(Session jakartaSession, JakartaTransport transport) {
        this.jakartaSession = jakartaSession;
        this.transport = transport;
    }

    /** The view of a callback. */
    static JakartaConnection of(Session jakartaSession) {
        return new JakartaConnection(jakartaSession, null);
    }

    /** The chat's view of a newly opened connection, with the container-side limits applied. */
    static JakartaConnection opened(Session jakartaSession, int maxMessageBytes, JakartaTransport transport) {
        jakartaSession.setMaxTextMessageBufferSize(maxMessageBytes);
        jakartaSession.setMaxBinaryMessageBufferSize(1024);
        jakartaSession.setMaxIdleTimeout(0);
        return new JakartaConnection(jakartaSession, transport);
    }

    @Override
    public String id() {
        return jakartaSession.getId();
    }

    @Override
    public String param(String name) {
        List<String> values = jakartaSession.getRequestParameterMap().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    @Override
    public boolean originAllowed() {
        return !Boolean.FALSE.equals(jakartaSession.getUserProperties().get(HandshakeGuard.ORIGIN_ALLOWED));
    }

    @Override
    public String origin() {
        Object origin = jakartaSession.getUserProperties().get(HandshakeGuard.ORIGIN);
        return origin == null ? null : origin.toString();
    }

    @Override
    public boolean isOpen() {
        return jakartaSession.isOpen();
    }

    @Override
    public void sendText(String text, Consumer<Throwable> done) {
        CompletableFuture<Void> written = new CompletableFuture<>();
        lastWrite = written;
        jakartaSession.getAsyncRemote().sendText(text, result -> {
            done.accept(result.isOK() ? null : result.getException());
            if (result.isOK()) {
                written.complete(null);
            } else {
                written.completeExceptionally(result.getException());
            }
        });
    }

    @Override
    public void sendPing(ByteBuffer payload) throws IOException {
        jakartaSession.getAsyncRemote().sendPing(payload);
    }

    @Override
    public void close(CloseCode code, String reason) throws IOException {
        jakartaSession.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code.code()), reason));
    }

    /**
     * Liberty's {@code close()} blocks until the close frame is written, and Liberty refuses a
     * close while a write is in progress, so the close waits for the last frame to be written
     * and then runs on the transport's closer pool. A last frame not written by its deadline (a
     * client that stopped reading) has its close run on a pool of its own, so a stuck client
     * never holds up the others. The client's answer is Liberty's to wait for.
     */
    @Override
    public void queueClose(CloseCode code, String reason, long lastFrameDeadlineNanos, long answerDeadlineNanos,
                           Consumer<Throwable> written) {
        lastWrite.thenApply(v -> Boolean.TRUE)
                .completeOnTimeout(Boolean.FALSE, Math.max(0, lastFrameDeadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)
                .exceptionally(e -> Boolean.FALSE)
                .thenAccept(took -> transport.close(took, () -> {
                    Throwable failure = null;
                    try {
                        if (isOpen()) {
                            close(code, reason);
                        }
                    } catch (IOException | RuntimeException e) {
                        failure = e;
                    }
                    written.accept(failure);
                }));
    }

    /** Liberty's WebSocket container ends its own connections when it stops (docs/LIBERTY-FACTS.md). */
    @Override
    public boolean abort(String why) {
        return false;
    }
}
