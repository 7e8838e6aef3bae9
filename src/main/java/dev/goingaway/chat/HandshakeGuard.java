package dev.goingaway.chat;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.inject.spi.CDI;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;

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
        boolean ok = originAllowed(origin, allowed, first(headers, "X-Forwarded-Host"), first(headers, "Host"));
        config.getUserProperties().put(ORIGIN_ALLOWED, ok);
        if (origin != null) {
            config.getUserProperties().put(ORIGIN, origin);
        }
    }

    /**
     * No Origin (a CLI, a server-side client) is allowed; an origin listed in
     * {@code ALLOWED_ORIGINS} is allowed; otherwise only the origin whose host and port are the
     * host the request was sent to (the forwarded host behind a proxy).
     */
    public static boolean originAllowed(String origin, Set<String> allowed, String forwardedHost, String host) {
        if (origin == null || origin.isEmpty()) {
            return true;
        }
        String normalized = origin.endsWith("/") ? origin.substring(0, origin.length() - 1) : origin;
        if (allowed.contains("*") || allowed.contains(normalized)) {
            return true;
        }
        if (!allowed.isEmpty()) {
            return false;
        }
        String target = forwardedHost != null ? forwardedHost.split(",")[0].trim() : host;
        if (target == null) {
            return false;
        }
        try {
            URI uri = URI.create(normalized);
            if (uri.getHost() == null) {
                return false;
            }
            String authority = uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
            String t = target.toLowerCase(Locale.ROOT);
            String a = authority.toLowerCase(Locale.ROOT);
            return a.equals(t) || a.equals(stripDefaultPort(t, uri.getScheme()));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String stripDefaultPort(String host, String scheme) {
        if (("http".equals(scheme) && host.endsWith(":80")) || ("https".equals(scheme) && host.endsWith(":443"))) {
            return host.substring(0, host.lastIndexOf(':'));
        }
        return host;
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
