package dev.goingaway.testing;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.json.Json;
import jakarta.json.JsonObject;

/**
 * A closed-loop chat client that measures each message's latency from send to its
 * {@code ack}: one message out, wait for its answer, a random pause of up to
 * {@code pauseMillis}, the next; it stops at the {@code bye}. What a user feels as "my message
 * went through".
 */
public final class TimedTalker implements AutoCloseable {

    private final String name;
    private final WireClient ws;
    private final ScheduledExecutorService timer;
    private final int pauseMillis;
    private final String text;
    private final AtomicInteger counter = new AtomicInteger();
    private final List<Long> latencyMicros = new ArrayList<>();
    /** When each ack in {@link #latencyMicros} arrived (System.nanoTime), same order. */
    private final List<Long> ackedAtNanos = new ArrayList<>();
    private final AtomicInteger errors = new AtomicInteger();
    private volatile boolean talking;
    private volatile String outstanding;
    private volatile long sentAtNanos;
    private volatile boolean welcomed;

    private TimedTalker(String name, WireClient ws, ScheduledExecutorService timer, int pauseMillis, String text) {
        this.name = name;
        this.ws = ws;
        this.timer = timer;
        this.pauseMillis = pauseMillis;
        this.text = text;
        ws.onText(this::onFrame);
    }

    /** Connects (reading from the first frame); {@code text} is what every message says. */
    public static TimedTalker connect(String name, URI uri, ScheduledExecutorService timer, int pauseMillis,
                                      String text) throws IOException {
        WireClient ws = WireClient.connect(uri, Map.of(), false);
        TimedTalker t = new TimedTalker(name, ws, timer, pauseMillis, text);
        ws.startReading();
        return t;
    }

    private void onFrame(String frame) {
        long now = System.nanoTime();
        JsonObject f = dev.goingaway.testing.Json.parse(frame);
        String type = f.getString("type", "");
        if ("welcome".equals(type)) {
            welcomed = true;
            return;
        }
        if ("bye".equals(type)) {
            talking = false; // like a real client: nothing more after the bye (it re-sends after reconnecting)
            return;
        }
        if (!"ack".equals(type) && !"error".equals(type)) {
            return;
        }
        if (!f.containsKey("id") || f.isNull("id") || !f.getString("id").equals(outstanding)) {
            return;
        }
        if ("ack".equals(type)) {
            synchronized (latencyMicros) {
                latencyMicros.add((now - sentAtNanos) / 1_000);
                ackedAtNanos.add(now);
            }
        } else {
            errors.incrementAndGet();
        }
        outstanding = null;
        if (talking) {
            timer.schedule(this::sendNext, ThreadLocalRandom.current().nextInt(pauseMillis + 1), TimeUnit.MILLISECONDS);
        }
    }

    public void startTalking() {
        talking = true;
        timer.execute(this::sendNext);
    }

    /** Stops after the message in flight (if any) is answered. */
    public void stopTalking() {
        talking = false;
    }

    private synchronized void sendNext() {
        if (!talking || outstanding != null || ws.ended()) {
            return;
        }
        String id = name + "-" + counter.incrementAndGet();
        String frame = Json.createObjectBuilder().add("type", "message").add("id", id).add("text", text).build().toString();
        outstanding = id;
        sentAtNanos = System.nanoTime();
        try {
            ws.sendText(frame);
        } catch (IOException e) {
            // the connection is gone: the message stays outstanding and the test sees it
        }
    }

    public String name() {
        return name;
    }

    public boolean welcomed() {
        return welcomed;
    }

    public WireClient wire() {
        return ws;
    }

    /** Latencies of the acknowledged messages so far, in microseconds. */
    public long[] latenciesMicros() {
        synchronized (latencyMicros) {
            return latencyMicros.stream().mapToLong(Long::longValue).toArray();
        }
    }

    /** When each acknowledged message's ack arrived (System.nanoTime), in the order of {@link #latenciesMicros()}. */
    public long[] ackedAtNanos() {
        synchronized (latencyMicros) {
            return ackedAtNanos.stream().mapToLong(Long::longValue).toArray();
        }
    }

    public int acks() {
        synchronized (latencyMicros) {
            return latencyMicros.size();
        }
    }

    public int errors() {
        return errors.get();
    }

    /** The id sent that has had no answer yet, or null. */
    public String outstanding() {
        return outstanding;
    }

    /** How long the outstanding message has waited, in milliseconds (0 if none). */
    public long outstandingMillis() {
        return outstanding == null ? 0 : (System.nanoTime() - sentAtNanos) / 1_000_000;
    }

    /** The {@code p}-th percentile (0–100) of all given samples, nearest rank; -1 if none. */
    public static long percentile(long[] samples, double p) {
        if (samples.length == 0) {
            return -1;
        }
        long[] s = samples.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(p / 100.0 * s.length);
        return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
    }

    /** All latencies of several talkers in one array. */
    public static long[] pooled(List<TimedTalker> talkers) {
        return talkers.stream().flatMapToLong(t -> Arrays.stream(t.latenciesMicros())).toArray();
    }

    @Override
    public void close() {
        talking = false;
        ws.close();
    }
}
