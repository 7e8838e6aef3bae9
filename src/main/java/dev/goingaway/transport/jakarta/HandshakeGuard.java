package dev.goingaway.transport.jakarta;

import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.inject.spi.CDI;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;

import dev.goingaway.chat.OriginPolicy;
import dev.goingaway.config.Settings;

/**
 * Looks at the handshake's {@code Origin} before the socket opens. The verdict travels to
 * {@code @OnOpen} in the per-connection user properties (WebSocket 2.1 makes them a copy per
 * connection), where a refused origin is closed with 1008: a browser sees that code, while a
 * refused HTTP handshake would only show it 1006.
 */
public class HandshakeGuard extends ServerEndpointConfig.Configurator {

    static final String ORIGIN_ALLOWED = "goingaway.origin.allowed";
    static final String ORIGIN = "goingaway.origin";

    @Override
    public void modifyHandshake(ServerEndpointConfig config, HandshakeRequest request, HandshakeResponse response) {
        Map<String, List<String>> headers = request.getHeaders();
        String origin = first(headers, "Origin");
        Set<String> allowed = CDI.current().select(Settings.class).get().allowedOrigins();
        boolean ok = OriginPolicy.allowed(origin, allowed, first(headers, "X-Forwarded-Host"), first(headers, "Host"));
        config.getUserProperties().put(ORIGIN_ALLOWED, ok);
        if (origin != null) {
            config.getUserProperties().put(ORIGIN, origin);
        }
    }

    private static String first(Map<String, List<String>> headers, String name) {
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (e.getKey() != null && e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                return e.getValue().get(0);
            }
        }
        return null;
    }
}
