package dev.goingaway.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import jakarta.json.JsonObject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.goingaway.testing.Await;
import dev.goingaway.testing.Json;
import dev.goingaway.testing.LibertyProcess;
import dev.goingaway.testing.Prometheus;
import dev.goingaway.testing.RedisProcess;
import dev.goingaway.testing.Replies;
import dev.goingaway.testing.WireClient;

/**
 * Clients that push their luck: too many messages, too many connections, a foreign web page,
 * a caller without the broadcast token. Two servers: {@code guarded} with the defaults for
 * origins, a small rate limit and connection cap, a password-protected Redis and a token;
 * {@code listed} with {@code ALLOWED_ORIGINS} set and no token. The last test reads
 * everything the guarded server wrote and finds neither secret.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AbuseIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String TOKEN = "tok-7f3c9a1e5b2d4c6f8e0a";
    private static final String REDIS_PASSWORD = "pw-c41d8f2b9e7a6053";
    private static final int RATE_LIMIT = 5;
    private static final int MAX_CONNECTIONS = 5;

    private static RedisProcess redis;
    private static LibertyProcess guarded;
    private static LibertyProcess listed;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisProcess.start(0, REDIS_PASSWORD);
        guarded = LibertyProcess.create(LibertyProcess.uniqueName("guarded"), LibertyProcess.env(
                "REDIS_URL", redis.url(), "BROADCAST_TOKEN", TOKEN,
                "RATE_LIMIT", Integer.toString(RATE_LIMIT), "MAX_CONNECTIONS", Integer.toString(MAX_CONNECTIONS))).start();
        listed = LibertyProcess.create(LibertyProcess.uniqueName("listed"), LibertyProcess.env(
                "ALLOWED_ORIGINS", "https://good.example, http://also.example:8080/")).start();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {guarded, listed, redis}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static String room() {
        return "room=" + LibertyProcess.uniqueName("ab");
    }

    // ---- rate limit ----------------------------------------------------------------------------

    @Test
    @Order(1)
    void aClientThatKeepsExceedingTheRateLimitGetsRateLimitedErrorsThenClose1008() throws Exception {
        int burst = 2 * RATE_LIMIT;
        int sent = 0;
        try (Replies c = Replies.connect(guarded.ws(room()))) {
            String session = c.nextFrame(WAIT).getString("session");
            try {
                for (; sent < 200; sent++) {
                    c.wire().sendText(Wire.message("m" + sent, "flood " + sent));
                }
            } catch (IOException e) {
                // the server closed the connection while the flood was still being sent
            }
            int acks = 0;
            List<JsonObject> errors = new ArrayList<>();
            String text;
            while ((text = c.next(WAIT)) != null) {
                JsonObject f = Json.parse(text);
                switch (f.getString("type")) {
                    case "ack" -> acks++;
                    case "error" -> errors.add(f);
                    default -> { }
                }
            }
            WireClient.Event close = c.wire().closeFrame();
            // The close waits for the answers queued before it; frames the flooder sent after
            // the disconnect was decided may go unanswered.
            assertTrue(acks >= burst, "the burst allowance (" + burst + ") is acknowledged: " + acks);
            assertTrue(errors.size() >= burst, "the refusals in a row that led to the disconnect all arrived: "
                    + errors.size());
            assertTrue(errors.stream().allMatch(e -> "rate_limited".equals(e.getString("code"))),
                    "every error is rate_limited: " + errors);
            assertTrue(errors.stream().allMatch(e -> e.getString("id").startsWith("m")), "each error names its message");
            assertTrue(Prometheus.scrape(guarded).value("ws_errors_total", "code", "rate_limited") >= burst,
                    "the server refused a burst in a row before the disconnect (ws_errors_total{code=rate_limited})");
            assertNotNull(close, "a close frame arrived: " + c.wire().events());
            assertEquals(1008, close.code(), "persistent flooding is closed with 1008 VIOLATED_POLICY");
            assertTrue(close.text().contains("rate"), "the close reason names the rate limit: " + close.text());
            long logged = guarded.messagesLog().lines()
                    .filter(l -> l.contains(session) && l.contains("rate limit exceeded")).count();
            assertEquals(1, logged, "the disconnect is logged once, however long the flood ran on (" + sent + " sent)");
        }
    }

    @Test
    @Order(2)
    void aClientThatSlowsDownAfterRateLimitedIsServedAgainAndKeptOpen() throws Exception {
        int burst = 2 * RATE_LIMIT;
        try (Replies c = Replies.connect(guarded.ws(room()))) {
            assertEquals("welcome", c.nextFrame(WAIT).getString("type"), "welcomed");
            for (int i = 0; i < burst + 2; i++) {
                c.wire().sendText(Wire.message("b" + i, "burst " + i));
            }
            int limited = 0;
            for (int answers = 0; answers < burst + 2; ) {
                JsonObject f = c.nextFrame(WAIT);
                if ("error".equals(f.getString("type"))) {
                    assertEquals("rate_limited", f.getString("code"), "over the burst: " + f);
                    limited++;
                }
                if (!"message".equals(f.getString("type"))) {
                    answers++;
                }
            }
            assertTrue(limited >= 1 && limited < burst, "a few refusals, not enough to be disconnected: " + limited);
            // The client now behaves: it sends at 1/(2 x rate), half the allowed rate, until it is served.
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            boolean acked = false;
            for (int i = 0; !acked && System.nanoTime() < deadline; i++) {
                Thread.sleep(2_000 / RATE_LIMIT); // the client's own pacing, below the limit
                c.wire().sendText(Wire.message("slow" + i, "patient"));
                JsonObject f = c.nextFrame(WAIT);
                f = "message".equals(f.getString("type")) ? c.nextFrame(WAIT) : f;
                acked = "ack".equals(f.getString("type"));
            }
            assertTrue(acked, "a client that slows down is acknowledged again");
            assertFalse(c.wire().ended(), "and its connection stays open");
        }
    }

    // ---- connection cap ------------------------------------------------------------------------

    @Test
    @Order(3)
    void connectionsOverMaxConnectionsAreClosedWith1013AndASlotFreedIsUsableAgain() throws Exception {
        Await.until("no sessions left open on the server from earlier tests", WAIT,
                () -> Prometheus.valueOrMissing(guarded, "ws_sessions_active") == 0);
        List<Replies> open = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_CONNECTIONS; i++) {
                Replies c = Replies.connect(guarded.ws(room()));
                open.add(c);
                assertEquals("welcome", c.nextFrame(WAIT).getString("type"), "connection " + (i + 1) + " is welcomed");
            }
            try (Replies extra = Replies.connect(guarded.ws(room()))) {
                WireClient.Event close = extra.awaitClose(WAIT);
                assertEquals(List.of(), extra.wire().texts(), "the extra connection gets no welcome");
                assertNotNull(close, "the extra connection gets a close frame: " + extra.wire().events());
                assertEquals(1013, close.code(), "over MAX_CONNECTIONS: close 1013 TRY_AGAIN_LATER");
            }
            assertTrue(Prometheus.scrape(guarded).value("ws_connections_refused_total", "reason", "capacity") >= 1,
                    "refusals at the cap are counted by reason");

            open.remove(0).close();
            Await.until("the server noticed the closed connection", WAIT,
                    () -> Prometheus.valueOrMissing(guarded, "ws_sessions_active") == MAX_CONNECTIONS - 1);
            try (Replies again = Replies.connect(guarded.ws(room()))) {
                assertEquals("welcome", again.nextFrame(WAIT).getString("type"), "a freed slot takes a new connection");
            }
        } finally {
            open.forEach(Replies::close);
        }
    }

    // ---- origins -------------------------------------------------------------------------------

    /** Connects with the given headers and returns the first frame's type, or "close NNNN". */
    private static String outcome(LibertyProcess server, Map<String, String> headers) throws Exception {
        try (Replies c = Replies.connect(server.ws(room()), headers)) {
            String first = c.next(WAIT);
            if (first != null) {
                return Json.type(first);
            }
            WireClient.Event close = c.wire().closeFrame();
            return close == null ? "dropped" : "close " + close.code();
        }
    }

    @Test
    @Order(4)
    void byDefaultOnlyTheSameOriginOrNoOriginMayOpenAWebSocket() throws Exception {
        String self = "http://127.0.0.1:" + guarded.httpPort();
        assertEquals("close 1008", outcome(guarded, Map.of("Origin", "http://evil.example")),
                "a foreign page's origin is closed with 1008");
        assertEquals("close 1008", outcome(guarded, Map.of("Origin", "http://127.0.0.1:1")),
                "same host, other port is another origin");
        assertEquals("close 1008", outcome(guarded, Map.of("Origin", "null")),
                "the opaque origin 'null' (sandboxed frame, file://) is refused");
        assertEquals("welcome", outcome(guarded, Map.of("Origin", self)), "the page served by this server may connect");
        assertEquals("welcome", outcome(guarded, Map.of()), "a client that sends no Origin (a CLI) may connect");
        assertEquals("welcome", outcome(guarded, Map.of("Origin", "https://chat.example.com",
                "X-Forwarded-Host", "chat.example.com")), "behind a proxy, the forwarded host is the same origin");
        assertTrue(Prometheus.scrape(guarded).value("ws_connections_refused_total", "reason", "origin") >= 3,
                "origin refusals are counted by reason");
        assertTrue(guarded.messagesLog().contains("origin=http://evil.example"), "the refused origin is logged");
    }

    @Test
    @Order(5)
    void withAllowedOriginsSetOnlyThoseOriginsMayOpenAWebSocket() throws Exception {
        assertEquals("welcome", outcome(listed, Map.of("Origin", "https://good.example")), "a listed origin");
        assertEquals("welcome", outcome(listed, Map.of("Origin", "http://also.example:8080")),
                "a listed origin with a port (listed with a trailing slash)");
        assertEquals("welcome", outcome(listed, Map.of()), "no Origin is still allowed");
        assertEquals("close 1008", outcome(listed, Map.of("Origin", "http://good.example")),
                "the listed host with another scheme is another origin");
        assertEquals("close 1008", outcome(listed, Map.of("Origin", "https://good.example.evil.example")),
                "a suffix of a listed origin is not that origin");
        assertEquals("close 1008", outcome(listed, Map.of("Origin", "http://127.0.0.1:" + listed.httpPort())),
                "with a list, the server's own origin is allowed only if listed");
        assertEquals("close 1008", outcome(listed, Map.of("Origin", "http://evil.example")), "an unlisted origin");
    }

    // ---- broadcast token -----------------------------------------------------------------------

    private static HttpResponse<String> broadcast(LibertyProcess server, String body, String... auth) throws Exception {
        List<String> headers = new ArrayList<>(List.of("Content-Type", "application/json"));
        headers.addAll(List.of(auth));
        return server.post("/chat/api/broadcast", body, headers.toArray(String[]::new));
    }

    private static void assertUnauthorized(HttpResponse<String> r, String what) {
        assertEquals(401, r.statusCode(), what + ": 401; body " + r.body());
        assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"),
                what + ": the challenge names the Bearer scheme");
        assertEquals("unauthorized", Json.parse(r.body()).getString("error"), what + ": JSON reason");
    }

    @Test
    @Order(6)
    void theBroadcastApiRefusesAWrongOrMissingTokenWith401() throws Exception {
        String body = "{\"message\":\"hello\"}";
        assertUnauthorized(broadcast(guarded, body), "no Authorization header");
        assertUnauthorized(broadcast(guarded, body, "Authorization", "Bearer wrong-token"), "a wrong token");
        assertUnauthorized(broadcast(guarded, body, "Authorization", "Bearer " + TOKEN + "x"), "the token plus a character");
        assertUnauthorized(broadcast(guarded, body, "Authorization", "Bearer " + TOKEN.substring(1)), "a prefix missing");
        assertUnauthorized(broadcast(guarded, body, "Authorization", "Bearer "), "an empty bearer token");
        assertUnauthorized(broadcast(guarded, body, "Authorization", TOKEN), "the token without the scheme");
        assertUnauthorized(broadcast(guarded, body, "Authorization", "Basic " + TOKEN), "another scheme");
        assertUnauthorized(broadcast(guarded, "{\"bogus\":1}", "Authorization", "Bearer wrong"),
                "a bad body with a bad token: authorisation is checked first, nothing about the body leaks");
        assertEquals(202, broadcast(guarded, body, "Authorization", "bearer " + TOKEN).statusCode(),
                "the right token (the scheme name is case-insensitive)");
        assertTrue(Prometheus.scrape(guarded).value("broadcast_requests_refused_total", "reason", "unauthorized") >= 8,
                "refusals are counted");
    }

    @Test
    @Order(7)
    void withNoTokenConfiguredTheBroadcastApiRefusesEveryCallWith401() throws Exception {
        for (String auth : new String[] {"Bearer ", "Bearer anything", "Bearer " + TOKEN, "Bearer null"}) {
            HttpResponse<String> r = broadcast(listed, "{\"message\":\"hello\"}", "Authorization", auth);
            assertUnauthorized(r, "BROADCAST_TOKEN unset, '" + auth + "'");
            assertTrue(Json.parse(r.body()).getString("message").contains("BROADCAST_TOKEN is not set"),
                    "the reason says the API is disabled: " + r.body());
        }
        assertUnauthorized(broadcast(listed, "{\"message\":\"hello\"}"), "BROADCAST_TOKEN unset, no header");
    }

    // ---- secrets -------------------------------------------------------------------------------

    @Test
    @Order(100)
    void neitherTheBroadcastTokenNorTheRedisPasswordAppearsInAnyLogOrEndpoint() throws Exception {
        // Provoke every path that reports the store or the token: refused calls, a Redis that
        // goes away, one that comes back with another password (authentication errors), then
        // the right one again.
        broadcast(guarded, "{\"message\":\"x\"}", "Authorization", "Bearer " + REDIS_PASSWORD);
        broadcast(guarded, "{\"message\":\"x\"}", "Authorization", "Bearer " + TOKEN.toUpperCase());
        try (Replies c = Replies.connect(guarded.ws("session=" + LibertyProcess.uniqueName("resume-me")))) {
            c.nextFrame(WAIT);
        }
        int port = redis.port();
        redis.stop();
        try (Replies c = Replies.connect(guarded.ws(room()))) {
            c.nextFrame(WAIT);
            c.wire().sendText(Wire.message("while-down", "counted while Redis is away"));
            Await.until("the server reports the store unreachable", WAIT,
                    () -> Prometheus.valueOrMissing(guarded, "store_up") == 0);
        }
        try (RedisProcess impostor = RedisProcess.start(port, "another-password")) {
            Await.until("readiness reports the authentication failure", WAIT, () -> {
                try {
                    String body = guarded.get("/health/ready").body();
                    return body.contains("WRONGPASS") || body.contains("NOAUTH");
                } catch (IOException e) {
                    return false;
                }
            });
        }
        redis.startProcess();
        Await.until("the server reports the store reachable again", WAIT,
                () -> Prometheus.valueOrMissing(guarded, "store_up") == 1);

        String ready = guarded.get("/health/ready").body();
        String metrics = Prometheus.scrape(guarded).text();
        assertTrue(ready.contains("***@"), "readiness names the store with the password masked: " + ready);
        for (String secret : List.of(TOKEN, REDIS_PASSWORD)) {
            assertFalse(ready.contains(secret), "readiness does not show " + label(secret));
            assertFalse(metrics.contains(secret), "/metrics does not show " + label(secret));
            try (Stream<Path> files = Files.walk(guarded.userDir())) {
                for (Path f : files.filter(Files::isRegularFile).filter(AbuseIT::isLog).toList()) {
                    String text = Files.readString(f, java.nio.charset.StandardCharsets.ISO_8859_1);
                    assertFalse(text.contains(secret), label(secret) + " must not appear in " + f);
                }
            }
        }
        assertTrue(guarded.messagesLog().contains("store_unreachable"), "the outage itself is logged");
    }

    private static boolean isLog(Path f) {
        String n = f.getFileName().toString();
        return n.endsWith(".log") || n.endsWith(".txt") || f.toString().contains("ffdc");
    }

    private static String label(String secret) {
        return secret.equals(TOKEN) ? "the broadcast token" : "the Redis password";
    }
}
