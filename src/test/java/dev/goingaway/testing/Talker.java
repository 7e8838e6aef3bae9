package dev.goingaway.testing;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.json.JsonObject;

/**
 * A chat client that talks in a closed loop: it sends a message with an id, waits for that
 * id's {@code ack} or {@code error}, pauses briefly, sends the next. It records every id it
 * sent and every answer, so a test can check that nothing went unanswered, nothing was
 * answered twice, and its count matches the server's.
 */
public final class Talker implements AutoCloseable {

    private final String name;
    private final WireClient ws;
    private final ScheduledExecutorService timer;
    private final int pauseMillis;
    private final List<String> sent = new ArrayList<>();
    private final Map<String, Integer> answers = new ConcurrentHashMap<>();
    private final Set<String> acked = ConcurrentHashMap.newKeySet();
    private final AtomicInteger counter = new AtomicInteger();
    private final AtomicLong lastAckTotal = new AtomicLong(-1);
    private volatile String sessionId;
    private volatile long welcomeTotal = -1;
    private volatile JsonObject bye;
    private volatile boolean talking;
    private volatile String outstanding;

    private Talker(String name, WireClient ws, ScheduledExecutorService timer, int pauseMillis) {
        this.name = name;
        this.ws = ws;
        this.timer = timer;
        this.pauseMillis = pauseMillis;
        ws.onText(this::onFrame);
    }

    public static Talker connect(String name, URI uri, ScheduledExecutorService timer, int pauseMillis) throws IOException {
        WireClient ws = WireClient.connect(uri, Map.of(), false);
        Talker t = new Talker(name, ws, timer, pauseMillis);
        ws.startReading();
        return t;
    }

    private void onFrame(String text) {
        JsonObject f = Json.parse(text);
        switch (f.getString("type", "")) {
            case "welcome" -> {
                sessionId = f.getString("session");
                welcomeTotal = f.getJsonNumber("total").longValue();
            }
            case "ack", "error" -> {
                if (f.containsKey("id") && !f.isNull("id")) {
                    String id = f.getString("id");
                    answers.merge(id, 1, Integer::sum);
                    if ("ack".equals(f.getString("type"))) {
                        acked.add(id);
                        lastAckTotal.set(f.getJsonNumber("total").longValue());
                    }
                    if (id.equals(outstanding)) {
                        outstanding = null;
                        if (talking && bye == null) {
                            timer.schedule(this::sendNext, ThreadLocalRandom.current().nextInt(pauseMillis + 1),
                                    TimeUnit.MILLISECONDS);
                        }
                    }
                }
            }
            case "bye" -> bye = f;
            default -> { }
        }
    }

    /** Starts the closed loop. */
    public void startTalking() {
        talking = true;
        timer.execute(this::sendNext);
    }

    private synchronized void sendNext() {
        if (!talking || bye != null || outstanding != null || ws.ended()) {
            return;
        }
        String id = name + "-" + counter.incrementAndGet();
        outstanding = id;
        sent.add(id);
        try {
            ws.sendText("{\"type\":\"message\",\"text\":\"hello from " + name + "\",\"id\":\"" + id + "\"}");
        } catch (IOException e) {
            // the connection is gone; the id stays unanswered and the test sees it
        }
    }

    public String name() {
        return name;
    }

    public String sessionId() {
        return sessionId;
    }

    public long welcomeTotal() {
        return welcomeTotal;
    }

    public WireClient wire() {
        return ws;
    }

    public synchronized List<String> sent() {
        return new ArrayList<>(sent);
    }

    /** Ids sent that never got an ack or an error. */
    public synchronized List<String> unanswered() {
        return sent.stream().filter(id -> !answers.containsKey(id)).toList();
    }

    /** Ids answered more than once (must be none). */
    public List<String> answeredTwice() {
        return answers.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
    }

    public int ackCount() {
        return acked.size();
    }

    public long lastAckTotal() {
        return lastAckTotal.get();
    }

    public JsonObject bye() {
        return bye;
    }

    @Override
    public void close() {
        talking = false;
        ws.close();
    }
}
