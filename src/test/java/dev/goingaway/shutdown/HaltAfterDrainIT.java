package dev.goingaway.shutdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.goingaway.testing.Json;
import dev.goingaway.testing.LibertyProcess;
import dev.goingaway.testing.WireClient;

/**
 * {@code SHUTDOWN_EXIT=halt}: the same drain, then the JVM ends at once instead of running
 * Liberty's orderly stop. Clients must see exactly what they see in the default mode, and the
 * drain's log lines must survive the halt.
 */
class HaltAfterDrainIT {

    @Test
    void haltModeDrainsLikeTheDefaultAndExitsRightAfter() throws Exception {
        List<WireClient> clients = new ArrayList<>();
        try (LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName("halt"),
                LibertyProcess.env("SHUTDOWN_EXIT", "halt")).start()) {
            for (int i = 0; i < 100; i++) {
                clients.add(WireClient.connect(server.ws("room=h" + i)));
            }
            for (WireClient c : clients) {
                c.awaitText(t -> "welcome".equals(Json.type(t)), Duration.ofSeconds(20));
            }
            server.sigterm();
            int exit = server.awaitExit(Duration.ofSeconds(15));
            long took = (System.nanoTime() - server.signalledAtNanos()) / 1_000_000;
            assertEquals(143, exit, "same exit status as a SIGTERM'd JVM");
            assertTrue(took < 10_000, "within the bound, took " + took + " ms");
            for (WireClient c : clients) {
                assertTrue(c.awaitEnd(Duration.ofSeconds(5)), "connection ended");
                WireClient.Event close = c.closeFrame();
                assertNotNull(close, "a close frame arrived before the halt: " + c.events());
                assertEquals(1001, close.code(), "1001");
                List<String> texts = c.texts();
                assertEquals("bye", Json.type(texts.get(texts.size() - 1)), "bye was the last frame");
            }
            String log = server.messagesLog();
            assertTrue(log.contains("ws_shutdown_completed"), "the drain's summary survived the halt");
            assertTrue(log.contains("ws_shutdown_exit mode=halt"), "the halt is logged");
            // Every WebSocket had answered the close before the halt (counted in the kernel's table).
            java.util.regex.Matcher sockets = java.util.regex.Pattern
                    .compile("ws_shutdown_sockets_closed open=(\\d+) not_websocket=(\\d+)").matcher(log);
            assertTrue(sockets.find(), "the wait for the close replies is logged");
            assertTrue(Integer.parseInt(sockets.group(1)) <= Integer.parseInt(sockets.group(2)),
                    "no WebSocket left open at the halt: " + sockets.group());
            assertTrue(!log.contains("CWWKE0036I"), "Liberty's own stop did not run");
            System.out.printf("SHUTDOWN_EXIT=halt, 100 clients: SIGTERM -> exit %d ms%n", took);
        } finally {
            clients.forEach(WireClient::close);
        }
    }
}
