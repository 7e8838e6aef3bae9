package dev.goingaway.chat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;

/**
 * A {@link Peer} carried by Liberty's Jakarta WebSocket implementation. Stateless: a view of
 * the {@link Session}, made afresh for each callback, so it never holds anything Liberty may
 * clear while tearing a session down.
 */
final class JakartaPeer implements Peer {

    private final Session ws;

    JakartaPeer(Session ws) {
        this.ws = ws;
    }

    /** Applies the container-side limits to a newly opened session. */
    static JakartaPeer opened(Session ws, int maxMessageBytes) {
        ws.setMaxTextMessageBufferSize(maxMessageBytes);
        ws.setMaxBinaryMessageBufferSize(1024);
        ws.setMaxIdleTimeout(0);
        return new JakartaPeer(ws);
    }

    @Override
    public String id() {
        return ws.getId();
    }

    @Override
    public String param(String name) {
        List<String> values = ws.getRequestParameterMap().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    @Override
    public boolean originAllowed() {
        return !Boolean.FALSE.equals(ws.getUserProperties().get(HandshakeGuard.ORIGIN_ALLOWED));
    }

    @Override
    public String origin() {
        Object origin = ws.getUserProperties().get(HandshakeGuard.ORIGIN);
        return origin == null ? null : origin.toString();
    }

    @Override
    public boolean isOpen() {
        return ws.isOpen();
    }

    @Override
    public void sendText(String text, Consumer<Throwable> done) {
        ws.getAsyncRemote().sendText(text, result -> done.accept(result.isOK() ? null : result.getException()));
    }

    @Override
    public void sendPing(ByteBuffer payload) throws IOException {
        ws.getAsyncRemote().sendPing(payload);
    }

    @Override
    public void close(CloseCode code, String reason) throws IOException {
        ws.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code.code()), reason));
    }
}
