package dev.goingaway.chat;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;

import org.junit.jupiter.api.Test;

class OriginPolicyTest {

    @Test
    void clientsWithoutOriginAreAllowed() {
        assertTrue(OriginPolicy.allowed(null, Set.of(), null, "chat.example:9080"), "CLI client");
    }

    @Test
    void sameOriginIsAllowedByDefaultAndOthersAreNot() {
        assertTrue(OriginPolicy.allowed("http://chat.example:9080", Set.of(), null, "chat.example:9080"), "same origin");
        assertTrue(OriginPolicy.allowed("https://chat.example", Set.of(), null, "chat.example:443"), "default port");
        assertFalse(OriginPolicy.allowed("http://evil.example", Set.of(), null, "chat.example:9080"), "other site");
        assertFalse(OriginPolicy.allowed("http://chat.example:9081", Set.of(), null, "chat.example:9080"), "other port");
        assertFalse(OriginPolicy.allowed("null", Set.of(), null, "chat.example:9080"), "opaque origin");
    }

    @Test
    void behindAProxyTheForwardedHostCounts() {
        assertTrue(OriginPolicy.allowed("https://chat.example", Set.of(), "chat.example", "10.0.0.5:9080"),
                "X-Forwarded-Host is the host the browser used");
    }

    @Test
    void aConfiguredListReplacesSameOrigin() {
        Set<String> allowed = Set.of("https://app.example");
        assertTrue(OriginPolicy.allowed("https://app.example/", allowed, null, "api.example"), "listed");
        assertFalse(OriginPolicy.allowed("https://api.example", allowed, null, "api.example"), "same origin not implied");
        assertTrue(OriginPolicy.allowed("https://any.example", Set.of("*"), null, "api.example"), "wildcard");
    }
}
