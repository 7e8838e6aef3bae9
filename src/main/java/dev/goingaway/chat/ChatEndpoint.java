package dev.goingaway.chat;

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

/**
 * {@code ws://HOST:9080/ws/chat?session=ID&room=R}. Thin on purpose: each callback goes to
 * {@link ChatService}, with the session seen as a {@link Peer}. {@code @Dependent} makes it a CDI bean, without which Liberty leaves
 * the injected field null (FFDC CWOWB1006E).
 */
@Dependent
@ServerEndpoint(value = "/ws/chat", configurator = HandshakeGuard.class)
public class ChatEndpoint {

    @Inject
    ChatService chat;

    @OnOpen
    public void onOpen(Session session) {
        chat.open(JakartaPeer.opened(session, chat.maxMessageBytes()));
    }

    /** Text arrives part by part so that the service can bound a fragmented message's size. */
    @OnMessage
    public void onText(Session session, String part, boolean last) {
        chat.receivePart(new JakartaPeer(session), part, last);
    }

    @OnMessage
    public void onBinary(Session session, ByteBuffer data) {
        chat.binary(new JakartaPeer(session));
    }

    @OnMessage
    public void onPong(Session session, PongMessage pong) {
        chat.pong(new JakartaPeer(session));
    }

    @OnClose
    public void onClose(Session session, CloseReason reason) {
        chat.closed(new JakartaPeer(session), reason.getCloseCode().getCode(), reason.getReasonPhrase());
    }

    @OnError
    public void onError(Session session, Throwable error) {
        chat.failed(new JakartaPeer(session), error);
    }
}
