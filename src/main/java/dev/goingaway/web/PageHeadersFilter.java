package dev.goingaway.web;

import java.io.IOException;
import java.util.Optional;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;

/**
 * Puts {@link PageHeaders}' headers on the page's files. Mapped to every path but hands
 * anything that is not the page (the WebSocket, the broadcast API, health, metrics) straight
 * on, untouched; {@code asyncSupported} so it never stands in the way of a request that needs it.
 */
@WebFilter(filterName = "PageHeaders", urlPatterns = "/*", asyncSupported = true)
public class PageHeadersFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        // Servlet path + path info: decoded and normalised, so /%77s/chat is seen as /ws/chat.
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        Optional<PageHeaders.Asset> asset = PageHeaders.classify(path);
        if (asset.isEmpty()) {
            chain.doFilter(request, response);
            return;
        }
        PageHeaders.Asset a = asset.get();
        response.setHeader("X-Content-Type-Options", PageHeaders.NOSNIFF);
        response.setHeader("Referrer-Policy", PageHeaders.REFERRER_POLICY);
        response.setHeader("Content-Security-Policy", PageHeaders.contentSecurityPolicy(authority(request)));
        if (a != PageHeaders.Asset.PAGE && getServletContext().getResource(path) == null) {
            // A 404: the error page brings its own type, and a miss must not be cached.
            response.setHeader("Cache-Control", "no-store");
            chain.doFilter(request, response);
            return;
        }
        a.cacheControl().ifPresent(c -> response.setHeader("Cache-Control", c));
        if (a.contentType().isPresent()) {
            response.setContentType(a.contentType().get());
            chain.doFilter(request, new FixedContentType(response, a.contentType().get()));
        } else {
            chain.doFilter(request, response);
        }
    }

    /** host[:port] the browser addressed: the Host header, or HTTP/2's :authority via the server name. */
    static String authority(HttpServletRequest request) {
        String host = request.getHeader("Host");
        if (host != null) {
            return host;
        }
        String name = request.getServerName();
        if (name == null) {
            return null;
        }
        if (name.indexOf(':') >= 0 && !name.startsWith("[")) {
            name = "[" + name + "]";
        }
        int port = request.getServerPort();
        boolean standard = port <= 0 || (port == 80 && "http".equals(request.getScheme()))
                || (port == 443 && "https".equals(request.getScheme()));
        return standard ? name : name + ":" + port;
    }

    /**
     * Keeps the content type chosen here when the file servlet sets its own from its MIME
     * table (which may lack {@code .mjs} or a charset). Error responses keep whatever type the
     * error page brings.
     */
    static final class FixedContentType extends HttpServletResponseWrapper {

        private final String contentType;

        FixedContentType(HttpServletResponse response, String contentType) {
            super(response);
            this.contentType = contentType;
        }

        private boolean fixed() {
            return getStatus() < 400;
        }

        @Override
        public void setContentType(String type) {
            super.setContentType(fixed() ? contentType : type);
        }

        @Override
        public void setCharacterEncoding(String charset) {
            if (!fixed()) {
                super.setCharacterEncoding(charset);
            }
        }

        @Override
        public void setHeader(String name, String value) {
            if ("Content-Type".equalsIgnoreCase(name)) {
                setContentType(value);
            } else {
                super.setHeader(name, value);
            }
        }

        @Override
        public void addHeader(String name, String value) {
            if ("Content-Type".equalsIgnoreCase(name)) {
                setContentType(value);
            } else {
                super.addHeader(name, value);
            }
        }
    }
}
