package dev.goingaway.shutdown;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.goingaway.testing.Await;
import dev.goingaway.testing.Json;
import dev.goingaway.testing.LibertyProcess;
import dev.goingaway.testing.WireClient;

/**
 * The observer path: the application stops while the server keeps running (a redeploy, a
 * {@code liberty:dev} reload). No signal is involved; the CDI observer runs the same drain
 * while the sockets are still open.
 */
class ApplicationStopIT {

    @Test
    void removingTheApplicationSaysByeAndClosesWith1001() throws Exception {
        List<WireClient> clients = new ArrayList<>();
        try (LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName("appstop"),
                LibertyProcess.env()).start()) {
            for (int i = 0; i < 50; i++) {
                clients.add(WireClient.connect(server.ws("room=redeploy")));
            }
            for (WireClient c : clients) {
                c.awaitText(t -> "welcome".equals(Json.type(t)), Duration.ofSeconds(10));
            }
            Files.delete(server.deployedWar()); // Liberty's dropins monitor stops the application

            Goodbyes.assertByeThen1001(clients, Duration.ofSeconds(20));
            assertTrue(server.alive(), "the server itself keeps running");
            Await.until("drain logged with cause 'application stop'", Duration.ofSeconds(10), () -> {
                try {
                    return server.messagesLog().contains("ws_shutdown_completed cause=application stop");
                } catch (java.io.IOException e) {
                    return false;
                }
            });
        } finally {
            clients.forEach(WireClient::close);
        }
    }
}
