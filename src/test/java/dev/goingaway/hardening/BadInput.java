package dev.goingaway.hardening;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;

/**
 * Generated bad input for {@link BadInputFuzzIT}: each {@link Case} is what to put on the wire
 * and what the server must do about it. Everything comes from one {@link Random}, so a seed
 * reproduces a run frame for frame.
 */
final class BadInput {

    /** Whether the servers under test run Liberty's Jakarta WebSocket ({@code WS_TRANSPORT=jakarta}). */
    static final boolean JAKARTA_TRANSPORT = "jakarta".equalsIgnoreCase(
            System.getenv().getOrDefault("WS_TRANSPORT", dev.goingaway.transport.TransportSelection.DEFAULT).trim());

    /** How the server must react to a case. */
    enum Expect {
        /** Exactly one answer: an {@code error} frame (or an {@code ack}, if the input happened to be a valid message). */
        ANSWER,
        /** Exactly one {@code error} frame. */
        ERROR,
        /** No answer; the connection is closed with one of {@link Case#closeCodes}. */
        CLOSE
    }

    /** One WebSocket frame as sent: opcode, payload, FIN bit. */
    record Frame(int opcode, byte[] payload, boolean fin) {
    }

    /** A generated input: its kind (for the report), the frames, the expected reaction. */
    record Case(String kind, List<Frame> frames, Expect expect, Set<Integer> closeCodes) {

        String preview() {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            frames.stream().filter(f -> f.opcode() <= 2).forEach(f -> all.writeBytes(f.payload()));
            String s = all.toString(StandardCharsets.UTF_8).replaceAll("\\p{Cntrl}", "?");
            return kind + " (" + all.size() + " bytes, " + frames.size() + " frame(s)): "
                    + (s.length() > 80 ? s.substring(0, 80) + "..." : s);
        }
    }

    private static final int TEXT = 0x1;
    private static final int BINARY = 0x2;
    private static final int CONTINUATION = 0x0;
    private static final int PING = 0x9;

    private final Random random;
    private final int maxMessageBytes;
    private final int maxTextChars;

    BadInput(Random random, int maxMessageBytes, int maxTextChars) {
        this.random = random;
        this.maxMessageBytes = maxMessageBytes;
        this.maxTextChars = maxTextChars;
    }

    /** The next case; the mix is roughly 85% answered, 15% closing. */
    Case next() {
        int r = random.nextInt(100);
        if (r < 10) {
            return answer("random-text", randomText(random.nextInt(300)));
        } else if (r < 20) {
            String valid = Wire.message(id(), randomText(1 + random.nextInt(40)));
            return error("truncated-json", valid.substring(0, random.nextInt(valid.length())));
        } else if (r < 27) {
            // up to ~2,700 levels (6 bytes each) fit in the frame limit; past 1,000 is bad_json,
            // below it a valid message with a deep extra field is acknowledged
            int maxDepth = Math.min(3_000, (maxMessageBytes - 100) / 6);
            return answer("deep-nesting", deeplyNested(200 + random.nextInt(maxDepth - 200)));
        } else if (r < 34) {
            return hugeString();
        } else if (r < 48) {
            return answer("wrong-types", wrongTypes());
        } else if (r < 55) {
            return controlCharacters();
        } else if (r < 65) {
            return answer("random-json", randomJson(0).toString());
        } else if (r < 72) {
            return answer("valid-message", Wire.message(id(), randomText(1 + random.nextInt(100))));
        } else if (r < 82) {
            return fragmented();
        } else if (r < 85) {
            return error("empty-or-blank", random.nextBoolean() ? "" : " \t\r\n ".substring(0, 1 + random.nextInt(4)));
        } else if (r < 89) {
            return oversized();
        } else if (r < 94) {
            return invalidUtf8();
        } else {
            byte[] data = new byte[random.nextInt(2_000)];
            random.nextBytes(data);
            return close("binary", List.of(new Frame(BINARY, data, true)), Set.of(1003, 1009));
        }
    }

    // ---- kinds -------------------------------------------------------------------------------

    private Case hugeString() {
        switch (random.nextInt(3)) {
            case 0 -> {
                String text = "h".repeat(maxTextChars + 1 + random.nextInt(Math.max(1, maxMessageBytes - maxTextChars - 200)));
                return error("huge-text", Wire.message(id(), text));
            }
            case 1 -> {
                String id = "i".repeat(129 + random.nextInt(2_000));
                return error("huge-id", Json.createObjectBuilder().add("type", "message").add("id", id)
                        .add("text", "x").build().toString());
            }
            default -> {
                String type = "t".repeat(1 + random.nextInt(maxMessageBytes / 2));
                return error("huge-type", Json.createObjectBuilder().add("type", type).add("text", "x").build().toString());
            }
        }
    }

