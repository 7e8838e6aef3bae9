package dev.goingaway.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.logging.LogEntry;

import dev.goingaway.testing.Await;
import dev.goingaway.testing.LibertyProcess;
import dev.goingaway.testing.Metrics;
import dev.goingaway.testing.WireClient;
import dev.goingaway.testing.RedisProcess;
import dev.goingaway.testing.TcpProxy;

import redis.clients.jedis.Jedis;

/**
 * The page at {@code /} in a real headless Chromium against the project's own Liberty
 * servers and a real Redis: two people chatting, a broadcast arriving, and the point of the
 * project — an instance going away under a page that keeps every message.
 */
class WebPageIT {

    private static final String TOKEN = "e2e-broadcast-token";
    private static final int BURST = 80;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static RedisProcess redis;

    @BeforeAll
    static void browserAndRedis() throws Exception {
        Browser.ensureInstalled();
        redis = RedisProcess.start(0);
    }

    @AfterAll
    static void stopRedis() throws Exception {
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void twoPagesChatInARoomSeeABroadcastAndAReloadResumesTheSession() throws Exception {
        try (LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName("web"),
                     LibertyProcess.env("REDIS_URL", redis.url(), "BROADCAST_TOKEN", TOKEN)).start();
             Browser aliceBrowser = Browser.start("alice");
             Browser bobBrowser = Browser.start("bob")) {

            URI page = server.http("/");
            ChatPage alice = new ChatPage(aliceBrowser).open(page);
            ChatPage bob = new ChatPage(bobBrowser).open(page);
            alice.join("e2e-room");
            bob.join("e2e-room");
            alice.awaitConnectedTo(server.name());
            bob.awaitConnectedTo(server.name());
            assertEquals("0", alice.total(), "a new session starts at total 0");
            assertNotEquals(alice.sessionId(), bob.sessionId(), "two browsers are two sessions");

            alice.say("hello bob");
            Await.until("alice's message acknowledged with total 1", WAIT, () -> ownAcked(alice, "hello bob", "1"));
            Await.until("bob sees alice's message", WAIT, () -> texts(bob.lines("message")).contains("hello bob"));
            bob.say("hi alice");
            Await.until("alice sees bob's message", WAIT, () -> texts(alice.lines("message")).contains("hi alice"));
            assertEquals("1", alice.total(), "alice's total");
            Await.until("bob's total is 1", WAIT, () -> "1".equals(bob.total()));
            assertFalse(texts(alice.lines("message")).contains("hello bob"),
                    "a page shows its own message once (as its own line), not again as the room's echo");

            HttpResponse<String> sent = HTTP.send(HttpRequest.newBuilder(server.http("/chat/api/broadcast"))
                    .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"title\":\"Maintenance\",\"message\":\"Rolling update at noon\",\"level\":\"warning\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(202, sent.statusCode(), "broadcast accepted: " + sent.body());
            for (ChatPage p : List.of(alice, bob)) {
                Await.until(p.name() + " shows the broadcast", WAIT, () -> p.lines("broadcast").stream()
                        .anyMatch(l -> l.who().equals("Maintenance") && l.text().equals("Rolling update at noon")));
            }

            aliceBrowser.screenshot("chat-and-broadcast.png");

            String session = alice.sessionId();
            alice.reload();
            alice.awaitConnectedTo(server.name());
            assertEquals(session, alice.sessionId(), "a reload of the tab resumes the same session");
            assertEquals("1", alice.total(), "and its total");
            alice.say("after reload");
            Await.until("the total continues after the reload", WAIT, () -> ownAcked(alice, "after reload", "2"));

            for (Browser b : List.of(aliceBrowser, bobBrowser)) {
                List<LogEntry> problems = b.console().stream()
                        .filter(e -> e.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()
                                || e.getMessage().contains("Content Security Policy"))
                        .toList();
                assertEquals(List.of(), problems.stream().map(LogEntry::getMessage).toList(),
                        b.name() + ": no console errors or CSP violations under the page's own policy");
            }
        }
    }

    @Test
    void pageIsServedWithExactTypesCachingAndAPolicyThatKeepsItToItsOrigin() throws Exception {
        try (LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName("headers"),
                LibertyProcess.env("REDIS_URL", redis.url(), "BROADCAST_TOKEN", TOKEN)).start()) {
            String host = "127.0.0.1:" + server.httpPort();

            HttpResponse<String> index = server.get("/");
            assertEquals(200, index.statusCode(), "GET /");
            assertEquals("text/html;charset=UTF-8", header(index, "Content-Type"), "page type");
            assertEquals("no-cache", header(index, "Cache-Control"), "the page is revalidated on every load");
            assertEquals("nosniff", header(index, "X-Content-Type-Options"), "nosniff");
            assertEquals("no-referrer", header(index, "Referrer-Policy"), "referrer policy");
            String csp = header(index, "Content-Security-Policy");
            assertNotNull(csp, "a CSP on the page");
            assertTrue(csp.contains("default-src 'self'"), "CSP default-src: " + csp);
            assertTrue(csp.contains("connect-src 'self' ws://" + host + " wss://" + host + ";"),
                    "CSP connects only back to this host: " + csp);
            assertTrue(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "CSP framing/plugins: " + csp);
            assertFalse(csp.contains("unsafe"), "no unsafe-inline or unsafe-eval: " + csp);
            assertFalse(index.body().matches("(?s).*<script(?![^>]*\\bsrc=)[^>]*>.*"), "no inline script in index.html");
            assertFalse(index.body().contains("<style") || index.body().contains(" style="), "no inline style in index.html");

            for (String module : List.of("/app.js", "/js/connection.js", "/js/session.js", "/js/outbox.js", "/js/backoff.js")) {
                HttpResponse<String> js = server.get(module);
                assertEquals(200, js.statusCode(), "GET " + module);
                assertEquals("text/javascript;charset=UTF-8", header(js, "Content-Type"), module + " type (ES modules need a JS type)");
                assertEquals("public, max-age=300", header(js, "Cache-Control"), module + " caching");
                assertEquals("nosniff", header(js, "X-Content-Type-Options"), module + " nosniff");
            }
            HttpResponse<String> css = server.get("/style.css");
            assertEquals("text/css;charset=UTF-8", header(css, "Content-Type"), "stylesheet type");
            assertEquals("public, max-age=300", header(css, "Cache-Control"), "stylesheet caching");
            assertEquals("image/svg+xml", header(server.get("/favicon.svg"), "Content-Type"), "icon type");

            HttpResponse<String> missing = server.get("/no-such-module.js");
            assertEquals(404, missing.statusCode(), "a missing module is a 404");
            assertEquals("no-store", header(missing, "Cache-Control"), "and a 404 is not cached");

            HttpResponse<String> ready = server.get("/health/ready");
            assertEquals(null, header(ready, "Content-Security-Policy"), "health is left alone");
            HttpResponse<String> api = server.post("/chat/api/broadcast", "{\"message\":\"x\"}", "Content-Type", "application/json");
            assertEquals(401, api.statusCode(), "broadcast API without a token");
            assertEquals(null, header(api, "Content-Security-Policy"), "the API is left alone");
            assertTrue(header(api, "Content-Type") == null || header(api, "Content-Type").startsWith("application/json"),
                    "the API keeps its own content type: " + header(api, "Content-Type"));
        }
    }

