package dev.goingaway.chat;

import java.io.StringReader;
import java.util.Map;

import jakarta.json.Json;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParserFactory;

/**
 * Turns client text into {@link Inbound} values and server frames into JSON text. Decoding is
 * strict and total: every input, however broken, yields either a message or a rejection with
 * a code, never an exception, so the endpoint can always answer.
 */
public class FrameCodec implements AutoCloseable {

    /** Longest client id echoed back; longer ids are refused rather than reflected. */
    static final int MAX_ID_CHARS = 128;

    private final Jsonb jsonb = JsonbBuilder.create();
    private final JsonParserFactory parsers = Json.createParserFactory(Map.of());
    private final int maxTextChars;

    public FrameCodec(int maxTextChars) {
        this.maxTextChars = maxTextChars;
    }

    /** Serialises one of the {@link Frames} records. */
    /**
     * A frame that gets its stream's offset when it is appended: the encoded frame with
     * {@code ,"offset":N} as its last member.
     */
    public dev.goingaway.stream.Framing framing(Object frame) {
        String json = encode(frame);
        return new dev.goingaway.stream.Framing(json.substring(0, json.length() - 1) + ",\"offset\":", "}");
    }

    public String encode(Object frame) {
        if (frame instanceof Frames.Bye bye) {
            return encodeBye(bye);
        }
        return jsonb.toJson(frame);
    }

    /**
     * The bye, written out by hand, field for field as JSON-B writes it. The drain encodes one per
     * connection (10,000 at once) on code that has never run before: through JSON-B that was a
     * quarter of the drain thread's time, and compiling it took processor time from the writes.
     */
    static String encodeBye(Frames.Bye bye) {
        StringBuilder json = new StringBuilder(160);
        json.append('{');
        if (bye.type() != null) {
            json.append("\"type\":");
            quote(json, bye.type());
            json.append(',');
        }
        json.append("\"bye\":").append(bye.bye());
        json.append(",\"total\":").append(bye.total());
        if (bye.session() != null) {
            json.append(",\"session\":");
            quote(json, bye.session());
        }
        if (bye.message() != null) {
            json.append(",\"message\":");
            quote(json, bye.message());
        }
        json.append(",\"reconnectAfterMs\":").append(bye.reconnectAfterMs());
        return json.append('}').toString();
    }

    /** A JSON string: quote, backslash and control characters escaped, the rest as it is. */
    static void quote(StringBuilder json, String s) {
        json.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                case '\b' -> json.append("\\b");
                case '\f' -> json.append("\\f");
                default -> {
                    if (c < 0x20) {
                        json.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        json.append('"');
    }

    /** Reads a client frame; unknown fields are ignored so clients can add their own metadata. */
    public Inbound decode(String text) {
        JsonValue value;
        // A parser, not a JsonReader: the reader stops after the first value and ignores
        // whatever follows it, so '{...} garbage' or two objects in one frame would pass.
        try (JsonParser parser = parsers.createParser(new StringReader(text))) {
            parser.next();
            value = parser.getValue();
            if (parser.hasNext()) {
                return new Inbound.Rejected(null, ErrorCode.BAD_JSON, "not valid JSON: content after the JSON value");
            }
        } catch (RuntimeException e) {
            // JsonException for syntax; Parsson throws a bare RuntimeException past its depth
            // limit (1000). Either way the client sent something that is not a usable frame.
            return new Inbound.Rejected(null, ErrorCode.BAD_JSON, "not valid JSON");
        }
        if (value.getValueType() != JsonValue.ValueType.OBJECT) {
            return new Inbound.Rejected(null, ErrorCode.BAD_JSON, "a frame must be a JSON object");
        }
        JsonObject obj = value.asJsonObject();

        JsonValue id = obj.get("id");
        if (id != null && !validId(id)) {
            return new Inbound.Rejected(null, ErrorCode.BAD_FIELD,
                    "id must be a string of at most " + MAX_ID_CHARS + " characters or an integer");
        }
        if (id == JsonValue.NULL) {
            id = null;
        }

        JsonValue type = obj.get("type");
        if (!(type instanceof JsonString)) {
            return new Inbound.Rejected(id, ErrorCode.BAD_FIELD, "type must be a string");
        }
        if (!"message".equals(((JsonString) type).getString())) {
            return new Inbound.Rejected(id, ErrorCode.UNKNOWN_TYPE, "unknown type; the only client frame is 'message'");
        }

        JsonValue textValue = obj.get("text");
        if (!(textValue instanceof JsonString)) {
            return new Inbound.Rejected(id, ErrorCode.BAD_FIELD, "text must be a string");
        }
        String chat = ((JsonString) textValue).getString();
        if (chat.length() > maxTextChars) {
            return new Inbound.Rejected(id, ErrorCode.TOO_LARGE, "text longer than " + maxTextChars + " characters");
        }
        if (chat.isBlank()) {
            return new Inbound.Rejected(id, ErrorCode.BAD_TEXT, "text is empty");
        }
        if (hasControlCharacters(chat)) {
            return new Inbound.Rejected(id, ErrorCode.BAD_TEXT, "text contains control characters");
        }
        return new Inbound.ChatMessage(id, chat);
    }

    private static boolean validId(JsonValue id) {
        if (id == JsonValue.NULL) {
            return true;
        }
        if (id instanceof JsonString s) {
            return s.getString().length() <= MAX_ID_CHARS;
        }
        if (id instanceof JsonNumber n) {
            return n.isIntegral() && n.toString().length() <= 20;
        }
        return false;
    }

    /** Tab, line feed and carriage return are text; other C0/C1 controls and lone surrogates are not. */
    static boolean hasControlCharacters(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7f && c <= 0x9f)) {
                return true;
            }
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return true;
                }
            }
        }
        return false;
    }

    /** The key that identifies a client id for de-duplication, independent of its JSON type. */
    public static String idKey(JsonValue id) {
        if (id == null) {
            return null;
        }
        return id instanceof JsonString s ? "s:" + s.getString() : "n:" + id;
    }

    @Override
    public void close() throws Exception {
        jsonb.close();
    }
}
