package dev.goingaway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import jakarta.json.JsonObject;

import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.goingaway.testing.Await;
import dev.goingaway.testing.Json;
import dev.goingaway.testing.RedisProcess;
import dev.goingaway.testing.SuiteRedis;
import dev.goingaway.testing.WireClient;

import redis.clients.jedis.Jedis;

/** The HTTP side: broadcast API, health, metrics, and what a Redis outage looks like. */
@ExtendWith(ArquillianExtension.class)
class HttpIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String TOKEN = "arquillian-token";

    @Deployment(testable = false)
    static WebArchive deployment() {
        return Deployments.war();
    }

    static URI http(String path) {
        return URI.create("http://127.0.0.1:" + System.getProperty("it.http.port") + path);
    }

    static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(http(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> broadcast(String path, String body, String auth) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(http(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sum of all Prometheus samples whose name (before any label) is {@code name}. */
    static double metric(String name) {
        try {
            String text = get("/metrics").body();
            return text.lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Test
    void broadcastReachesConnectedClientsAndAnswers202() throws Exception {
        try (WireClient c = WireClient.connect(ChatIT.ws("room=news"))) {
            ChatIT.await(c, "welcome");
            HttpResponse<String> r = broadcast("/chat/api/broadcast",
                    "{\"title\":\"Maintenance\",\"message\":\"Deploy at 17:00\",\"level\":\"warning\"}", "Bearer " + TOKEN);
            assertEquals(202, r.statusCode(), "accepted: " + r.body());
            assertTrue(Json.parse(r.body()).getInt("delivered") >= 1, "delivered count includes our client: " + r.body());
            JsonObject frame = ChatIT.await(c, "broadcast");
            assertEquals("Maintenance", frame.getString("title"), "title");
            assertEquals("Deploy at 17:00", frame.getString("message"), "message");
            assertEquals("warning", frame.getString("level"), "level");
            assertEquals(202, broadcast("/chat/api/broadcast/", "{\"message\":\"slash\"}", "Bearer " + TOKEN).statusCode(),
                    "trailing slash works too");
        }
    }

    @Test
    void broadcastRefusesBadBodiesAndBadCredentials() throws Exception {
        HttpResponse<String> bad = broadcast("/chat/api/broadcast", "{\"level\":\"info\"}", "Bearer " + TOKEN);
        assertEquals(400, bad.statusCode(), "missing message is 400");
        assertEquals("invalid_request", Json.parse(bad.body()).getString("error"), "JSON reason: " + bad.body());
        assertEquals(400, broadcast("/chat/api/broadcast", "{oops", "Bearer " + TOKEN).statusCode(), "broken JSON is 400");
        HttpResponse<String> none = broadcast("/chat/api/broadcast", "{\"message\":\"m\"}", null);
        assertEquals(401, none.statusCode(), "no credentials is 401");
        assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), "says which scheme");
        assertEquals(401, broadcast("/chat/api/broadcast", "{\"message\":\"m\"}", "Bearer wrong").statusCode(),
                "wrong token is 401");
        assertEquals(401, broadcast("/chat/api/broadcast", "{oops", null).statusCode(),
                "credentials are checked before the body is looked at");
    }

    @Test
    void healthEndpointsAnswerWithData() throws Exception {
        for (String probe : new String[] {"/health/live", "/health/ready", "/health/started"}) {
            HttpResponse<String> r = get(probe);
            assertEquals(200, r.statusCode(), probe + " is UP: " + r.body());
            assertEquals("UP", Json.parse(r.body()).getString("status"), probe + " status");
        }
        JsonObject data = readyData();
        assertEquals(false, data.getBoolean("draining"), "readiness says it is not draining");
        assertEquals(false, data.getBoolean("refusingNew"), "nor refusing new work");
        assertTrue(data.getString("store").startsWith("redis://"), "and which store it uses");
        JsonObject started = check(get("/health/started").body(), "started");
        assertEquals("installed", started.getJsonObject("data").getString("signalHandler"), "SIGTERM drain is armed");
    }

    @Test
    void metricsNameEveryCounterAfterTraffic() throws Exception {
        try (WireClient c = WireClient.connect(ChatIT.ws("room=metrics"))) {
            ChatIT.await(c, "welcome");
            ChatIT.say(c, "x1", "count me");
            ChatIT.awaitAnswer(c, "x1");
            c.sendText("nope");
            ChatIT.await(c, "error");
            HttpResponse<String> r = get("/metrics");
            assertEquals(200, r.statusCode(), "/metrics is open without credentials");
            for (String name : new String[] {"ws_sessions_active", "ws_messages_received_total", "ws_acks_total",
                    "ws_errors_total{code=\"bad_json\"", "ws_broadcasts_total", "ws_shutdown_bye_sent_total",
                    "ws_shutdown_close_failed_total", "ws_shutdown_duration_seconds", "store_up"}) {
                assertTrue(r.body().contains(name), "metric present: " + name);
            }
            assertTrue(metric("ws_sessions_active") >= 1, "our session is counted as active");
            assertTrue(metric("ws_errors_total") >= 1, "errors counted");
        }
    }

    @Test
    void aRedisOutageIsReportedAndTotalsCatchUpWhenItReturns() throws Exception {
        RedisProcess redis = SuiteRedis.get();
        redis.stop();
        try (WireClient c = WireClient.connect(ChatIT.ws("room=outage"))) {
            String session = ChatIT.await(c, "welcome").getString("session");
            ChatIT.say(c, "o1", "during the outage");
            ChatIT.say(c, "o2", "still chatting");
            assertEquals(2, ChatIT.awaitAnswer(c, "o2").getInt("total"), "chat keeps working without Redis");
            Await.until("readiness reports the store unreachable", WAIT, () -> readyData().getBoolean("storeReachable") == false);
            JsonObject data = readyData();
            assertTrue(data.containsKey("storeError"), "and why: " + data);
            assertEquals(200, get("/health/ready").statusCode(), "a Redis outage does not take the instance out of rotation");
            Await.until("metric store_up is 0", WAIT, () -> metric("store_up") == 0.0);
            assertTrue(serverLog().contains("store_unreachable"), "the outage is logged");

            redis.startProcess();
            try (Jedis jedis = redis.client()) {
                Await.until("pending total written once Redis is back", WAIT,
                        () -> "2".equals(jedis.hget("goingaway:session:" + session, "total")));
            }
            Await.until("readiness reports the store reachable again", WAIT, () -> readyData().getBoolean("storeReachable"));
            assertTrue(serverLog().contains("store_recovered"), "the recovery is logged");
        } finally {
            if (!redis.answers()) {
                redis.startProcess();
            }
        }
    }

    /** The named check of a health response (their order is not defined). */
    private static JsonObject check(String body, String name) {
        return Json.parse(body).getJsonArray("checks").stream().map(v -> v.asJsonObject())
                .filter(c -> name.equals(c.getString("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no check named " + name + " in " + body));
    }

    private static JsonObject readyData() {
        try {
            return check(get("/health/ready").body(), "chat").getJsonObject("data");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String serverLog() throws IOException {
        return Files.readString(Path.of(System.getProperty("it.wlp.home"),
                "usr/servers/goingaway-arquillian/logs/messages.log"));
    }
}