    @Test
    void pageRidesThroughARolloverWithoutLosingOrDoublingAMessage() throws Exception {
        // The burst below sends faster than the default rate limit allows.
        var env = LibertyProcess.env("REDIS_URL", redis.url(), "BROADCAST_TOKEN", TOKEN, "RECONNECT_SPREAD", "3s",
                "RATE_LIMIT", "2000");
        try (LibertyProcess first = LibertyProcess.create(LibertyProcess.uniqueName("roll-a"), env);
             LibertyProcess second = LibertyProcess.create(LibertyProcess.uniqueName("roll-b"), env)) {
            CompletableFuture<LibertyProcess> a = CompletableFuture.supplyAsync(() -> started(first));
            CompletableFuture<LibertyProcess> b = CompletableFuture.supplyAsync(() -> started(second));
            CompletableFuture.allOf(a, b).join();

            try (TcpProxy proxy = TcpProxy.in(first, second);
                 Browser aliceBrowser = Browser.start("alice-roll");
                 Browser bobBrowser = Browser.start("bob-roll")) {
                URI page = proxy.http("/");
                ChatPage alice = new ChatPage(aliceBrowser).open(page);
                ChatPage bob = new ChatPage(bobBrowser).open(page);
                alice.join("rollover");
                bob.join("rollover");
                alice.awaitConnectedTo(first.name());
                bob.awaitConnectedTo(first.name());
                String aliceSession = alice.sessionId();
                String bobSession = bob.sessionId();

                List<String> typed = new ArrayList<>();
                for (int i = 1; i <= 5; i++) {
                    typed.add("before " + i);
                    alice.say("before " + i);
                }
                bob.say("bob before 1");
                bob.say("bob before 2");
                Await.until("alice's first five acknowledged", WAIT, () -> "5".equals(alice.total()) && "0".equals(alice.pending()));
                Await.until("bob sees alice's five on the same instance", WAIT,
                        () -> texts(bob.lines("message")).containsAll(typed));
                Await.until("bob's two acknowledged", WAIT, () -> "2".equals(bob.total()));

                // The rollover, with messages on the wire: a burst through the page's form spans
                // the SIGTERM. Each burst message is acked by the first instance, answered
                // "draining", left unanswered by the bye, or queued after it; whichever it is, it
                // must end up counted exactly once.
                alice.burst("burst ", BURST, 4);
                Await.until("the burst is under way", WAIT, () -> alice.lines("own").stream()
                        .filter(l -> l.text().startsWith("burst ") && l.status().equals("acked")).count() >= 10);
                alice.recordBanners();
                first.sigterm();
                for (int i = 1; i <= BURST; i++) {
                    typed.add("burst " + i);
                }
                Await.until("alice's page shows the goodbye", WAIT, () -> !alice.notices("bye").isEmpty());
                // Said in the room while alice's page is between its bye and its next welcome
                // (RECONNECT_SPREAD is 3 s): it must appear on her page once, replayed on resume.
                String away = "said while alice was away";
                try (WireClient carol = WireClient.connect(second.ws("room=rollover"))) {
                    carol.awaitText(t -> t.contains("\"welcome\""), WAIT);
                    carol.sendText("{\"type\":\"message\",\"id\":\"carol-1\",\"text\":\"" + away + "\"}");
                    carol.awaitText(t -> t.contains("\"ack\"") && t.contains("carol-1"), WAIT);
                }
                // The banner lives until the reconnect, which can be quicker than a poll: read
                // what it showed, not what it shows now.
                String banner = alice.bannersShown().stream().findFirst().orElse(null);
                Path shot = aliceBrowser.screenshot("rollover-goodbye.png");
                Await.until("the whole burst is on the page", WAIT, () -> alice.lines("own").size() == typed.size());
                // Typed by hand while the page waits to reconnect: queued, sent to the new instance.
                for (int i = 1; i <= 2; i++) {
                    typed.add("after bye " + i);
                    alice.say("after bye " + i);
                }

                assertEquals(143, first.awaitExit(Duration.ofSeconds(15)), "the first instance exited on SIGTERM");
                alice.awaitConnectedTo(second.name());
                bob.awaitConnectedTo(second.name());
                Await.until("all of alice's messages acknowledged (" + alice.describe() + ")", WAIT,
                        () -> "0".equals(alice.pending()) && Integer.toString(typed.size()).equals(alice.total()));
                aliceBrowser.screenshot("rollover-reconnected.png");

                assertEquals(aliceSession, alice.sessionId(), "alice resumed her session on the second instance");
                assertEquals(bobSession, bob.sessionId(), "bob resumed his session");
                assertEquals("2", bob.total(), "bob's total continued on the second instance");
                assertEquals(Integer.toString(typed.size()), alice.total(),
                        "alice's total equals the number of messages she typed: none lost, none counted twice");

                List<ChatPage.Line> own = alice.lines("own");
                assertEquals(typed, texts(own), "alice's page lists each message she typed exactly once, in order");
                assertTrue(own.stream().allMatch(l -> l.status().equals("acked")),
                        "every message acknowledged: " + own);
                assertEquals(typed.size(), own.stream().map(ChatPage.Line::id).distinct().count(), "one client id per message");
                System.out.printf("rollover: %d typed, total %s; re-sent after the bye or a draining error: %d; answered draining first: %d; "
                                + "acked at the first send: %d%n", typed.size(), alice.total(),
                        own.stream().filter(l -> l.sends() > 1).count(),
                        own.stream().filter(l -> l.code().equals("draining")).count(),
                        own.stream().filter(l -> l.sends() == 1).count());

                List<ChatPage.Line> bye = alice.notices("bye");
                assertEquals(1, bye.size(), "one goodbye shown");
                assertTrue(bye.get(0).text().startsWith(first.name() + " said goodbye"), "the goodbye names the instance: " + bye);
                assertNotNull(banner, "the goodbye banner was shown");
                assertTrue(banner.startsWith(first.name() + " is going away."), "banner: " + banner);
                List<ChatPage.Line> welcomes = alice.notices("welcome");
                assertTrue(welcomes.get(welcomes.size() - 1).text().startsWith(
                                "Reconnected to " + second.name() + " (was " + first.name() + "); your total "),
                        "the page says where it reconnected and that the total continues: " + welcomes);

                try (Jedis jedis = redis.client()) {
                    Await.until("alice's total reaches Redis", WAIT,
                            () -> Integer.toString(typed.size()).equals(jedis.hget("goingaway:session:" + aliceSession, "total")));
                }

                Await.until("the message said while alice was away is on her page", WAIT,
                        () -> texts(alice.lines("message")).contains(away));
                assertEquals(1, texts(alice.lines("message")).stream().filter(away::equals).count(),
                        "shown once on alice's page");
                assertEquals(1, texts(bob.lines("message")).stream().filter(away::equals).count(), "and on bob's");
                assertEquals(List.of(), alice.notices("error").stream().map(ChatPage.Line::text)
                        .filter(t -> t.startsWith("Messages sent while you were away may be missing")).toList(),
                        "the resume recovered: no 'may be missing' notice");
                assertTrue(Metrics.value(second, "stream_messages_replayed_total") >= 1,
                        "the second instance replayed it to a page that resumed after it was said");

                // Chat goes on on the second instance.
                alice.say("on the second instance");
                Await.until("bob sees a message sent after the rollover", WAIT,
                        () -> texts(bob.lines("message")).contains("on the second instance"));

                List<String> cspViolations = aliceBrowser.console().stream().map(LogEntry::getMessage)
                        .filter(m -> m.contains("Content Security Policy")).toList();
                assertEquals(List.of(), cspViolations, "no CSP violations through the rollover");
                assertTrue(Files.size(shot) > 0, "screenshot saved at " + shot);
                assertTrue(proxy.routedTo(second.name()) >= 2, "the proxy moved the reconnects to the second instance");
            }
        }
    }

    private static LibertyProcess started(LibertyProcess server) {
        try {
            return server.start();
        } catch (Exception e) {
            throw new IllegalStateException("could not start " + server.name(), e);
        }
    }

    private static boolean ownAcked(ChatPage page, String text, String total) {
        return page.lines("own").stream().anyMatch(l -> l.text().equals(text) && l.status().equals("acked")
                && l.statusText().equals("✓ " + total));
    }

    private static List<String> texts(List<ChatPage.Line> lines) {
        return lines.stream().map(ChatPage.Line::text).toList();
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }
}
