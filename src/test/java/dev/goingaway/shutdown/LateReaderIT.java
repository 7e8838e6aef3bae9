package dev.goingaway.shutdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.goingaway.testing.HaProxy;
import dev.goingaway.testing.Json;
import dev.goingaway.testing.LibertyProcess;

/**
 * A client that reads late still gets its bye: the JDK's WebSocket client, reading a frame at a
 * time on demand (as a busy client JVM does: 5,000 of them on one selector thread in the
 * rollover benchmark), falls behind by a few seconds during the shutdown while it keeps
 * writing. Its bye and close frame are in its socket, unread. If the server ends the TCP
 * connection before the client has answered the close, the next write meets a reset (from
 * the proxy, which ends the client's side when the server's side ends, or from the server's
 * kernel), and the JDK client fails the connection on that write error, before delivering the
 * frames it had not read: the bye is lost, the client sees 1006 ("Broken pipe", "closed
 * input"). This is what a tenth of the clients of a rollover saw through HAProxy at 5,000.
 *
 * <p>The server therefore keeps each connection until its client answers the close (bounded
 * by the drain's deadline). Each test lets its clients lag {@link #LAG} behind, writing all
 * along, then read: every one must get bye then 1001, and the server must still exit within
 * its bound, soon after the last answer.
 */
class LateReaderIT {

    /**
     * How far behind the clients read: more than a healthy client ever needs, more than HAProxy's
     * {@code timeout client-fin} (5 s, which starts when the server ends its stream), and inside
     * the drain's wait for the answers (6.5 s after SIGTERM by default).
     */
    private static final Duration LAG = Duration.ofMillis(5_500);
    private static final int CLIENTS = 20;

    @Test
    void aClientThatReadsLateGetsItsByeThroughHaproxy() throws Exception {
        try (LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName("late-proxy"), LibertyProcess.env()).start();
             HaProxy proxy = HaProxy.start(Map.of("app", server.httpPort()))) {
            proxy.awaitStatus("app", "UP", Duration.ofSeconds(20));
            lateReadersGetTheirBye(server, proxy::ws);
        }
    }

    @Test
    void aClientThatReadsLateGetsItsByeOnADirectConnection() throws Exception {
        try (LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName("late-direct"), LibertyProcess.env()).start()) {
            lateReadersGetTheirBye(server, server::ws);
        }
    }

    private static void lateReadersGetTheirBye(LibertyProcess server, Function<String, URI> ws) throws Exception {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        HttpClient http = HttpClient.newHttpClient();
        List<LateReader> clients = new ArrayList<>();
        try {
            for (int i = 0; i < CLIENTS; i++) {
                LateReader c = new LateReader("late" + i);
                http.newWebSocketBuilder().buildAsync(ws.apply("room=late"), c).get(15, TimeUnit.SECONDS);
                c.welcome.get(15, TimeUnit.SECONDS);
                clients.add(c);
            }
            clients.forEach(LateReader::fallBehind);
            server.sigterm();
            // Lagging: each client writes every 100 ms and reads nothing, then catches up.
            long catchUp = System.nanoTime() + LAG.toNanos();
            clients.forEach(c -> c.writeUntil(timer, catchUp));
            timer.schedule(() -> clients.forEach(LateReader::catchUp), LAG.toMillis(), TimeUnit.MILLISECONDS);

            for (LateReader c : clients) {
                String end = c.end.get(15, TimeUnit.SECONDS);
                assertEquals("close 1001", end, c.name + " ended with a close frame 1001, not a dropped connection: " + c.frames);
                assertTrue(c.writes.get() > 1, c.name + " kept writing while it lagged: " + c.writes.get());
                String last = c.frames.get(c.frames.size() - 1);
                assertEquals("bye", Json.type(last), c.name + "'s last frame is its bye: " + c.frames);
            }
            long took = Goodbyes.assertExitedWithinBound(server);
            String log = server.messagesLog();
            Matcher sockets = Pattern.compile("ws_shutdown_sockets_closed open=(\\d+) not_websocket=(\\d+)").matcher(log);
            assertTrue(sockets.find(), "the wait for the close replies is logged");
            assertTrue(Integer.parseInt(sockets.group(1)) <= Integer.parseInt(sockets.group(2)),
                    "every client answered the close before the exit: " + sockets.group());
            System.out.printf("%d clients %d ms behind: all got bye + 1001; SIGTERM -> exit %d ms%n", CLIENTS, LAG.toMillis(), took);
        } finally {
            timer.shutdownNow();
            clients.forEach(LateReader::abort);
        }
    }

    /**
     * The JDK's client, driven as a real client would: it asks for one frame at a time, and
     * while it lags it asks for none, though it goes on sending.
     */
    private static final class LateReader implements WebSocket.Listener {
        final String name;
        final List<String> frames = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> welcome = new CompletableFuture<>();
        final CompletableFuture<String> end = new CompletableFuture<>();
        final AtomicInteger writes = new AtomicInteger();
        private final StringBuilder partial = new StringBuilder();
        private volatile boolean lagging;
        private volatile WebSocket socket;

        LateReader(String name) {
            this.name = name;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            socket = webSocket;
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                frames.add(text);
                if ("welcome".equals(Json.type(text))) {
                    welcome.complete(null);
                }
            }
            if (!lagging) {
                webSocket.request(1);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            end.complete("close " + statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            end.complete("error " + error);
        }

        void fallBehind() {
            lagging = true;
        }

        void catchUp() {
            lagging = false;
            socket.request(1);
        }

        /** One message every 100 ms until {@code untilNanos}, each after the last one's write completed. */
        void writeUntil(ScheduledExecutorService timer, long untilNanos) {
            if (System.nanoTime() >= untilNanos || end.isDone()) {
                return;
            }
            int n = writes.incrementAndGet();
            socket.sendText("{\"type\":\"message\",\"text\":\"typing\",\"id\":\"" + name + "-" + n + "\"}", true)
                    // the client's own pacing, not a wait for anything
                    .whenComplete((ws, e) -> timer.schedule(() -> writeUntil(timer, untilNanos), 100, TimeUnit.MILLISECONDS));
        }

        void abort() {
            WebSocket s = socket;
            if (s != null) {
                s.abort();
            }
        }
    }
}
