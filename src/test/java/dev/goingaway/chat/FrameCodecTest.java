package dev.goingaway.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;

import jakarta.json.Json;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class FrameCodecTest {

    private final FrameCodec codec = new FrameCodec(20);

    @AfterEach
    void close() throws Exception {
        codec.close();
    }

    @Test
    void wellFormedMessageDecodesWithItsId() {
        Inbound in = codec.decode("{\"type\":\"message\",\"text\":\"hi\",\"id\":\"a1\",\"extra\":{\"x\":1}}");
        Inbound.ChatMessage m = assertInstanceOf(Inbound.ChatMessage.class, in, "a valid message");
        assertEquals("hi", m.text(), "text");
        assertEquals(Json.createValue("a1"), m.id(), "string id kept as a JSON string");
    }

    @Test
    void integerIdIsEchoedAsANumber() {
        Inbound.ChatMessage m = (Inbound.ChatMessage) codec.decode("{\"type\":\"message\",\"text\":\"hi\",\"id\":7}");
        assertEquals("{\"type\":\"ack\",\"id\":7,\"total\":3}", codec.encode(new Frames.Ack(m.id(), 3)),
                "ack echoes the id with its JSON type");
    }

    @Test
    void missingIdIsOmittedFromTheAck() {
        assertEquals("{\"type\":\"ack\",\"total\":1}", codec.encode(new Frames.Ack(null, 1)), "no id, no id field");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "not json|BAD_JSON",
        "[1,2]|BAD_JSON",
        "\"a string\"|BAD_JSON",
        "{\"type\":\"message\",\"text\":\"hi\"|BAD_JSON",
        "{\"text\":\"hi\"}|BAD_FIELD",
        "{\"type\":5,\"text\":\"hi\"}|BAD_FIELD",
        "{\"type\":\"join\"}|UNKNOWN_TYPE",
        "{\"type\":\"message\"}|BAD_FIELD",
        "{\"type\":\"message\",\"text\":42}|BAD_FIELD",
        "{\"type\":\"message\",\"text\":\"   \"}|BAD_TEXT",
        "{\"type\":\"message\",\"text\":\"a\\u0007b\"}|BAD_TEXT",
        "{\"type\":\"message\",\"text\":\"\\ud800x\"}|BAD_TEXT",
        "{\"type\":\"message\",\"text\":\"123456789012345678901\"}|TOO_LARGE",
        "{\"type\":\"message\",\"text\":\"hi\",\"id\":{\"a\":1}}|BAD_FIELD",
        "{\"type\":\"message\",\"text\":\"hi\",\"id\":1.5}|BAD_FIELD",
        "{\"type\":\"message\",\"text\":\"hi\"} trailing|BAD_JSON",
        "{\"type\":\"message\",\"text\":\"hi\"}{\"type\":\"message\",\"text\":\"again\"}|BAD_JSON",
        "{\"type\":\"message\",\"text\":\"hi\"}]|BAD_JSON",
    })
    void everyBadFrameIsRejectedWithACode(String frame, ErrorCode expected) {
        Inbound.Rejected r = assertInstanceOf(Inbound.Rejected.class, codec.decode(frame), "rejected: " + frame);
        assertEquals(expected, r.code(), "code for " + frame);
        assertFalse(r.reason().isBlank(), "a reason a person can read");
    }

    @Test
    void rejectionKeepsTheClientIdWhenItIsReadable() {
        Inbound.Rejected r = (Inbound.Rejected) codec.decode("{\"type\":\"join\",\"id\":\"x9\"}");
        assertEquals(Json.createValue("x9"), r.id(), "the error frame can name the message it refuses");
    }

    @Test
    void deeplyNestedJsonIsRefusedNotThrown() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        Inbound in = codec.decode(deep);
        assertEquals(ErrorCode.BAD_JSON, ((Inbound.Rejected) in).code(), "nesting bomb is bad_json");
    }

    @Test
    void tabsNewlinesAndEmojiAreText() {
        assertFalse(FrameCodec.hasControlCharacters("a\tb\nc\r\uD83D\uDE00"), "ordinary text");
        assertTrue(FrameCodec.hasControlCharacters("a\u0000"), "NUL");
        assertTrue(FrameCodec.hasControlCharacters("\u0085"), "C1 control");
    }

    @Test
    void framesPutTheTypeFirst() {
        String bye = codec.encode(new Frames.Bye(12, "s-1", 250));
        assertEquals("{\"type\":\"bye\",\"bye\":true,\"total\":12,\"session\":\"s-1\","
                + "\"message\":\"Server is shutting down gracefully\",\"reconnectAfterMs\":250}", bye, "bye as in DESIGN.md");
        assertTrue(codec.encode(new Frames.Welcome("s", "lobby", 0, "i1")).startsWith("{\"type\":\"welcome\""), "welcome");
    }

    @ParameterizedTest(name = "session {0}")
    @NullSource
    @ValueSource(strings = {
        "s-1",
        "quote\" and backslash\\",
        "new\nline, tab\t, bell\u0007, nul\u0000, escape\u001b, delete\u007f",
        "caf\u00e9 \uD83D\uDE00 \u2028",
    })
    void theHandWrittenByeIsWhatJsonBindingWrites(String session) throws Exception {
        Frames.Bye bye = new Frames.Bye(Long.MAX_VALUE, session, 4_999);
        try (Jsonb jsonb = JsonbBuilder.create()) {
            String expected = jsonb.toJson(bye);
            String actual = codec.encode(bye);
            assertEquals(Json.createReader(new StringReader(expected)).readObject(),
                    Json.createReader(new StringReader(actual)).readObject(), "same JSON value as JSON-B's " + expected);
        }
    }

    @Test
    void idKeysDistinguishStringsFromNumbers() {
        assertEquals("s:7", FrameCodec.idKey(Json.createValue("7")), "string id");
        assertEquals("n:7", FrameCodec.idKey(Json.createValue(7)), "number id");
        assertNull(FrameCodec.idKey(null), "no id");
    }
}
