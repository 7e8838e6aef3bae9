package dev.goingaway.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.json.JsonObject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.goingaway.testing.Json;
import dev.goingaway.testing.LibertyProcess;
import dev.goingaway.testing.Prometheus;
import dev.goingaway.testing.RedisProcess;
import dev.goingaway.testing.Replies;
import dev.goingaway.testing.WireClient;

/**
 * Bad input from a single client, one case at a time, on one server with the default limits
 * ({@code MAX_MESSAGE_BYTES} 65536, {@code MAX_TEXT_CHARS} 4000): what the client gets back,
 * and that a mistake the protocol can answer leaves the connection usable.
 */
class InputValidationIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String TOKEN = "input-test-token";
    private static final int MAX_MESSAGE_BYTES = 65_536;
    private static final int MAX_TEXT_CHARS = 4_000;

    private static RedisProcess redis;
    private static LibertyProcess server;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisProcess.start(0);
        server = LibertyProcess.create(LibertyProcess.uniqueName("input"),
                LibertyProcess.env("REDIS_URL", redis.url(), "BROADCAST_TOKEN", TOKEN)).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** Connects to the lobby and takes the welcome. */
    private static Replies welcomed(String query) throws Exception {
        Replies c = Replies.connect(server.ws(query));
        assertEquals("welcome", c.nextFrame(WAIT).getString("type"), "first frame is the welcome");
        return c;
    }

    /** A room of its own, so that no other test's chat reaches this connection. */
    private static String ownRoom() {
        return "room=" + LibertyProcess.uniqueName("in");
    }

    /** Sends a good message and expects its ack (skipping the sender's own copy of the message). */
    private static void assertStillWorks(Replies c, String id) throws Exception {
        c.wire().sendText(Wire.message(id, "still here"));
        JsonObject ack = nextAnswer(c);
        assertEquals("ack", ack.getString("type"), "the connection still works after the bad frame: " + ack);
        assertEquals(id, ack.getString("id"), "the ack echoes the id");
    }

    /** The next ack or error; the sender's own chat message (it is in the room too) is skipped. */
    private static JsonObject nextAnswer(Replies c) throws Exception {
        JsonObject f = c.nextFrame(WAIT);
        return "message".equals(f.getString("type")) ? c.nextFrame(WAIT) : f;
    }

    private static JsonObject expectError(Replies c, String code) throws Exception {
        JsonObject f = c.nextFrame(WAIT);
        assertEquals("error", f.getString("type"), "answered with an error frame: " + f);
        assertEquals(code, f.getString("code"), "error code: " + f);
        assertTrue(f.getString("message", "").length() > 0, "the error says why: " + f);
        return f;
    }

    @Test
    void frameLargerThanMaxMessageBytesIsClosedWith1009() throws Exception {
        try (Replies c = welcomed(ownRoom())) {
            // valid JSON, one byte over the limit: it is the size alone that is refused
            String frame = Wire.message("big", Wire.repeat('x', MAX_MESSAGE_BYTES));
            assertTrue(frame.getBytes(StandardCharsets.UTF_8).length > MAX_MESSAGE_BYTES, "the frame is over the limit");
            c.wire().sendText(frame);
            assertEquals(null, c.next(WAIT), "no answer frame to an oversized frame, only the close");
            WireClient.Event close = c.awaitClose(WAIT);
            assertNotNull(close, "a close frame arrived (not a dropped connection): " + c.wire().events());
            assertEquals(1009, close.code(), "close code 1009 TOO_BIG: " + close);
        }
    }

    @Test
    void aMessageSplitIntoSmallFragmentsMayNotExceedMaxMessageBytesEither() throws Exception {
        int total = Integer.getInteger("it.fragmented.bytes", 4 * MAX_MESSAGE_BYTES);
        try (Replies c = welcomed(ownRoom())) {
            byte[] all = Wire.message("fragments", Wire.repeat('f', total)).getBytes(StandardCharsets.UTF_8);
            int chunk = 4_096;
            try {
                for (int at = 0; at < all.length; at += chunk) {
                    byte[] part = java.util.Arrays.copyOfRange(all, at, Math.min(all.length, at + chunk));
                    c.wire().sendFrame(at == 0 ? 0x1 : 0x0, part, at + chunk >= all.length);
                }
            } catch (java.io.IOException e) {
                // the server closed the connection before the last fragment: that is the point
            }
            assertEquals(null, c.next(WAIT), "no answer frame, only the close");
            WireClient.Event close = c.awaitClose(WAIT);
            assertNotNull(close, "a close frame arrived: " + c.wire().events());
            assertEquals(1009, close.code(), "a message assembled from " + (all.length / chunk + 1)
                    + " fragments of " + chunk + " bytes, " + all.length + " bytes in all: close 1009 TOO_BIG");
        }
    }

    @Test
    void aFragmentedMessageThatNeverEndsIsCutOffAfterABoundedAmount() throws Exception {
        try (Replies c = welcomed(ownRoom())) {
            byte[] chunk = Wire.repeat('n', 16_384).getBytes(StandardCharsets.UTF_8);
            java.util.concurrent.atomic.AtomicLong sentBytes = new java.util.concurrent.atomic.AtomicLong();
            // The writer runs on its own thread: if the server stopped reading without closing,
            // a blocking write would otherwise hang the test (and CI) instead of failing it.
            Thread writer = new Thread(() -> {
                try {
                    c.wire().sendFrame(0x1, "{\"type\":\"message\",\"text\":\"".getBytes(StandardCharsets.UTF_8), false);
                    // 64 MB if nobody stops it: far past the 16 x 64 KB the server reads of a refused message
                    while (sentBytes.get() < 64L * 1024 * 1024 && !c.wire().ended()) {
                        c.wire().sendFrame(0x0, chunk, false);
                        sentBytes.addAndGet(chunk.length);
                    }
                } catch (java.io.IOException e) {
                    // the server closed the connection while the client was still sending: the point
                }
            }, "endless-fragments");
            writer.setDaemon(true);
            writer.start();
            writer.join(WAIT.toMillis());
            long sent = sentBytes.get();
            if (writer.isAlive()) {
                // Seen once in ~20 runs under load: the server refused the message and dropped the
                // session, but Liberty left the TCP connection open without reading it while the
                // client kept writing. The bound still held (the server stopped taking data);
                // only the teardown is Liberty's. Assert the bound, then end the client.
                // What the client got out is what the server read (at most the discard bound)
                // plus what fills the two kernels' socket buffers; loopback autotuning lets those
                // grow to several MB (8.6 MB seen in a Jakarta CI run), so the bound is the same
                // as below: the server, not the client's 64 MB cap, stopped it.
                c.wire().close();
                writer.join(WAIT.toMillis());
                assertTrue(sent < 48L * 1024 * 1024, "the server stopped reading soon after the discard bound: "
                        + sent + " bytes sent");
                return;
            }
            assertTrue(c.wire().awaitEnd(WAIT), "the connection was ended by the server");
            // The server stops counting at the discard bound (16 x 64 KB) and then closes; the
            // client keeps writing at loopback speed until the close lands. Seen on a 2-core CI
            // run: 19.9 MB in 0.28 s. What matters is that the server, not the client's own
            // 64 MB cap, ended it.
            assertTrue(sent < 48L * 1024 * 1024, "it ended soon after the discard bound, not at the client's leisure: "
                    + sent + " bytes sent");
            WireClient.Event close = c.wire().closeFrame();
            // The client is still sending when the server closes, so TCP may drop the close frame.
            if (close != null) {
                assertEquals(1009, close.code(), "close 1009 TOO_BIG");
            }
        }
    }

    @Test
    void aFragmentedMessageWithinTheLimitIsAnsweredNormally() throws Exception {
        String text = "caf\u00e9 \u20ac \ud83d\ude00 end";
        byte[] all = Wire.message("in-parts", text).getBytes(StandardCharsets.UTF_8);
        String whole = new String(all, StandardCharsets.UTF_8);
        int euro = whole.substring(0, whole.indexOf('\u20ac')).getBytes(StandardCharsets.UTF_8).length;
        // at a character boundary, with a ping between the fragments (legal)
        assertFragmentsJoined(all, euro, true, text);
        assertFragmentsJoined(all, euro, false, text);
    }

    /**
     * The documented price of bounding fragmented messages (see MessageAssembler): Liberty
     * decodes each fragment on its own, so a split inside a multi-byte character is refused
     * with 1007 although the whole message is valid UTF-8. If this starts failing because the
     * message is accepted, Liberty has fixed it: turn the test around.
     */
    @Test
    void aFragmentSplitInsideAMultiByteCharacterIsClosedBy1007OnJakartaAndJoinedOnServlet() throws Exception {
        byte[] all = Wire.message("mid-char", "caf\u00e9 \u20ac end").getBytes(StandardCharsets.UTF_8);
        String whole = new String(all, StandardCharsets.UTF_8);
        int inside = whole.substring(0, whole.indexOf('\u20ac')).getBytes(StandardCharsets.UTF_8).length + 1;
        if (!BadInput.JAKARTA_TRANSPORT) {
            // The servlet transport decodes UTF-8 across fragments, as RFC 6455 asks.
            assertFragmentsJoined(all, inside, false, "caf\u00e9 \u20ac end");
            return;
        }
        try (Replies c = welcomed(ownRoom())) {
            c.wire().sendFrame(0x1, java.util.Arrays.copyOfRange(all, 0, inside), false);
            c.wire().sendFrame(0x0, java.util.Arrays.copyOfRange(all, inside, all.length), true);
            assertEquals(null, c.next(WAIT), "no answer");
            WireClient.Event close = c.awaitClose(WAIT);
            assertNotNull(close, "a close frame arrived: " + c.wire().events());
            assertEquals(1007, close.code(), "close 1007 (Liberty decodes fragments separately)");
        }
    }

    private static void assertFragmentsJoined(byte[] all, int cut, boolean ping, String text) throws Exception {
        try (Replies c = welcomed(ownRoom())) {
            c.wire().sendFrame(0x1, java.util.Arrays.copyOfRange(all, 0, cut), false);
            if (ping) {
                c.wire().sendFrame(0x9, new byte[] {1}, true);
            }
            c.wire().sendFrame(0x0, java.util.Arrays.copyOfRange(all, cut, all.length), true);
            JsonObject message = c.nextFrame(WAIT);
            assertEquals(text, message.getString("text"), "split at byte " + cut + ": the fragments are joined: " + message);
            assertEquals("ack", c.nextFrame(WAIT).getString("type"), "and acknowledged");
        }
    }

    @Test
    void frameOfExactlyMaxMessageBytesIsAnsweredAndTheConnectionStays() throws Exception {
        try (Replies c = welcomed(ownRoom())) {
            String head = Wire.message("edge", "");
            String frame = Wire.message("edge", Wire.repeat('x', MAX_MESSAGE_BYTES - head.length()));
            assertEquals(MAX_MESSAGE_BYTES, frame.getBytes(StandardCharsets.UTF_8).length, "frame exactly at the limit");
            c.wire().sendText(frame);
            JsonObject err = expectError(c, "too_large");
            assertEquals("edge", err.getString("id"), "the error echoes the id");
            assertStillWorks(c, "after-edge");
        }
    }

    @Test
    void multiByteCharactersCountAsBytesTowardsTheFrameLimit() throws Exception {
        try (Replies c = welcomed(ownRoom())) {
            // 22,000 three-byte characters: 66,000 bytes but only 22,000 chars
            String frame = Wire.message("wide", Wire.repeat('\u20ac', 22_000));
            assertTrue(frame.length() < MAX_MESSAGE_BYTES && frame.getBytes(StandardCharsets.UTF_8).length > MAX_MESSAGE_BYTES,
                    "under the limit in chars, over it in bytes");
            c.wire().sendText(frame);
            WireClient.Event close = c.awaitClose(WAIT);
            assertNotNull(close, "a close frame arrived: " + c.wire().events());
            assertEquals(1009, close.code(), "the limit is in bytes: close 1009: " + close);
        }
    }

    @Test
    void largeFramesOfMultiByteTextUnderTheLimitAreDecodedIntact() throws Exception {
        try (Replies c = welcomed(ownRoom())) {
            // 12 KB and 63 KB single frames: Liberty reads them in several TCP reads, and the
            // text must still be decoded as one
            String text = "\u20ac\ud83d\ude00\u00e9".repeat(MAX_TEXT_CHARS / 4);
            c.wire().sendText(Wire.message("wide-ok", text));
            JsonObject message = c.nextFrame(WAIT);
            assertEquals(text, message.getString("text", null), "the text arrives intact: " + abbreviate(message.toString()));
            assertEquals("ack", c.nextFrame(WAIT).getString("type"), "and is acknowledged");
            String big = Wire.message("wide-big", "\u20ac".repeat(21_000));
            assertTrue(big.getBytes(StandardCharsets.UTF_8).length < MAX_MESSAGE_BYTES, "under the frame limit");
            c.wire().sendText(big);
            assertEquals("too_large", expectError(c, "too_large").getString("code"), "over MAX_TEXT_CHARS, under the byte limit");
        }
    }

    @Test
    void binaryFrameIsClosedWith1003() throws Exception {
        try (Replies c = welcomed(ownRoom())) {
            c.wire().sendBinary(new byte[] {1, 2, 3, 4});
            WireClient.Event close = c.awaitClose(WAIT);
            assertNotNull(close, "a close frame arrived: " + c.wire().events());
            assertEquals(1003, close.code(), "close code 1003 CANNOT_ACCEPT: " + close);
        }
    }

    @Test
    void answersOwedBeforeABinaryFrameArriveBeforeThe1003() throws Exception {
        for (int round = 0; round < 30; round++) {
            try (Replies c = welcomed(ownRoom())) {
                c.wire().sendText(Wire.message("counted", "then a binary frame"));
                c.wire().sendText("{not json");
                c.wire().sendBinary(new byte[] {42});
                List<String> types = new ArrayList<>();
                String text;
                while ((text = c.next(WAIT)) != null) {
                    JsonObject f = Json.parse(text);
                    types.add(f.getString("type") + (f.containsKey("code") ? ":" + f.getString("code") : ""));
                }
                assertEquals(List.of("message", "ack", "error:bad_json"), types,
                        "round " + round + ": the ack and the error owed before the binary frame arrive first");
                WireClient.Event close = c.wire().closeFrame();
                assertNotNull(close, "round " + round + ": a close frame arrived");
                assertEquals(1003, close.code(), "round " + round + ": then close 1003");
            }
        }
    }

    @Test
    void malformedOrUnknownJsonGetsAnErrorFrameAndTheConnectionKeepsWorking() throws Exception {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{not json", "bad_json");
        cases.put("", "bad_json");
        cases.put("[1,2,3]", "bad_json");
        cases.put("\"a string\"", "bad_json");
        cases.put("null", "bad_json");
        cases.put("{\"type\":\"message\",\"text\":\"x\"} trailing", "bad_json");
        cases.put("{\"type\":\"message\",\"text\":\"x\"}{\"type\":\"message\",\"text\":\"y\"}", "bad_json");
        cases.put("[".repeat(5_000) + "]".repeat(5_000), "bad_json");
        cases.put("{\"type\":\"message\",\"text\":\"deep\",\"meta\":" + "{\"a\":".repeat(2_000) + "1"
                + "}".repeat(2_000) + "}", "bad_json");
        cases.put("{\"type\":\"subscribe\",\"text\":\"x\"}", "unknown_type");
        cases.put("{\"text\":\"no type\"}", "bad_field");
        cases.put("{\"type\":7,\"text\":\"x\"}", "bad_field");
        cases.put("{\"type\":\"message\"}", "bad_field");
        cases.put("{\"type\":\"message\",\"text\":42}", "bad_field");
        cases.put("{\"type\":\"message\",\"text\":[\"x\"]}", "bad_field");
        cases.put("{\"type\":\"message\",\"text\":\"x\",\"id\":{\"a\":1}}", "bad_field");
        cases.put("{\"type\":\"message\",\"text\":\"x\",\"id\":1.5}", "bad_field");
        cases.put("{\"type\":\"message\",\"text\":\"x\",\"id\":\"" + "i".repeat(129) + "\"}", "bad_field");
        cases.put("{\"type\":\"message\",\"text\":\"   \"}", "bad_text");
        cases.put("{\"type\":\"message\",\"text\":\"bell\\u0007\"}", "bad_text");
        cases.put("{\"type\":\"message\",\"text\":\"lone \\ud800 surrogate\"}", "bad_text");
        try (Replies c = welcomed(ownRoom())) {
            int n = 0;
            for (Map.Entry<String, String> e : cases.entrySet()) {
                c.wire().sendText(e.getKey());
                JsonObject f = c.nextFrame(WAIT);
                assertEquals("error", f.getString("type"), "an error frame for " + abbreviate(e.getKey()) + ": " + f);
                assertEquals(e.getValue(), f.getString("code"), "error code for " + abbreviate(e.getKey()) + ": " + f);
                n++;
            }
            assertStillWorks(c, "after-" + n + "-bad-frames");
        }
    }

    @Test
    void anErrorEchoesTheClientIdWhenItCouldBeRead() throws Exception {
        try (Replies c = welcomed(ownRoom())) {
            c.wire().sendText("{\"type\":\"typo\",\"id\":\"m-1\"}");
            assertEquals("m-1", expectError(c, "unknown_type").getString("id"), "the error names the message it answers");
            c.wire().sendText("{\"type\":\"message\",\"id\":17,\"text\":\"\"}");
            assertEquals(17, expectError(c, "bad_text").getInt("id"), "numeric ids are echoed as numbers");
        }
    }

    @Test
    void textLongerThanMaxTextCharsGetsTooLargeAndTheConnectionStays() throws Exception {
        try (Replies c = welcomed(ownRoom())) {
            c.wire().sendText(Wire.message("long", Wire.repeat('y', MAX_TEXT_CHARS + 1)));
            JsonObject err = expectError(c, "too_large");
            assertEquals("long", err.getString("id"), "the error echoes the id");
            c.wire().sendText(Wire.message("longest", Wire.repeat('y', MAX_TEXT_CHARS)));
            JsonObject ack = nextAnswer(c);
            assertEquals("ack", ack.getString("type"), "text of exactly MAX_TEXT_CHARS is accepted: " + ack);
        }
    }

    @Test
    void invalidRoomGetsBadRoomThenClose1008() throws Exception {
        for (String room : new String[] {"room=has%20space", "room=" + "r".repeat(65), "room=", "room=%C3%A9t%C3%A9",
                "room=..%2F..%2Fetc"}) {
            try (Replies c = Replies.connect(server.ws(room))) {
                JsonObject f = c.nextFrame(WAIT);
                assertEquals("error", f.getString("type"), room + ": an error frame first, no welcome: " + f);
                assertEquals("bad_room", f.getString("code"), room + ": error code: " + f);
                WireClient.Event close = c.awaitClose(WAIT);
                assertNotNull(close, room + ": a close frame arrived: " + c.wire().events());
                assertEquals(1008, close.code(), room + ": close 1008 VIOLATED_POLICY");
            }
        }
    }

    @Test
    void broadcastBodyValidationAnswers400WithAJsonReasonForEachBadShape() throws Exception {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("", "empty");
        cases.put("   ", "empty");
        cases.put("{not json", "not valid JSON");
        cases.put("{\"message\":\"hi\"} trailing", "not valid JSON");
        cases.put("{\"message\":\"hi\"}{\"message\":\"again\"}", "not valid JSON");
        cases.put("[".repeat(5_000) + "]".repeat(5_000), "not valid JSON");
        cases.put("[\"message\"]", "JSON object");
        cases.put("\"hello\"", "JSON object");
        cases.put("null", "JSON object");
        cases.put("{}", "message is required");
        cases.put("{\"message\":\"\"}", "message is required");
        cases.put("{\"message\":\"   \"}", "message is required");
        cases.put("{\"message\":null}", "message is required");
        cases.put("{\"message\":5}", "message must be a string");
        cases.put("{\"message\":{\"text\":\"hi\"}}", "message must be a string");
        cases.put("{\"message\":\"" + "m".repeat(4001) + "\"}", "message is longer than 4000");
        cases.put("{\"message\":\"hi\",\"title\":7}", "title must be a string");
        cases.put("{\"message\":\"hi\",\"title\":\"" + "t".repeat(201) + "\"}", "title is longer than 200");
        cases.put("{\"message\":\"hi\",\"level\":\"loud\"}", "level must be one of");
        cases.put("{\"message\":\"hi\",\"level\":3}", "level must be a string");
        cases.put("{\"message\":\"hi\",\"mesage\":\"typo\"}", "unknown field(s) [mesage]");
        cases.put("{\"mesage\":\"typo\"}", "unknown field(s) [mesage]");
        cases.put("{\"message\":\"hi\",\"level\":\"info\",\"extra\":1,\"another\":true}", "unknown field(s) [another, extra]");
        for (Map.Entry<String, String> e : cases.entrySet()) {
            HttpResponse<String> r = server.post("/chat/api/broadcast", e.getKey(),
                    "Content-Type", "application/json", "Authorization", "Bearer " + TOKEN);
            assertEquals(400, r.statusCode(), "400 for body " + abbreviate(e.getKey()) + ": " + r.body());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                    "the reason is JSON for body " + abbreviate(e.getKey()));
            JsonObject problem = Json.parse(r.body());
            assertEquals("invalid_request", problem.getString("error"), "error kind for " + abbreviate(e.getKey()));
            assertTrue(problem.getString("message").contains(e.getValue()),
                    "reason for " + abbreviate(e.getKey()) + " mentions '" + e.getValue() + "': " + problem);
        }
        HttpResponse<String> ok = server.post("/chat/api/broadcast/", "{\"message\":\"valid\",\"level\":\"WARNING\"}",
                "Content-Type", "application/json", "Authorization", "Bearer " + TOKEN);
        assertEquals(202, ok.statusCode(), "a valid body (trailing slash, level in capitals) is accepted: " + ok.body());
        assertTrue(Json.parse(ok.body()).containsKey("delivered"), "202 says how many it was delivered to: " + ok.body());
        assertTrue(Prometheus.scrape(server).value("broadcast_requests_refused_total", "reason", "invalid") >= cases.size(),
                "refusals are counted by reason");
    }

    @Test
    void broadcastWithANonJsonContentTypeIsRefusedWith415() throws Exception {
        HttpResponse<String> r = server.post("/chat/api/broadcast", "{\"message\":\"hi\"}",
                "Content-Type", "text/plain", "Authorization", "Bearer " + TOKEN);
        System.out.printf("broadcast as text/plain: %d '%s'%n", r.statusCode(), r.body());
        assertEquals(415, r.statusCode(), "a body that is not declared as JSON is refused by JAX-RS: " + r.body());
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? "'" + s + "'" : "'" + s.substring(0, 57) + "...'";
    }
}
