package dev.goingaway.shutdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import dev.goingaway.testing.Json;
import dev.goingaway.testing.LibertyProcess;
import dev.goingaway.testing.WireClient;

/** What every shutdown test asks of the clients and of the process. */
final class Goodbyes {

    private Goodbyes() {
    }

    /** Each client's connection ended with a close frame 1001, and its last text was the bye. */
    static void assertByeThen1001(List<WireClient> clients, Duration timeout) throws InterruptedException {
        for (WireClient c : clients) {
            assertTrue(c.awaitEnd(timeout), "connection ended");
            WireClient.Event close = c.closeFrame();
            assertNotNull(close, "a close frame, not a dropped connection: " + c.events());
            assertEquals(1001, close.code(), "1001 GOING_AWAY");
            List<String> texts = c.texts();
            assertEquals("bye", Json.type(texts.get(texts.size() - 1)), "the bye is the last frame");
        }
    }

    /** Waits for the signalled server to end; asserts status 143 within the 10 s bound; returns the ms it took. */
    static long assertExitedWithinBound(LibertyProcess server) throws InterruptedException {
        int exit = server.awaitExit(Duration.ofSeconds(15));
        long took = (System.nanoTime() - server.signalledAtNanos()) / 1_000_000;
        assertEquals(143, exit, "the exit status of a SIGTERM'd JVM");
        assertTrue(took < 10_000, "within the bound, took " + took + " ms");
        return took;
    }
}
