package probe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** The RFC 6455 handshake on a plain Servlet, then {@link ProbeConnection} owns the bytes. */
@WebServlet(urlPatterns = "/ws/chat", asyncSupported = true)
public class UpgradeServlet extends HttpServlet {

    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException, jakarta.servlet.ServletException {
        String key = req.getHeader("Sec-WebSocket-Key");
        if (key == null || !"websocket".equalsIgnoreCase(req.getHeader("Upgrade"))) {
            resp.sendError(400, "WebSocket upgrade expected");
            return;
        }
        if (Shutdown.DRAINING) {
            resp.sendError(503);
            return;
        }
        String accept;
        try {
            accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                    .digest((key.trim() + GUID).getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        resp.setStatus(HttpServletResponse.SC_SWITCHING_PROTOCOLS);
        resp.setHeader("Upgrade", "websocket");
        resp.setHeader("Connection", "Upgrade");
        resp.setHeader("Sec-WebSocket-Accept", accept);
        req.upgrade(ProbeConnection.class);
    }
}
