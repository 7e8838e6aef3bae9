package dev.goingaway.chat;

import java.net.URI;
import java.util.Locale;
import java.util.Set;

/** Which {@code Origin} may open a connection ({@code ALLOWED_ORIGINS}); both transports ask it at the handshake. */
public final class OriginPolicy {

    private OriginPolicy() {
    }

    /**
     * No Origin (a CLI, a server-side client) is allowed; an origin listed in
     * {@code ALLOWED_ORIGINS} is allowed; otherwise only the origin whose host and port are the
     * host the request was sent to (the forwarded host behind a proxy).
     */
    public static boolean allowed(String origin, Set<String> allowed, String forwardedHost, String host) {
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
}
