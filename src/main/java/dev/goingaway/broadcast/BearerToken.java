package dev.goingaway.broadcast;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * Checks an {@code Authorization: Bearer ...} header against the configured token in constant
 * time: both sides are hashed first, so neither content nor length leaks through timing.
 */
final class BearerToken {

    private static final String PREFIX = "bearer ";

    private BearerToken() {
    }

    static boolean matches(String authorization, Optional<String> configured) {
        if (configured.isEmpty() || authorization == null) {
            return false;
        }
        if (authorization.length() < PREFIX.length()
                || !authorization.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            return false;
        }
        String presented = authorization.substring(PREFIX.length()).trim();
        return MessageDigest.isEqual(sha256(presented), sha256(configured.get()));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }
}
