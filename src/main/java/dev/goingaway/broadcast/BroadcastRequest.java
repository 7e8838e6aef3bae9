package dev.goingaway.broadcast;

import java.io.StringReader;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParser;

/**
 * A validated broadcast body: {@code {"message": required, "title": optional, "level":
 * "info"|"warning"|"error"}}. Unknown fields are refused, so a typo like {@code "mesage"}
 * is a clear 400 instead of a broadcast with a missing part.
 */
record BroadcastRequest(String title, String message, String level) {

    static final int MAX_MESSAGE = 4000;
    static final int MAX_TITLE = 200;
    static final List<String> LEVELS = List.of("info", "warning", "error");
    private static final Set<String> FIELDS = Set.of("message", "title", "level");

    /** Thrown with a reason a client can act on. */
    static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String reason) {
            super(reason, null, false, false);
        }
    }

    static BroadcastRequest parse(String body) throws Invalid {
        if (body == null || body.isBlank()) {
            throw new Invalid("body is empty; expected {\"message\": \"...\"}");
        }
        JsonValue value;
        // A parser, not a JsonReader, which ignores anything after the first value.
        try (JsonParser parser = Json.createParser(new StringReader(body))) {
            parser.next();
            value = parser.getValue();
            if (parser.hasNext()) {
                throw new Invalid("body is not valid JSON: content after the JSON value");
            }
        } catch (RuntimeException e) { // JsonException, or Parsson's depth-limit RuntimeException
            throw new Invalid("body is not valid JSON");
        }
        if (value.getValueType() != JsonValue.ValueType.OBJECT) {
            throw new Invalid("body must be a JSON object");
        }
        JsonObject obj = value.asJsonObject();
        Set<String> unknown = new TreeSet<>(obj.keySet());
        unknown.removeAll(FIELDS);
        if (!unknown.isEmpty()) {
            throw new Invalid("unknown field(s) " + unknown + "; allowed: message, title, level");
        }
        String message = string(obj, "message", MAX_MESSAGE);
        if (message == null || message.isBlank()) {
            throw new Invalid("message is required");
        }
        String title = string(obj, "title", MAX_TITLE);
        String level = string(obj, "level", 16);
        level = level == null ? "info" : level.toLowerCase(Locale.ROOT);
        if (!LEVELS.contains(level)) {
            throw new Invalid("level must be one of " + LEVELS);
        }
        return new BroadcastRequest(title, message, level);
    }

    private static String string(JsonObject obj, String name, int max) throws Invalid {
        JsonValue v = obj.get(name);
        if (v == null || v == JsonValue.NULL) {
            return null;
        }
        if (!(v instanceof JsonString s)) {
            throw new Invalid(name + " must be a string");
        }
        if (s.getString().length() > max) {
            throw new Invalid(name + " is longer than " + max + " characters");
        }
        return s.getString();
    }
}
