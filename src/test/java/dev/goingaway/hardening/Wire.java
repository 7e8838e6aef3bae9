package dev.goingaway.hardening;

import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;

/** Client frames for the hardening tests, built with JSON-P so any text is encoded correctly. */
final class Wire {

    private Wire() {
    }

    /** {@code {"type":"message","id":ID,"text":TEXT}}. */
    static String message(String id, String text) {
        JsonObjectBuilder b = Json.createObjectBuilder().add("type", "message").add("text", text);
        if (id != null) {
            b.add("id", id);
        }
        return b.build().toString();
    }

    static String repeat(char c, int n) {
        return String.valueOf(c).repeat(n);
    }
}
