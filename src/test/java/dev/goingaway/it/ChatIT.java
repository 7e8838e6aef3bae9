package dev.goingaway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import jakarta.json.JsonObject;

import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.goingaway.testing.Json;
import dev.goingaway.testing.WireClient;

/** The chat endpoint as a client sees it: welcome, ack, rooms, resume, and every bad input. */
@ExtendWith(ArquillianExtension.class)
class ChatIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Deployment(testable = false)
    static WebArchive deployment() {
        return Deployments.war();
    }

    static URI ws(String query) {
        return URI.create("ws://127.0.0.1:" + System.getProperty("it.http.port") + "/ws/chat"
                + (query.isEmpty() ? "" : "?" + query));
    }

    static JsonObject await(WireClient c, String type) throws InterruptedException {
        return Json.parse(c.awaitText(t -> type.equals(Json.type(t)), WAIT));
    }

    static JsonObject awaitAnswer(WireClient c, String id) throws InterruptedException {
        return Json.parse(c.awaitText(t -> {
            JsonObject f = Json.parse(t);
            return ("ack".equals(f.getString("type")) || "error".equals(f.getString("type")))
                    && f.containsKey("id") && id.equals(f.get("id").toString().replace("\"", ""));
        }, WAIT));
    }

    static void say(WireClient c, String id, String text) throws java.io.IOException {
        c.sendText("{\"type\":\"message\",\"text\":\"" + text + "\",\"id\":\"" + id + "\"}");
    }

    @Test
    void welcomeAckAndFanOutReachTheRoomAndOnlyTheRoom() throws Exception {
        try (WireClient a = WireClient.connect(ws("room=kitchen"));
             WireClient b = WireClient.connect(ws("room=kitchen"));
             WireClient c = WireClient.connect(ws("room=garden"))) {
            JsonObject welcomeA = await(a, "welcome");
            assertEquals("kitchen", welcomeA.getString("room"), "welcome names the room");
            assertEquals(0, welcomeA.getInt("total"), "a new session starts at 0");
            assertEquals("arquillian", welcomeA.getString("instance"), "welcome names the instance");
            assertFalse(welcomeA.getString("session").isBlank(), "welcome carries a session id");
            await(b, "welcome");
            JsonObject welcomeC = await(c, "welcome");
            assertEquals("garden", welcomeC.getString("room"), "other room");

            say(a, "m1", "soup is ready");
            JsonObject ack = awaitAnswer(a, "m1");
            assertEquals("ack", ack.getString("type"), "the sender gets an ack");
            assertEquals(1, ack.getInt("total"), "ack carries the session's new total");
            JsonObject atB = await(b, "message");
            assertEquals("soup is ready", atB.getString("text"), "room member receives the text");
            assertEquals(welcomeA.getString("session"), atB.getString("from"), "and who sent it");
            assertEquals("kitchen", atB.getString("room"), "and the room");
            assertTrue(atB.getJsonNumber("ts").longValue() > 0, "with a timestamp");
            await(a, "message");

            // Fan-out is queued before the sender's ack; C answering its own message proves
            // anything meant for C would already have arrived.
            say(c, "c1", "anyone?");
            awaitAnswer(c, "c1");
            assertTrue(c.texts().stream().noneMatch(t -> t.contains("soup is ready")), "another room hears nothing");
        }
    }

    @Test
    void aResumedSessionContinuesItsTotal() throws Exception {
        String session;
        try (WireClient first = WireClient.connect(ws("room=resume"))) {
            session = await(first, "welcome").getString("session");
            for (int i = 1; i <= 3; i++) {
                say(first, "r" + i, "n" + i);
                assertEquals(i, awaitAnswer(first, "r" + i).getInt("total"), "ack total " + i);
            }
            first.sendClose(1000);
            assertTrue(first.awaitEnd(WAIT), "closed");
        }
        try (WireClient again = WireClient.connect(ws("room=resume&session=" + session))) {
            JsonObject welcome = await(again, "welcome");
            assertEquals(session, welcome.getString("session"), "same session id");
            assertEquals(3, welcome.getInt("total"), "total restored on reconnect");
            say(again, "r4", "back");
            assertEquals(4, awaitAnswer(again, "r4").getInt("total"), "counting continues");
            say(again, "r2", "a re-send of an already counted message");
            assertEquals(4, awaitAnswer(again, "r2").getInt("total"), "a re-sent id is acknowledged, not counted again");
        }
        try (var jedis = dev.goingaway.testing.SuiteRedis.get().client()) {
            dev.goingaway.testing.Await.until("total 4 written to Redis", WAIT,
                    () -> "4".equals(jedis.hget("goingaway:session:" + session, "total")));
        }
    }

    @Test
    void everyBadFrameGetsAnErrorAndTheConnectionKeepsWorking() throws Exception {
        try (WireClient c = WireClient.connect(ws("room=bad"))) {
            await(c, "welcome");
            List<String[]> cases = List.of(
                    new String[] {"{not json", "bad_json"},
                    new String[] {"{\"type\":\"dance\",\"id\":\"u1\"}", "unknown_type"},
                    new String[] {"{\"type\":\"message\",\"id\":\"f1\"}", "bad_field"},
                    new String[] {"{\"type\":\"message\",\"text\":7,\"id\":\"f2\"}", "bad_field"},
                    new String[] {"{\"type\":\"message\",\"text\":\"" + "x".repeat(4001) + "\",\"id\":\"t1\"}", "too_large"},
                    new String[] {"{\"type\":\"message\",\"text\":\"\\u0000\",\"id\":\"t2\"}", "bad_text"});
            for (String[] bad : cases) {
                int before = c.texts().size();
                c.sendText(bad[0]);
                JsonObject error = Json.parse(c.awaitText(t -> "error".equals(Json.type(t))
                        && c.texts().indexOf(t) >= before, WAIT));
                assertEquals(bad[1], error.getString("code"), "code for " + bad[0].substring(0, Math.min(40, bad[0].length())));
                assertNotNull(error.getString("message"), "a readable reason");
            }
            say(c, "ok1", "still here");
            assertEquals("ack", awaitAnswer(c, "ok1").getString("type"), "connection still works after bad input");
            assertEquals(1, awaitAnswer(c, "ok1").getInt("total"), "bad frames were not counted");
        }
    }

    @Test
    void protocolViolationsCloseWithTheDocumentedCodes() throws Exception {
        try (WireClient binary = WireClient.connect(ws(""))) {
            await(binary, "welcome");
            binary.sendBinary(new byte[] {1, 2, 3});
            assertTrue(binary.awaitEnd(WAIT), "binary frame ends the connection");
            assertEquals(1003, binary.closeFrame().code(), "1003 for binary frames");
        }
        try (WireClient room = WireClient.connect(ws("room=no%20spaces!"))) {
            JsonObject error = await(room, "error");
            assertEquals("bad_room", error.getString("code"), "invalid room explained");
            assertTrue(room.awaitEnd(WAIT), "then closed");
            assertEquals(1008, room.closeFrame().code(), "1008 policy for an invalid room");
        }
        try (WireClient session = WireClient.connect(ws("session=%3Cscript%3E"))) {
            assertEquals("bad_session", await(session, "error").getString("code"), "bad session id explained");
            JsonObject welcome = await(session, "welcome");
            assertNotEquals("<script>", welcome.getString("session"), "a fresh session instead");
        }
        try (WireClient huge = WireClient.connect(ws(""))) {
            await(huge, "welcome");
            huge.sendText("{\"type\":\"message\",\"text\":\"" + "y".repeat(70_000) + "\"}");
            assertTrue(huge.awaitEnd(WAIT), "oversized frame ends the connection");
            assertEquals(1009, huge.closeFrame().code(), "1009 for a frame over MAX_MESSAGE_BYTES");
        }
    }

    @Test
    void heartbeatPingsLivePeersAndClosesSilentOnes() throws Exception {
        try (WireClient live = WireClient.connect(ws("room=beat"));
             WireClient silent = WireClient.connect(ws("room=beat"), java.util.Map.of(), false)) {
            await(live, "welcome");
            dev.goingaway.testing.Await.until("three pings answered", WAIT,
                    () -> live.events().stream().filter(e -> e.kind() == WireClient.Event.Kind.PING).count() >= 3);
            dev.goingaway.testing.Await.until("the silent peer is closed by the heartbeat", WAIT,
                    () -> HttpIT.metric("ws_heartbeat_timeouts_total") >= 1);
            say(live, "h1", "still alive");
            assertEquals("ack", awaitAnswer(live, "h1").getString("type"), "the answering peer is kept");
        }
    }
}
