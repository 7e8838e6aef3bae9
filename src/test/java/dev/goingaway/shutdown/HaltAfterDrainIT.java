package dev.goingaway.shutdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.goingaway.testing.Await;
import dev.goingaway.testing.Json;
import dev.goingaway.testing.LibertyProcess;
import dev.goingaway.testing.Metrics;
import dev.goingaway.testing.WireClient;

/**
 * How the JVM ends after a signal's drain. By default ({@code SHUTDOWN_EXIT=halt}) it halts as
 * soon as the drain is done and this application's HTTP requests are answered, instead of running
 * Liberty's orderly stop; {@code SHUTDOWN_EXIT=liberty} hands the signal on to that stop. Clients
 * see the same in both, and the drain's log lines survive the halt.
 */
class HaltAfterDrainIT {

    @Test
    void byDefaultTheJvmHaltsRightAfterTheDrain() throws Exception {
        List<WireClient> clients = new ArrayList<>();
        try (LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName("halt"), LibertyProcess.env()).start()) {
            connect(server, clients, 100);
            clients.forEach(WireClient::followTcpEnd);
            server.sigterm();
            long took = Goodbyes.assertExitedWithinBound(server);
            Goodbyes.assertByeThen1001(clients, Duration.ofSeconds(5));
            for (WireClient c : clients) {
                // The JVM ends with these sockets still open on its side (their handshake done);
                // the clients must have seen a clean end of stream, not a reset.
                WireClient.Event end = c.tcpEnd();
                assertNotNull(end, "the TCP end was recorded: " + c.events());
                assertEquals(WireClient.Event.Kind.EOF, end.kind(), "a clean end of stream after the close frame: " + end);
            }
            String log = server.messagesLog();
            assertTrue(log.contains("ws_shutdown_completed"), "the drain's summary survived the halt");
            assertTrue(log.contains("ws_shutdown_exit mode=halt"), "the halt is logged");
            // Every WebSocket had answered the close before the halt.
            Matcher sockets = Pattern.compile("ws_shutdown_sockets_closed open=(\\d+) not_websocket=(\\d+)").matcher(log);
            assertTrue(sockets.find(), "the wait for the close replies is logged");
            assertTrue(Integer.parseInt(sockets.group(1)) <= Integer.parseInt(sockets.group(2)),
                    "no WebSocket left open at the halt: " + sockets.group());
            assertTrue(!log.contains("CWWKE0036I"), "Liberty's own stop did not run");
            System.out.printf("SHUTDOWN_EXIT=halt (default), 100 clients: SIGTERM -> exit %d ms%n", took);
        } finally {
            clients.forEach(WireClient::close);
        }
    }

    /**
     * A broadcast request still being read when the drain ends: the halt waits for its answer.
     * The request's body is held back until the drain reports that it waits for it, so the
     * request is certainly in flight at that moment.
     */
    @Test
    void anHttpRequestInFlightIsAnsweredBeforeTheHalt() throws Exception {
        try (LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName("halt-http"),
                LibertyProcess.env("BROADCAST_TOKEN", "tok")).start();
             Socket http = new Socket("127.0.0.1", server.httpPort())) {
            http.setSoTimeout(15_000);
            byte[] body = "{\"message\":\"still being sent\"}".getBytes(StandardCharsets.UTF_8);
            OutputStream out = http.getOutputStream();
            out.write(("POST /chat/api/broadcast HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer tok\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, 5);
            out.flush();
            Await.until("the request counted as in flight", Duration.ofSeconds(20),
                    () -> Metrics.value(server, "http_requests_in_flight") == 1.0);

            server.sigterm();
            Await.until("the drain waiting for the request", Duration.ofSeconds(8), () -> log(server).contains("ws_shutdown_awaiting_http in_flight=1"));
            assertTrue(server.alive(), "not halted while the request is in flight");
            out.write(body, 5, body.length - 5);
            out.flush();
            String response = readResponse(http.getInputStream());

            Goodbyes.assertExitedWithinBound(server);
            assertTrue(response.startsWith("HTTP/1.1 202"), "the request got its whole answer: " + response);
            assertTrue(response.endsWith("{\"delivered\":0}"), "with its body: " + response);
            assertTrue(log(server).contains("http_in_flight=0"), "the halt came after the answer: " + tail(log(server)));
        }
    }

    @Test
    void libertyModeHandsTheSignalOnToLibertysStop() throws Exception {
        List<WireClient> clients = new ArrayList<>();
        try (LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName("liberty-exit"),
                LibertyProcess.env("SHUTDOWN_EXIT", "liberty")).start()) {
            connect(server, clients, 20);
            server.sigterm();
            long took = Goodbyes.assertExitedWithinBound(server);
            Goodbyes.assertByeThen1001(clients, Duration.ofSeconds(5));
            String log = server.messagesLog();
            assertTrue(log.contains("ws_shutdown_completed"), "the drain ran");
            assertTrue(!log.contains("ws_shutdown_exit mode=halt"), "no halt");
            assertTrue(log.contains("CWWKE0036I"), "Liberty's own stop ran to its end");
            System.out.printf("SHUTDOWN_EXIT=liberty, 20 clients: SIGTERM -> exit %d ms%n", took);
        } finally {
            clients.forEach(WireClient::close);
        }
    }

    private static void connect(LibertyProcess server, List<WireClient> clients, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            clients.add(WireClient.connect(server.ws("room=h" + i)));
        }
        for (WireClient c : clients) {
            c.awaitText(t -> "welcome".equals(Json.type(t)), Duration.ofSeconds(20));
        }
    }

    private static String log(LibertyProcess server) {
        try {
            return server.messagesLog();
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(String log) {
        return log.substring(Math.max(0, log.length() - 2_000));
    }

    /** One HTTP/1.1 response with a Content-Length or chunked body, read to its end. */
    private static String readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return head.toString(StandardCharsets.ISO_8859_1) + "<connection ended>";
            }
            head.write(b);
        }
        String headers = head.toString(StandardCharsets.ISO_8859_1);
        Matcher length = Pattern.compile("(?i)content-length:\\s*(\\d+)").matcher(headers);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (length.find()) {
            body.write(in.readNBytes(Integer.parseInt(length.group(1))));
        } else if (headers.toLowerCase().contains("transfer-encoding: chunked")) {
            while (true) {
                String size = line(in).trim();
                int n = Integer.parseInt(size.split(";")[0], 16);
                if (n == 0) {
                    line(in);
                    break;
                }
                body.write(in.readNBytes(n));
                line(in);
            }
        }
        return headers.substring(0, headers.indexOf("\r\n")) + " " + body.toString(StandardCharsets.UTF_8);
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder s = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            s.append((char) b);
        }
        return s.toString();
    }
}
