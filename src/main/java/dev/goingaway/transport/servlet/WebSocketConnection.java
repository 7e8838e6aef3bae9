package dev.goingaway.transport.servlet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.servlet.http.HttpUpgradeHandler;
import jakarta.servlet.http.WebConnection;

import dev.goingaway.chat.CloseCode;
import dev.goingaway.chat.Connection;
import dev.goingaway.chat.ConnectionEvents;

/**
 * One WebSocket connection on a Servlet upgrade: the chat's {@link Connection} without
 * Liberty's WebSocket layer. Reading is {@link Incoming}'s, writing {@link Outgoing}'s, the
 * close handshake {@link CloseHandshake}'s; this class opens the connection, ends the TCP
 * connection (once) and tells the chat of the end (exactly once).
 */
public class WebSocketConnection implements HttpUpgradeHandler, Connection {

    private static final Logger LOG = Logger.getLogger(WebSocketConnection.class.getName());

    /** What the opening handshake learned, and the limits the connection runs under. */
    record Handshake(Map<String, String> params, boolean originAllowed, String origin, int maxFrameBytes,
                     long closeTimeoutMillis) {
    }

    private String id;
    private Handshake handshakeInfo;
    private ConnectionEvents events;
    private ServletTransport transport;

    private WebConnection connection;
    private Outgoing outgoing;
    /** Registered with the transport's open connections (so removed from them once ended). */
    private boolean counted;

    private CloseHandshake handshake;
    private volatile boolean opening;
    private final AtomicBoolean reported = new AtomicBoolean();

    /** Made by the container in {@code HttpServletRequest.upgrade}. */
    public WebSocketConnection() {
    }

    /** Called by the servlet before the container calls {@link #init}. */
    void prepare(Handshake info, ConnectionEvents events, ServletTransport transport) {
        this.id = transport.nextId();
        this.handshakeInfo = info;
        this.events = events;
        this.transport = transport;
        this.outgoing = new Outgoing(this, this, transport.writers());
        this.handshake = new CloseHandshake(this, transport, info.closeTimeoutMillis());
    }

    @Override
    public void init(WebConnection wc) {
        connection = wc;
        Incoming incoming;
        try {
            outgoing.start(wc.getOutputStream());
            incoming = new Incoming(this, events, handshakeInfo.maxFrameBytes(), transport, wc.getInputStream());
        } catch (IOException e) {
            fail(e);
            return;
        }
        synchronized (this) {
            counted = !outgoing.ended();
        }
        if (counted) {
            transport.opened(this);
        }
        try {
            wc.getOutputStream().setWriteListener(outgoing);
            opening = true;
            try {
                events.open(this);
            } finally {
                opening = false;
            }
            wc.getInputStream().setReadListener(incoming);
        } catch (IOException e) {
            fail(e);
        }
    }

    @Override
    public void destroy() {
        end();
        report(1006, "connection destroyed");
    }

    // ---- Connection -------------------------------------------------------------------------------

    @Override
    public String id() {
        return id;
    }

    @Override
    public String param(String name) {
        return handshakeInfo.params().get(name);
    }

    @Override
    public boolean originAllowed() {
        return handshakeInfo.originAllowed();
    }

    @Override
    public String origin() {
        return handshakeInfo.origin();
    }

    @Override
    public boolean isOpen() {
        return !handshake.sent() && !ended();
    }

    @Override
    public void sendText(String text, Consumer<Throwable> done) {
        send(FrameEncoder.text(text), done);
    }

    /** One binary frame (the chat sends none; the conformance suite's echo does). */
    public void sendBinary(byte[] data, Consumer<Throwable> done) {
        send(FrameEncoder.binary(data), done);
    }

    private void send(byte[] frame, Consumer<Throwable> done) {
        if (handshake.sent()) {
            done.accept(new IOException("the connection is closing"));
        } else {
            write(frame, done);
        }
    }

    @Override
    public void sendPing(ByteBuffer payload) {
        byte[] b = new byte[payload.remaining()];
        payload.get(b);
        write(FrameEncoder.ping(b), null);
    }

