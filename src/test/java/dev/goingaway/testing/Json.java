package dev.goingaway.testing;

import java.io.StringReader;

import jakarta.json.JsonObject;

/** Parses frames in assertions. */
public final class Json {

    private Json() {
    }

    public static JsonObject parse(String text) {
        try (var r = jakarta.json.Json.createReader(new StringReader(text))) {
            return r.readObject();
        }
    }

    public static String type(String frame) {
        return parse(frame).getString("type", "");
    }
}
