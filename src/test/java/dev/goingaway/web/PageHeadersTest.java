package dev.goingaway.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.goingaway.web.PageHeaders.Asset;

class PageHeadersTest {

    @Test
    void thePageAndItsFilesAreClassifiedByPath() {
        assertEquals(Optional.of(Asset.PAGE), PageHeaders.classify("/"), "/ is the page");
        assertEquals(Optional.of(Asset.PAGE), PageHeaders.classify(""), "empty path (context root) is the page");
        assertEquals(Optional.of(Asset.PAGE), PageHeaders.classify("/index.html"), "index.html");
        assertEquals(Optional.of(Asset.SCRIPT), PageHeaders.classify("/app.js"), "entry module");
        assertEquals(Optional.of(Asset.SCRIPT), PageHeaders.classify("/js/session.js"), "nested module");
        assertEquals(Optional.of(Asset.SCRIPT), PageHeaders.classify("/js/x.MJS"), ".mjs, any case");
        assertEquals(Optional.of(Asset.STYLE), PageHeaders.classify("/style.css"), "stylesheet");
        assertEquals(Optional.of(Asset.SVG), PageHeaders.classify("/favicon.svg"), "icon");
        assertEquals(Optional.of(Asset.OTHER), PageHeaders.classify("/robots.txt"), "other static file");
    }

    @Test
    void theWebSocketTheApiHealthAndMetricsAreLeftAlone() {
        for (String path : new String[] {"/ws/chat", "/chat/api/broadcast", "/chat/api", "/chat/api/", "/health/ready",
                "/health", "/metrics", "/metrics/application"}) {
            assertEquals(Optional.empty(), PageHeaders.classify(path), path + " is not the page's");
        }
    }

    @Test
    void assetTypesCarryACharsetAndTheirCachePolicy() {
        assertEquals(Optional.of("text/html;charset=UTF-8"), Asset.PAGE.contentType(), "page type");
        assertEquals(Optional.of("no-cache"), Asset.PAGE.cacheControl(), "page always revalidated");
        assertEquals(Optional.of("text/javascript;charset=UTF-8"), Asset.SCRIPT.contentType(), "module type");
        assertEquals(Optional.of("public, max-age=300"), Asset.SCRIPT.cacheControl(), "modules cached briefly");
        assertEquals(Optional.empty(), Asset.OTHER.contentType(), "other files keep the server's type");
    }

    @Test
    void policyAllowsOnlyTheOriginAndItsWebSocket() {
        String csp = PageHeaders.contentSecurityPolicy("chat.example.com:9080");
        assertTrue(csp.startsWith("default-src 'self'; "), csp);
        assertTrue(csp.contains("; connect-src 'self' ws://chat.example.com:9080 wss://chat.example.com:9080; "), csp);
        assertTrue(csp.contains("script-src 'self';") && csp.contains("style-src 'self';"), "own scripts and styles only: " + csp);
        assertFalse(csp.contains("unsafe"), "nothing inline, no eval: " + csp);
        assertTrue(csp.contains("object-src 'none'") && csp.contains("frame-ancestors 'none'") && csp.contains("base-uri 'none'"),
                "no plugins, no framing, no base rewriting: " + csp);
    }

    @Test
    void aForgedHostCannotWidenThePolicy() {
        String base = PageHeaders.contentSecurityPolicy(null);
        assertTrue(base.contains("connect-src 'self'; "), "no host: 'self' only: " + base);
        for (String host : new String[] {"evil.com; script-src *", "a b", "x.com/path", "", "host:99999999", "x.com\r\nSet-Cookie: a=b"}) {
            assertEquals(base, PageHeaders.contentSecurityPolicy(host), "malformed Host '" + host + "' adds nothing");
        }
        assertTrue(PageHeaders.contentSecurityPolicy("[::1]:9080").contains("ws://[::1]:9080"), "IPv6 literal host");
        assertTrue(PageHeaders.contentSecurityPolicy("localhost").contains("ws://localhost wss://localhost;"), "host without port");
    }
}