    /**
     * Sends the close frame and returns once it is written (at most the close timeout); the
     * connection ends when the client answers, or at the timeout. During {@link #init} (a
     * refused connection) it only queues the frame: the write it would wait for needs the
     * container thread that is running init.
     */
    @Override
    public void close(CloseCode code, String reason) throws IOException {
        if (handshake.start(code.code(), reason, handshakeInfo.closeTimeoutMillis(), null) && !opening) {
            handshake.awaitWritten();
        }
    }

    /**
     * Queues the close frame behind what is queued (the drain's bye) and returns at once: the
     * writer task then sends both in one flush. The answer is awaited until the given deadline
     * (the drain's), not only the close timeout: a client that reads late must not have its
     * connection ended before it has read what came before the close frame. A client that does
     * not read at all is the drain's to end ({@link #abort}), so the last frame's deadline is not
     * needed here.
     */
    @Override
    public void queueClose(CloseCode code, String reason, long lastFrameDeadlineNanos, long answerDeadlineNanos,
                           Consumer<Throwable> written) {
        long answerMillis = Math.max(handshakeInfo.closeTimeoutMillis(), TimeUnit.NANOSECONDS.toMillis(answerDeadlineNanos - System.nanoTime()));
        if (!handshake.start(code.code(), reason, answerMillis, written)) {
            written.accept(new IOException("the connection is already closing"));
        }
    }

    /**
     * Ends the connection now. A writer blocked on a client that does not read is released
     * (see {@link #end()}); the client gets whatever the kernel already holds, then the end.
     */
    @Override
    public boolean abort(String why) {
        end();
        report(1006, why);
        return true;
    }

    // ---- the end ----------------------------------------------------------------------------------

    /**
     * Ends the TCP connection (once) and fails whatever was still queued. Liberty's close runs
     * on the writer pool, never on the caller; if the writer task is inside a flush, it closes
     * the connection when that flush returns ({@link Outgoing}).
     */
    void end() {
        Outgoing.Ending ending;
        synchronized (this) {
            ending = outgoing.end();
            if (ending.first() && counted) {
                transport.ended(this);
            }
        }
        if (!ending.first()) {
            return;
        }
        boolean handshakeDone = handshake.done();
        handshake.connectionEnded();
        if (connection != null) {
            // Only the end of the stream: when the writer task is inside Liberty's stream, maybe
            // blocked on a client that does not read (the task closes the rest when it returns);
            // or when the process ends next and the client's answer has been read (the socket is
            // left to the exit).
            boolean outputOnly = !ending.closeNow() || (handshakeDone && transport.processEnding());
            Runnable close = outputOnly ? () -> TcpClose.shutdownOutput(TcpClose.socket(connection)) : this::closeSocket;
            try {
                transport.writers().execute(close);
            } catch (RejectedExecutionException e) {
                LOG.log(Level.FINEST, "connection {0}: left to the process exit, the application is stopping", id);
            }
        }
        IOException gone = new IOException("connection closed");
        for (Consumer<Throwable> done : ending.failed()) {
            done.accept(gone);
        }
    }

    /** Liberty's close of the upgraded connection, on the writer pool ({@link TcpClose#closeUpgraded}). */
    void closeSocket() {
        if (connection != null) {
            TcpClose.closeUpgraded(connection);
        }
    }

    /** The client went away without a close frame (or after its own). */
    void ended(String why) {
        end();
        report(1006, why);
    }

    /** The connection failed under a read or a write. */
    void fail(Throwable t) {
        end();
        if (reported.compareAndSet(false, true) && events != null) {
            events.failed(this, t);
        }
    }

    /** Tells the chat, once, that this connection is gone. */
    private void report(int code, String reason) {
        if (reported.compareAndSet(false, true) && events != null) {
            events.closed(this, code, reason);
        }
    }

    void write(byte[] frame, Consumer<Throwable> done) {
        outgoing.write(frame, done);
    }

    boolean ended() {
        return outgoing.ended();
    }

    boolean closeSent() {
        return handshake.sent();
    }

    boolean closeReceived() {
        return handshake.received();
    }

    /** The client's close frame, or a protocol violation (answered with {@code code}). */
    void clientDone(int code, String answer, String reason) {
        handshake.clientDone(code, answer);
        report(code, reason);
    }
}
