package dev.goingaway.transport.servlet;

import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;

import dev.goingaway.chat.ConnectionEvents;

/**
 * What one connection reads: Liberty calls {@link #onDataAvailable()} when bytes arrive, the
 * {@link FrameParser} turns them into frames, and each frame goes, in order and on the reading
 * thread, to the chat ({@link ConnectionEvents}) or to the connection's close handshake.
 */
final class Incoming implements ReadListener, FrameParser.Handler {

    private static final Logger LOG = Logger.getLogger(Incoming.class.getName());

    private final WebSocketConnection connection;
    private final ConnectionEvents events;
    private final FrameParser parser;
    private final ServletTransport transport;
    private final ServletInputStream in;

    Incoming(WebSocketConnection connection, ConnectionEvents events, int maxFrameBytes, ServletTransport transport,
             ServletInputStream in) {
        this.connection = connection;
        this.events = events;
        this.parser = new FrameParser(maxFrameBytes, this);
        this.transport = transport;
        this.in = in;
    }

    @Override
    public void onDataAvailable() {
        byte[] b = transport.readBuffer();
        try {
            while (!connection.ended() && in.isReady()) {
                int n = in.read(b);
                if (n < 0) {
                    connection.ended("the client closed the connection");
                    return;
                }
                if (!connection.closeReceived()) {
                    parser.feed(b, 0, n);
                }
            }
        } catch (FrameParser.Violation v) {
            // The client broke the protocol: answer with the code, stop reading, end when written.
            LOG.log(Level.FINE, "connection {0}: protocol error, closing with {1}: {2}",
                    new Object[] {connection.id(), v.code, v.getMessage()});
            connection.clientDone(v.code, v.getMessage(), v.getMessage());
        } catch (IOException e) {
            connection.fail(e);
        }
    }

    @Override
    public void onAllDataRead() {
        connection.ended("the client closed the connection");
    }

    @Override
    public void onError(Throwable t) {
        connection.fail(t);
    }

    // ---- what the frames mean -------------------------------------------------------------------

    @Override
    public void text(String part, boolean last) {
        if (!connection.closeSent()) {
            events.receivePart(connection, part, last);
        }
    }

    @Override
    public void binary(byte[] part, boolean first, boolean last) {
        if (!connection.closeSent()) {
            events.binary(connection, part, first, last);
        }
    }

    @Override
    public void ping(byte[] payload) {
        if (!connection.closeSent()) {
            connection.write(FrameEncoder.pong(payload), null);
        }
    }

    @Override
    public void pong() {
        events.pong(connection);
    }

    @Override
    public void close(int code, String reason) {
        connection.clientDone(code, "", reason);
    }
}
