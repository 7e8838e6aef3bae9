package dev.goingaway.web;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which response headers each file of the page gets. Kept apart from the filter so the policy
 * can be read, and tested, in one place.
 *
 * <p>The page is plain ES modules and a stylesheet from its own origin, so the
 * Content-Security-Policy allows exactly that: scripts, styles and images from {@code 'self'},
 * no inline code, no plugins, no framing, and connections only back to the same host (the
 * WebSocket). CSP Level 3 lets {@code 'self'} in {@code connect-src} match {@code ws:} and
 * {@code wss:} on the page's own host and port; the explicit {@code ws://host} and
 * {@code wss://host} sources are there for browsers that predate that rule.
 */
public final class PageHeaders {

    /** Never shown a stale page: the browser revalidates it on every load (cheap with ETags). */
    static final String PAGE_CACHE = "no-cache";
    /**
     * The modules and stylesheet have no content hash in their names, so they are cached only
     * briefly: after a deployment a browser runs old scripts for at most this long, and the
     * protocol they speak is stable across versions.
     */
    static final String ASSET_CACHE = "public, max-age=300";

    /** Paths served by other parts of the application or by other Liberty features. */
    private static final List<String> NOT_THE_PAGE = List.of("/ws/", "/chat/api", "/health", "/metrics");

    /** host or host:port as a browser sends it; anything else is not echoed into a header. */
    private static final Pattern HOST = Pattern.compile("(?:[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?");

    /** A file of the page: its content type and how long it may be cached. */
    public enum Asset {
        PAGE("text/html;charset=UTF-8", PAGE_CACHE),
        SCRIPT("text/javascript;charset=UTF-8", ASSET_CACHE),
        STYLE("text/css;charset=UTF-8", ASSET_CACHE),
        SVG("image/svg+xml", ASSET_CACHE),
        /** Some other static file: security headers only, type and caching left to the server. */
        OTHER(null, null);

        private final String contentType;
        private final String cacheControl;

        Asset(String contentType, String cacheControl) {
            this.contentType = contentType;
            this.cacheControl = cacheControl;
        }

        /** The exact Content-Type, or empty to keep the server's. */
        public Optional<String> contentType() {
            return Optional.ofNullable(contentType);
        }

        public Optional<String> cacheControl() {
            return Optional.ofNullable(cacheControl);
        }
    }

    private PageHeaders() {
    }

    /** What a path is, or empty for paths that are not the page's files. */
    public static Optional<Asset> classify(String path) {
        if (path == null || path.isEmpty() || "/".equals(path)) {
            return Optional.of(Asset.PAGE);
        }
        for (String prefix : NOT_THE_PAGE) {
            if (path.startsWith(prefix) || path.equals(prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix)) {
                return Optional.empty();
            }
        }
        String p = path.toLowerCase(Locale.ROOT);
        if (p.endsWith(".html") || p.endsWith("/")) {
            return Optional.of(Asset.PAGE);
        }
        if (p.endsWith(".js") || p.endsWith(".mjs")) {
            return Optional.of(Asset.SCRIPT);
        }
        if (p.endsWith(".css")) {
            return Optional.of(Asset.STYLE);
        }
        if (p.endsWith(".svg")) {
            return Optional.of(Asset.SVG);
        }
        return Optional.of(Asset.OTHER);
    }

    /**
     * The policy for a page served to {@code host} (the request's Host header). A missing or
     * malformed host only loses the explicit ws/wss sources, never widens the policy.
     */
    public static String contentSecurityPolicy(String host) {
        String connect = "'self'";
        if (host != null && HOST.matcher(host).matches()) {
            connect += " ws://" + host + " wss://" + host;
        }
        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src " + connect
                + "; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    /** Sent with every file of the page. */
    public static final String NOSNIFF = "nosniff";
    /** The page links nowhere; nothing about it needs to travel in a Referer. */
    public static final String REFERRER_POLICY = "no-referrer";
}
