package dev.goingaway.conformance;

import java.io.ByteArrayOutputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServletRequest;

import dev.goingaway.chat.Connection;
import dev.goingaway.chat.ConnectionEvents;
import dev.goingaway.transport.servlet.WebSocketConnection;
import dev.goingaway.transport.servlet.WebSocketServlet;

/**
 * A test-only echo on the servlet transport, for the Autobahn|Testsuite fuzzingclient
 * ({@code scripts/conformance.sh}): the same handshake, reading, parsing, writing and close code
 * as {@code /ws/chat}, with an echo where the chat would be. Every text and binary message comes
 * back whole, once its last fragment has arrived. Never in the application's WAR: the script adds
 * it to a copy.
 */
@WebServlet(urlPatterns = "/ws/echo", asyncSupported = true)
public class EchoServlet extends WebSocketServlet {

    private static final long serialVersionUID = 1L;
    /** Autobahn's largest messages (section 9) are 16 MiB. */
    private static final int MAX_FRAME_BYTES = 32 * 1024 * 1024;

    @Override
    protected ConnectionEvents events() {
        return new Echo();
    }

    @Override
    protected int maxFrameBytes() {
        return MAX_FRAME_BYTES;
    }

    @Override
    protected boolean originAllowed(HttpServletRequest req) {
        return true;
    }

    /** Each message back as it came, text as text and binary as binary. */
    static final class Echo implements ConnectionEvents {
        private final Map<String, StringBuilder> texts = new ConcurrentHashMap<>();
        private final Map<String, ByteArrayOutputStream> binaries = new ConcurrentHashMap<>();

        @Override
        public void open(Connection connection) {
        }

        @Override
        public void receivePart(Connection connection, String part, boolean last) {
            StringBuilder message = texts.computeIfAbsent(connection.id(), id -> new StringBuilder()).append(part);
            if (last) {
                texts.remove(connection.id());
                connection.sendText(message.toString(), failure -> { });
            }
        }

        @Override
        public void binary(Connection connection, byte[] part, boolean first, boolean last) {
            ByteArrayOutputStream message = binaries.computeIfAbsent(connection.id(), id -> new ByteArrayOutputStream());
            message.writeBytes(part);
            if (last) {
                binaries.remove(connection.id());
                ((WebSocketConnection) connection).sendBinary(message.toByteArray(), failure -> { });
            }
        }

        @Override
        public void pong(Connection connection) {
        }

        @Override
        public void closed(Connection connection, int code, String reason) {
            forget(connection);
        }

        @Override
        public void failed(Connection connection, Throwable error) {
            forget(connection);
        }

        private void forget(Connection connection) {
            texts.remove(connection.id());
            binaries.remove(connection.id());
        }
    }
}