    private String wrongTypes() {
        JsonObjectBuilder b = Json.createObjectBuilder();
        b.add("type", random.nextInt(4) == 0 ? Json.createValue("message") : randomScalarOrContainer());
        b.add("text", random.nextInt(4) == 0 ? Json.createValue("fine") : randomScalarOrContainer());
        if (random.nextBoolean()) {
            b.add("id", randomScalarOrContainer());
        }
        return b.build().toString();
    }

    private Case controlCharacters() {
        StringBuilder text = new StringBuilder(randomText(random.nextInt(20)));
        char c = (char) (random.nextBoolean() ? random.nextInt(0x20) : 0x7f + random.nextInt(0x21));
        if (c == '\t' || c == '\n' || c == '\r') {
            c = 0x01;
        }
        text.insert(random.nextInt(text.length() + 1), c);
        // JSON-escaped, the control character reaches the text (bad_text); raw inside a JSON
        // string it makes the JSON itself invalid (bad_json); C1 controls are legal raw JSON.
        String frame = random.nextBoolean() ? Wire.message(id(), text.toString())
                : "{\"type\":\"message\",\"id\":\"" + id() + "\",\"text\":\"" + text + "\"}";
        return error("control-characters", frame);
    }

    private Case fragmented() {
        Case inner = random.nextBoolean() ? answer("", Wire.message(id(), randomText(1 + random.nextInt(200))))
                : answer("", randomText(random.nextInt(200)));
        byte[] all = inner.frames().get(0).payload();
        List<Frame> frames = new ArrayList<>();
        int parts = 2 + random.nextInt(4);
        int at = 0;
        boolean midCharacter = false;
        for (int i = 0; i < parts; i++) {
            int end = i == parts - 1 ? all.length : Math.min(all.length, at + random.nextInt(all.length / parts + 2));
            // split at any byte, even inside a multi-byte character
            midCharacter |= end < all.length && (all[end] & 0xC0) == 0x80;
            byte[] part = java.util.Arrays.copyOfRange(all, at, end);
            frames.add(new Frame(i == 0 ? TEXT : CONTINUATION, part, i == parts - 1));
            if (i < parts - 1 && random.nextInt(3) == 0) {
                frames.add(new Frame(PING, "fuzz".getBytes(StandardCharsets.US_ASCII), true)); // legal between fragments
            }
            at = end;
        }
        // Liberty's Jakarta WebSocket decodes each fragment on its own (see MessageAssembler): a
        // split inside a character is closed with 1007 although the whole message is valid
        // UTF-8. The servlet transport decodes across fragments, as RFC 6455 asks.
        return midCharacter && JAKARTA_TRANSPORT ? close("fragmented-mid-character", frames, Set.of(1007))
                : new Case(midCharacter ? "fragmented-mid-character" : "fragmented", frames, Expect.ANSWER, Set.of());
    }

