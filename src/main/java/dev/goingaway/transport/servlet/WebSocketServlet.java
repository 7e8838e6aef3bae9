package dev.goingaway.transport.servlet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import jakarta.enterprise.inject.spi.CDI;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.goingaway.chat.ChatService;
import dev.goingaway.chat.ConnectionEvents;
import dev.goingaway.chat.OriginPolicy;
import dev.goingaway.config.Settings;
import dev.goingaway.shutdown.TransportStopping;

/**
 * The opening handshake (RFC 6455 section 4.2) on a plain Servlet, then
 * {@link WebSocketConnection} owns the bytes. Registered on {@code /ws/chat} by
 * {@code dev.goingaway.transport.TransportSelection} when {@code WS_TRANSPORT=servlet}, with the
 * chat ({@link ConnectionEvents}) behind it. Refusals the client must be able to read (draining,
 * origin, capacity) happen after the handshake, with a close code, as on the Jakarta endpoint;
 * only requests that are not WebSocket handshakes get an HTTP error.
 */
public class WebSocketServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    /** How long a closing connection waits for the client's close frame before it is ended. */
    static final long CLOSE_TIMEOUT_MILLIS = 5_000;

    private transient ConnectionEvents events;
    private transient Settings settings;
    private transient ServletTransport transport;

    @Override
    public void init() {
        events = events();
        settings = CDI.current().select(Settings.class).get();
        transport = CDI.current().select(ServletTransport.class).get();
    }

    /** Who hears of each connection's frames: the chat. */
    protected ConnectionEvents events() {
        return CDI.current().select(ChatService.class).get();
    }

    /** The largest frame a connection buffers ({@code MAX_MESSAGE_BYTES}). */
    protected int maxFrameBytes() {
        return settings.maxMessageBytes();
    }

    /** Whether the handshake's {@code Origin} may connect ({@code ALLOWED_ORIGINS}). */
    protected boolean originAllowed(HttpServletRequest req) {
        return OriginPolicy.allowed(req.getHeader("Origin"), settings.allowedOrigins(),
                req.getHeader("X-Forwarded-Host"), req.getHeader("Host"));
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException, ServletException {
        String key = req.getHeader("Sec-WebSocket-Key");
        if (!token(req.getHeader("Upgrade"), "websocket") || !token(req.getHeader("Connection"), "upgrade")) {
            resp.sendError(HttpServletResponse.SC_BAD_REQUEST, "a WebSocket handshake is expected here");
            return;
        }
        if (!"13".equals(trim(req.getHeader("Sec-WebSocket-Version")))) {
            resp.setHeader("Sec-WebSocket-Version", "13");
            resp.sendError(426, "WebSocket version 13 is required");
            return;
        }
        if (!validKey(key)) {
            resp.sendError(HttpServletResponse.SC_BAD_REQUEST, "Sec-WebSocket-Key must be 16 bytes in base64");
            return;
        }
        boolean originOk = originAllowed(req);
        Map<String, String> params = new HashMap<>();
        for (Map.Entry<String, String[]> e : req.getParameterMap().entrySet()) {
            if (e.getValue().length > 0) {
                params.put(e.getKey(), e.getValue()[0]);
            }
        }
        resp.setStatus(HttpServletResponse.SC_SWITCHING_PROTOCOLS);
        resp.setHeader("Upgrade", "websocket");
        resp.setHeader("Connection", "Upgrade");
        resp.setHeader("Sec-WebSocket-Accept", accept(key.trim()));
        WebSocketConnection connection = req.upgrade(WebSocketConnection.class);
        connection.prepare(new WebSocketConnection.Handshake(params, originOk, req.getHeader("Origin"), maxFrameBytes(),
                CLOSE_TIMEOUT_MILLIS), events, transport);
    }

    /**
     * The application stops. The drain runs first (bye and 1001 to everyone, through the
     * {@link TransportStopping} event), then whatever connection is still open ends.
     */
    @Override
    public void destroy() {
        try {
            CDI.current().getBeanManager().getEvent().select(TransportStopping.class).fire(new TransportStopping());
        } catch (RuntimeException e) {
            log("drain before the transport stops failed; connections end without their bye", e);
        }
        if (transport != null) {
            transport.stop();
        }
    }

    static String accept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JVM", e);
        }
    }

    static boolean validKey(String key) {
        if (key == null) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(key.trim()).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Whether a comma-separated header holds the token (case-insensitive). */
    static boolean token(String header, String token) {
        if (header == null) {
            return false;
        }
        for (String t : header.split(",")) {
            if (t.trim().toLowerCase(Locale.ROOT).equals(token)) {
                return true;
            }
        }
        return false;
    }

    private static String trim(String s) {
        return s == null ? null : s.trim();
    }
}
