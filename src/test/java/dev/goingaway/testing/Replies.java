package dev.goingaway.testing;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import jakarta.json.JsonObject;

/**
 * A {@link WireClient} read as a conversation: the text frames it receives, one at a time, in
 * order, each taken once. Tests that send a frame and expect exactly one answer (or a close)
 * use {@link #next} instead of searching the whole event history.
 */
public final class Replies implements AutoCloseable {

    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final WireClient ws;
    private final BlockingQueue<String> texts = new LinkedBlockingQueue<>();

    private Replies(WireClient ws) {
        this.ws = ws;
    }

    /** Connects, listening from the first frame on (the welcome is the first {@link #next}). */
    public static Replies connect(URI uri, Map<String, String> headers) throws IOException {
        WireClient ws = WireClient.connect(uri, headers, false);
        Replies r = new Replies(ws);
        ws.onText(r.texts::add);
        ws.startReading();
        return r;
    }

    public static Replies connect(URI uri) throws IOException {
        return connect(uri, Map.of());
    }

    public WireClient wire() {
        return ws;
    }

    /**
     * The next text frame not yet taken; null if the connection ended with no further text.
     * Fails if neither happens within {@code timeout}.
     */
    public String next(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String t = texts.poll(Math.min(SLICE_NANOS, Math.max(0, deadline - System.nanoTime())), TimeUnit.NANOSECONDS);
            if (t != null) {
                return t;
            }
            if (ws.ended()) {
                // the reader records frames before it ends: anything it received is queued by now
                return texts.poll();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no frame and no end of the connection within " + timeout.toMillis()
                        + " ms; events " + ws.events());
            }
        }
    }

    /** {@link #next} parsed; fails if the connection ended instead. */
    public JsonObject nextFrame(Duration timeout) throws InterruptedException {
        String t = next(timeout);
        if (t == null) {
            throw new AssertionError("connection ended where a frame was expected; events " + ws.events());
        }
        return Json.parse(t);
    }

    /** Waits for the end of the connection and returns the close frame (null: ended without one). */
    public WireClient.Event awaitClose(Duration timeout) throws InterruptedException {
        if (!ws.awaitEnd(timeout)) {
            throw new AssertionError("connection still open " + timeout.toMillis() + " ms later; events " + ws.events());
        }
        return ws.closeFrame();
    }

    @Override
    public void close() {
        ws.close();
    }
}
