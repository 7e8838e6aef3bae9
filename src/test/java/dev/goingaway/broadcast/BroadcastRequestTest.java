package dev.goingaway.broadcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BroadcastRequestTest {

    @Test
    void defaultsTheLevelAndKeepsTheTitle() throws Exception {
        BroadcastRequest r = BroadcastRequest.parse("{\"message\":\"deploy at 5\",\"title\":\"Ops\"}");
        assertEquals(new BroadcastRequest("Ops", "deploy at 5", "info"), r, "info by default");
        assertEquals("warning", BroadcastRequest.parse("{\"message\":\"m\",\"level\":\"WARNING\"}").level(), "case-insensitive");
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
        "''|empty",
        "nope|not valid JSON",
        "[]|JSON object",
        "{}|message is required",
        "{\"message\":\"  \"}|message is required",
        "{\"message\":5}|must be a string",
        "{\"message\":\"m\",\"level\":\"panic\"}|level must be one of",
        "{\"message\":\"m\",\"mesage\":\"typo\"}|unknown field",
        "{\"message\":\"m\"} trailing|not valid JSON",
        "{\"message\":\"m\"}{\"message\":\"n\"}|not valid JSON",
    })
    void badBodiesAreRefusedWithAReason(String body, String reason) {
        BroadcastRequest.Invalid e = assertThrows(BroadcastRequest.Invalid.class, () -> BroadcastRequest.parse(body), body);
        assertTrue(e.getMessage().contains(reason), "reason for " + body + ": " + e.getMessage());
    }

    @Test
    void tooLongFieldsAreRefused() {
        String longMessage = "x".repeat(BroadcastRequest.MAX_MESSAGE + 1);
        assertThrows(BroadcastRequest.Invalid.class, () -> BroadcastRequest.parse("{\"message\":\"" + longMessage + "\"}"),
                "message over the limit");
    }

    @Test
    void bearerTokenMustMatchExactly() {
        Optional<String> token = Optional.of("s3cret");
        assertTrue(BearerToken.matches("Bearer s3cret", token), "right token");
        assertTrue(BearerToken.matches("bearer s3cret", token), "scheme is case-insensitive");
        assertFalse(BearerToken.matches("Bearer s3cre", token), "prefix of the token");
        assertFalse(BearerToken.matches("Basic s3cret", token), "other scheme");
        assertFalse(BearerToken.matches(null, token), "no header");
        assertFalse(BearerToken.matches("Bearer s3cret", Optional.empty()), "no token configured refuses everything");
    }
}