    private Case oversized() {
        int size = maxMessageBytes + 1 + random.nextInt(maxMessageBytes);
        String frame = Wire.message(id(), "o".repeat(size));
        byte[] bytes = frame.getBytes(StandardCharsets.UTF_8);
        if (random.nextBoolean()) {
            return close("oversized", List.of(new Frame(TEXT, bytes, true)), Set.of(1009));
        }
        List<Frame> frames = new ArrayList<>();
        int chunk = 1_024 + random.nextInt(4_096);
        for (int at = 0; at < bytes.length; at += chunk) {
            byte[] part = java.util.Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + chunk));
            frames.add(new Frame(at == 0 ? TEXT : CONTINUATION, part, at + chunk >= bytes.length));
        }
        return close("oversized-fragmented", frames, Set.of(1009));
    }

    private static final byte[][] INVALID_UTF8 = {
        {(byte) 0xFF},                                  // never valid
        {(byte) 0xC0, (byte) 0xAF},                     // overlong '/'
        {(byte) 0xE2, (byte) 0x82},                     // truncated 3-byte sequence
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80},        // UTF-16 surrogate encoded
        {(byte) 0x80},                                  // lone continuation byte
        {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
    };

    private Case invalidUtf8() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] bad = INVALID_UTF8[random.nextInt(INVALID_UTF8.length)];
        if (random.nextBoolean()) {
            b.writeBytes(("{\"type\":\"message\",\"id\":\"" + id() + "\",\"text\":\"ab").getBytes(StandardCharsets.UTF_8));
            b.writeBytes(bad);
            b.writeBytes("cd\"}".getBytes(StandardCharsets.UTF_8));
        } else {
            // ASCII noise: a random byte next to the bad sequence could otherwise complete it
            byte[] noise = new byte[random.nextInt(64)];
            for (int i = 0; i < noise.length; i++) {
                noise[i] = (byte) random.nextInt(0x80);
            }
            int at = random.nextInt(noise.length + 1);
            b.write(noise, 0, at);
            b.writeBytes(bad);
            b.write(noise, at, noise.length - at);
        }
        return close("invalid-utf8", List.of(new Frame(TEXT, b.toByteArray(), true)), Set.of(1007));
    }

    // ---- values ------------------------------------------------------------------------------

    private String id() {
        return "f" + Long.toHexString(random.nextLong());
    }

    private static final String ALPHABET = "abcxyzABC 019{}[]\":,\\/'é€😀\u00a0ü";

    /** Random text from a JSON-hostile alphabet (quotes, braces, backslashes, non-BMP). */
    private String randomText(int n) {
        StringBuilder b = new StringBuilder(n);
        while (b.length() < n) {
            int i = random.nextInt(ALPHABET.length());
            if (Character.isHighSurrogate(ALPHABET.charAt(i))) {
                b.append(ALPHABET, i, i + 2);
            } else if (!Character.isLowSurrogate(ALPHABET.charAt(i))) {
                b.append(ALPHABET.charAt(i));
            }
        }
        return b.toString();
    }

    private String deeplyNested(int depth) {
        StringBuilder b = new StringBuilder(depth * 6);
        boolean objects = random.nextBoolean();
        b.append("{\"type\":\"message\",\"text\":\"deep\",\"meta\":");
        for (int i = 0; i < depth; i++) {
            b.append(objects ? "{\"a\":" : "[");
        }
        b.append('1');
        for (int i = 0; i < depth; i++) {
            b.append(objects ? '}' : ']');
        }
        // sometimes unbalanced, sometimes the nesting is the whole frame
        String s = b.append('}').toString();
        return switch (random.nextInt(3)) {
            case 0 -> s.substring(0, s.length() - 1 - random.nextInt(depth));
            case 1 -> s.substring(s.indexOf(":", s.indexOf("meta")) + 1, s.length() - 1);
            default -> s;
        };
    }

    private JsonValue randomScalarOrContainer() {
        return switch (random.nextInt(8)) {
            case 0 -> JsonValue.NULL;
            case 1 -> random.nextBoolean() ? JsonValue.TRUE : JsonValue.FALSE;
            case 2 -> Json.createValue(random.nextLong());
            case 3 -> Json.createValue(random.nextDouble() * 1e300);
            case 4 -> Json.createValue(new java.math.BigDecimal("1e" + random.nextInt(400)));
            case 5 -> Json.createArrayBuilder().add(1).add("x").build();
            case 6 -> Json.createObjectBuilder().add("k", "v").build();
            default -> Json.createValue(randomText(random.nextInt(10)));
        };
    }

    private JsonValue randomJson(int depth) {
        int r = random.nextInt(depth > 3 ? 4 : 7);
        if (r < 4) {
            return randomScalarOrContainer();
        }
        if (r == 4) {
            JsonArrayBuilder a = Json.createArrayBuilder();
            for (int i = random.nextInt(4); i > 0; i--) {
                a.add(randomJson(depth + 1));
            }
            return a.build();
        }
        JsonObjectBuilder o = Json.createObjectBuilder();
        String[] keys = {"type", "text", "id", "room", "session", randomText(3)};
        for (int i = random.nextInt(5); i > 0; i--) {
            o.add(keys[random.nextInt(keys.length)], randomJson(depth + 1));
        }
        return o.build();
    }

    // ---- case builders -----------------------------------------------------------------------

    private static Case answer(String kind, String text) {
        return new Case(kind, List.of(new Frame(TEXT, text.getBytes(StandardCharsets.UTF_8), true)), Expect.ANSWER, Set.of());
    }

    private static Case error(String kind, String text) {
        return new Case(kind, List.of(new Frame(TEXT, text.getBytes(StandardCharsets.UTF_8), true)), Expect.ERROR, Set.of());
    }

    private static Case close(String kind, List<Frame> frames, Set<Integer> codes) {
        return new Case(kind, frames, Expect.CLOSE, codes);
    }
}
