package dev.goingaway.transport.servlet;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One connection's close handshake (RFC 6455 section 7): whoever closes first sends a close
 * frame; the other side answers; the TCP connection is ended once both frames have passed, or
 * when the answer does not come in time. The connection stays whole until then: a client that
 * reads late may still be writing, and once the stream has ended a proxy or the kernel answers
 * its writes with a reset, which the JDK's client (and others) act on before delivering the
 * frames it has not read yet, the bye among them (docs/LIBERTY-FACTS.md, "A reset before the bye
 * is read").
 */
final class CloseHandshake {

    private static final Logger LOG = Logger.getLogger(CloseHandshake.class.getName());

    private final WebSocketConnection connection;
    private final ServletTransport transport;
    private final long closeTimeoutMillis;
    private volatile boolean sent;
    private volatile boolean received;
    private final CompletableFuture<Void> written = new CompletableFuture<>();

    CloseHandshake(WebSocketConnection connection, ServletTransport transport, long closeTimeoutMillis) {
        this.connection = connection;
        this.transport = transport;
        this.closeTimeoutMillis = closeTimeoutMillis;
    }

    /** Our close frame has been queued (or the client's answered). */
    boolean sent() {
        return sent;
    }

    /** The client's close frame (or a protocol violation) has been read: nothing more is read. */
    boolean received() {
        return received;
    }

    /** Both close frames have passed: the client has read everything we sent before ours. */
    boolean done() {
        return received && written.isDone() && !written.isCompletedExceptionally();
    }

    /**
     * Queues our close frame (once) and arms the wait for the answer; false if a close was
     * already under way or the connection has ended. {@code whenWritten} (may be null) runs once
     * the frame is written, or with the failure.
     */
    boolean start(int code, String reason, long answerMillis, Consumer<Throwable> whenWritten) {
        synchronized (connection) {
            if (sent || connection.ended()) {
                return false;
            }
            sent = true;
        }
        connection.write(FrameEncoder.close(code, reason), failure -> {
            if (failure == null) {
                written.complete(null);
            } else {
                written.completeExceptionally(failure);
            }
            if (received || failure != null) {
                connection.end();
            }
            if (whenWritten != null) {
                whenWritten.accept(failure);
            }
        });
        transport.schedule(() -> {
            if (!connection.ended()) {
                LOG.log(Level.FINE, "connection {0}: no close reply within {1} ms, ending it",
                        new Object[] {connection.id(), answerMillis});
                connection.ended("no close reply");
            }
        }, answerMillis);
        return true;
    }

    /** Waits, at most the close timeout, for our close frame to be written. */
    void awaitWritten() throws IOException {
        try {
            written.get(closeTimeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while writing the close frame", e);
        } catch (ExecutionException e) {
            if (received) {
                return; // the client answered our close and hung up before the write was seen complete
            }
            throw new IOException("close frame not written: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("close frame not written within " + closeTimeoutMillis + " ms (client not reading)");
        }
    }

    /**
     * The client's side is finished (its close frame, or a protocol violation): a close frame
     * answers unless ours is already out; the TCP connection ends once the close frames have
     * passed (or at the timeout).
     */
    void clientDone(int code, String answer) {
        received = true;
        boolean send;
        synchronized (connection) {
            send = !sent && !connection.ended();
            sent = true;
        }
        if (send) {
            connection.write(FrameEncoder.close(code, answer), failure -> connection.end());
        } else if (written.isDone()) {
            connection.end();
        } // else: our own close frame is still being written; its completion ends the connection
    }

    /** The connection has ended: a close frame not written by now never will be. */
    void connectionEnded() {
        written.completeExceptionally(new IOException("connection ended"));
    }
}
