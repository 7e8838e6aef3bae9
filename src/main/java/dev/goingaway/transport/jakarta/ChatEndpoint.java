package dev.goingaway.transport.jakarta;

import java.nio.ByteBuffer;

import jakarta.enterprise.context.Dependent;
import jakarta.inject.Inject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;

import dev.goingaway.chat.ChatService;
import dev.goingaway.chat.ConnectionEvents;

/**
 * {@code ws://HOST:9080/ws/chat?session=ID&room=R} on Liberty's Jakarta WebSocket
 * ({@code WS_TRANSPORT=jakarta}): the {@code @ServerEndpoint} of the design card. Thin on
 * purpose: each callback goes to the chat ({@link ConnectionEvents}), with Liberty's
 * {@code Session} seen as a {@link dev.goingaway.chat.Connection}. {@code @Dependent} makes it a
 * CDI bean, without which Liberty leaves the injected fields null (FFDC CWOWB1006E).
 */
@Dependent
@ServerEndpoint(value = "/ws/chat", configurator = HandshakeGuard.class)
public class ChatEndpoint {

    @Inject
    ChatService chat;

    @Inject
    JakartaTransport transport;

    @OnOpen
    public void onOpen(Session session) {
        chat.open(JakartaConnection.opened(session, chat.maxMessageBytes(), transport));
    }

    /** Text arrives part by part so that the service can bound a fragmented message's size. */
    @OnMessage
    public void onText(Session session, String part, boolean last) {
        chat.receivePart(JakartaConnection.of(session), part, last);
    }

    @OnMessage
    public void onBinary(Session session, ByteBuffer data) {
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        chat.binary(JakartaConnection.of(session), bytes, true, true);
    }

    @OnMessage
    public void onPong(Session session, PongMessage pong) {
        chat.pong(JakartaConnection.of(session));
    }

    @OnClose
    public void onClose(Session session, CloseReason reason) {
        chat.closed(JakartaConnection.of(session), reason.getCloseCode().getCode(), reason.getReasonPhrase());
    }

    @OnError
    public void onError(Session session, Throwable error) {
        chat.failed(JakartaConnection.of(session), error);
    }
}
