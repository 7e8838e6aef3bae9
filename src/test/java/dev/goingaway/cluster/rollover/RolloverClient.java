package dev.goingaway.cluster.rollover;

import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import jakarta.json.Json;
import jakarta.json.JsonObject;

/**
 * One chat user as a well-behaved client would be written: it talks in a closed loop (one
 * message with an id at a time, the next after its ack), follows the server's {@code bye}
 * (waits {@code reconnectAfterMs}, comes back through the proxy with its session id, and
 * re-sends, with the same id, whatever had no answer when the bye came), and retries refused
 * or failed handshakes with jittered exponential backoff. It records everything the report
 * needs: what it sent and when, which ids were acked, every total the server told it, each
 * message it received from its room, and every way a connection began and ended.
 *
 * <p>All state is guarded by {@code this}; WebSocket callbacks of one connection come in
 * order, and a connection's callbacks after it has been replaced are ignored.
 */
final class RolloverClient {

    private static final long FIRST_RETRY_MILLIS = 250;
    private static final long MAX_RETRY_MILLIS = 5_000;
    /** A browser waits a long time for a handshake; giving up early only adds a retry to a busy server. */
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(15);
    /** A message unanswered this long on an open connection breaks the zero-loss rule; the client gives up on the socket. */
    static final long ANSWER_TIMEOUT_MILLIS = 20_000;

    private enum State { IDLE, CONNECTING, OPEN, LEAVING, AWAY, STOPPED }

    final int index;
    final String name;
    final String room;
    final int firstMember;
    final int lastMember;
    private final Fleet fleet;

    private State state = State.IDLE;
    private int generation;
    private WebSocket ws;
    private String session;
    private String instance;
    private boolean talking;
    private int retries;
    private Runnable onFirstOutcome;

    // What this client sent and what came back, by sequence number (1, 2, ...).
    private int seq;
    private int outstanding;
    private int resend;
    /** Whether {@link #resend} was left unanswered by a bye (so certainly not counted). */
    private boolean resendAfterBye;
    private long[] sentNanos = new long[64];
    private long[] ackNanos = new long[64];
    private final BitSet acked = new BitSet();
    private final BitSet errored = new BitSet();
    private int resends;
    private int answersForUnknownIds;
    private int ackTotalMismatches;
    private long lastAckTotal = -1;
    private final Map<String, Integer> errorCodes = new TreeMap<>();

    // What arrived from the room: per sender (member index - firstMember), the sequence numbers.
    private final BitSet[] received;
    private int duplicateDeliveries;

    // The room's stream: the last position seen, resumed from after every bye or drop.
    private String roomEpoch;
    private long roomOffset;
    private int recoveredTrue;
    private int recoveredFalse;
    private int offsetGaps;
    private int offsetRepeats;
    private int resets;
    /** Messages the largest resume had missed, and all resumes together (what the window must hold). */
    private long maxMissed;
    private long missed;

    // Connections: [welcome, end] in nanoTime; end is Long.MAX_VALUE while open.
    private final List<long[]> intervals = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private int welcomes;
    private int welcomeTotalMismatches;
    private int byes;
    private int byeTotalMismatches;
    private long lastByeNanos;
    private long lastWelcomeNanos;
    private int refused1013;
    private int handshakeFailures;
    private int closedWithoutBye;
    private int closeAfterByeNot1001;
    private int answerTimeouts;
    private long lastFrameNanos;

    RolloverClient(Fleet fleet, int index, String room, int firstMember, int lastMember) {
        this.fleet = fleet;
        this.index = index;
        this.name = "c" + index;
        this.room = room;
        this.firstMember = firstMember;
        this.lastMember = lastMember;
        this.received = new BitSet[lastMember - firstMember + 1];
        Arrays.setAll(received, i -> new BitSet());
    }

    // ---- connecting -----------------------------------------------------------------------------

    /** First connect; {@code onOutcome} runs once the first handshake succeeded or failed. */
    synchronized void connect(Runnable onOutcome) {
        this.onFirstOutcome = onOutcome;
        connectNow();
    }

    private synchronized void connectNow() {
        if (state == State.STOPPED) {
            return;
        }
        state = State.CONNECTING;
        int gen = ++generation;
        ws = null;
        fleet.http.newWebSocketBuilder().connectTimeout(HANDSHAKE_TIMEOUT)
                .buildAsync(fleet.uri(room, session, roomEpoch == null ? null : roomEpoch + ":" + roomOffset), new Listener(gen))
                .whenComplete((socket, error) -> {
                    if (error != null) {
                        handshakeFailed(gen, error);
                    }
                });
    }

    private synchronized void handshakeFailed(int gen, Throwable error) {
        if (gen != generation || state == State.STOPPED) {
            return;
        }
        handshakeFailures++;
        Throwable cause = error.getCause() != null ? error.getCause() : error;
        String why = cause instanceof WebSocketHandshakeException h ? "HTTP " + h.getResponse().statusCode() : cause.toString();
        problem("handshake failed: " + why);
        firstOutcome();
        retryLater();
    }

    private void retryLater() {
        state = State.AWAY;
        long step = Math.min(MAX_RETRY_MILLIS, FIRST_RETRY_MILLIS << Math.min(retries++, 10));
        long delay = step / 2 + ThreadLocalRandom.current().nextLong(step / 2 + 1);
        schedule(this::connectNow, delay);
    }

    private void firstOutcome() {
        Runnable r = onFirstOutcome;
        onFirstOutcome = null;
        if (r != null) {
            r.run();
        }
    }

    /** One WebSocket connection's callbacks, tagged with the generation it belongs to. */
    private final class Listener implements WebSocket.Listener {
        private final int gen;
        private final StringBuilder partial = new StringBuilder();

        Listener(int gen) {
            this.gen = gen;
        }

        @Override
        public void onOpen(WebSocket socket) {
            opened(gen, socket);
            socket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                frame(gen, text);
            }
            socket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket socket, int code, String reason) {
            // Returning completes the closing handshake: the JDK answers with the same code.
            ended(gen, code, reason);
            return null;
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
            ended(gen, 1006, String.valueOf(error));
        }
    }

    private synchronized void opened(int gen, WebSocket socket) {
        if (gen == generation) {
            ws = socket;
        }
    }

    // ---- frames -------------------------------------------------------------------------------

    private synchronized void frame(int gen, String text) {
        if (gen != generation) {
            return;
        }
        lastFrameNanos = System.nanoTime();
        JsonObject f;
        try (var r = Json.createReader(new java.io.StringReader(text))) {
            f = r.readObject();
        }
        switch (f.getString("type", "")) {
            case "welcome" -> welcome(f);
            case "message" -> message(f);
            case "ack" -> ack(f);
            case "error" -> error(f);
            case "bye" -> bye(f);
            case "reset" -> {
                resets++;
                problem("reset: " + f);
                if ("room".equals(f.getString("stream", ""))) { // the broadcasts' numbering is another
                    roomEpoch = f.getString("epoch");
                    roomOffset = f.getJsonNumber("offset").longValue();
                }
            }
            default -> { }
        }
    }

    private void welcome(JsonObject f) {
        long now = System.nanoTime();
        boolean resumed = session != null;
        if (resumed && !session.equals(f.getString("session"))) {
            problem("resumed as a different session: " + f.getString("session"));
        }
        session = f.getString("session");
        instance = f.getString("instance");
        long total = f.getJsonNumber("total").longValue();
        // After a connection broke without a bye, the message waiting for an answer may have been
        // counted (its ack lost on the way): then the total is one more, and its re-send is acked
        // again with that total. After a bye nothing unanswered was counted.
        boolean mayBeCounted = resend != 0 && !resendAfterBye;
        if (total != acked.cardinality() && !(mayBeCounted && total == acked.cardinality() + 1)) {
            welcomeTotalMismatches++;
            problem("welcome total " + total + " but " + acked.cardinality() + " messages acked");
        }
        JsonObject streams = f.containsKey("streams") ? f.getJsonObject("streams") : null;
        if (streams != null && streams.containsKey("room")) {
            JsonObject top = streams.getJsonObject("room");
            boolean recovered = f.containsKey("recovered") && f.getBoolean("recovered");
            if (f.containsKey("recovered")) {
                if (recovered) {
                    recoveredTrue++;
                    long gap = Math.max(0, top.getJsonNumber("offset").longValue() - roomOffset);
                    missed += gap;
                    maxMissed = Math.max(maxMissed, gap);
                } else {
                    recoveredFalse++;
                    problem("resume from " + roomEpoch + ":" + roomOffset + " not recovered: " + f);
                }
            }
            if (!recovered || !top.getString("epoch").equals(roomEpoch)) {
                roomEpoch = top.getString("epoch");
                roomOffset = top.getJsonNumber("offset").longValue();
            }
        }
        welcomes++;
        lastWelcomeNanos = now;
        retries = 0;
        state = State.OPEN;
        intervals.add(new long[] {now, Long.MAX_VALUE});
        fleet.welcomed(instance, resumed);
        firstOutcome();
        if (resend != 0) {
            int again = resend;
            resend = 0;
            resends++;
            send(again);
        } else if (talking && outstanding == 0) {
            schedule(this::sendNext, 0);
        }
    }

    private void message(JsonObject f) {
        // text is "m <sender index> <seq>"
        String[] parts = f.getString("text", "").split(" ");
        if (parts.length != 3 || !"m".equals(parts[0])) {
            problem("unexpected message text: " + f);
            return;
        }
        int sender = Integer.parseInt(parts[1]);
        int s = Integer.parseInt(parts[2]);
        if (sender < firstMember || sender > lastMember) {
            problem("message from outside the room: " + f);
            return;
        }
        if (f.containsKey("offset") && roomEpoch != null) {
            long offset = f.getJsonNumber("offset").longValue();
            if (offset <= roomOffset) {
                offsetRepeats++;
                problem("offset " + offset + " after " + roomOffset);
            } else if (offset != roomOffset + 1) {
                offsetGaps++;
                problem("offset " + offset + " after " + roomOffset + ": a gap");
            }
            roomOffset = Math.max(roomOffset, offset);
        }
        BitSet got = received[sender - firstMember];
        if (got.get(s)) {
            duplicateDeliveries++;
            problem("message " + sender + "/" + s + " delivered twice");
        } else {
            got.set(s);
        }
    }

    private int seqOf(JsonObject f) {
        String id = f.containsKey("id") && !f.isNull("id") ? f.getString("id") : "";
        int dash = id.lastIndexOf('-');
        if (!id.startsWith(name + "-") || dash < 0) {
            return 0;
        }
        return Integer.parseInt(id.substring(dash + 1));
    }

    private void ack(JsonObject f) {
        int s = seqOf(f);
        if (s <= 0 || s > seq) {
            answersForUnknownIds++;
            problem("ack for an id never sent: " + f);
            return;
        }
        long total = f.getJsonNumber("total").longValue();
        boolean again = acked.get(s);
        acked.set(s);
        errored.clear(s);
        ackNanos = grow(ackNanos, s);
        if (!again) {
            ackNanos[s] = System.nanoTime();
        }
        lastAckTotal = total;
        if (total != acked.cardinality()) {
            ackTotalMismatches++;
            problem("ack total " + total + " but " + acked.cardinality() + " distinct ids acked");
        }
        answered(s);
    }

    private void error(JsonObject f) {
        int s = seqOf(f);
        String code = f.getString("code", "?");
        errorCodes.merge(code, 1, Integer::sum);
        if (s <= 0 || s > seq) {
            answersForUnknownIds++;
            problem("error for an id never sent: " + f);
            return;
        }
        if ("draining".equals(code)) {
            // Not counted by an instance that is leaving: send it again once reconnected.
            resend = s;
            resendAfterBye = true;
            outstanding = 0;
            return;
        }
        if (!acked.get(s)) {
            errored.set(s);
        }
        answered(s);
    }

    private void answered(int s) {
        if (s == outstanding) {
            outstanding = 0;
            if (talking && state == State.OPEN) {
                schedule(this::sendNext, ThreadLocalRandom.current().nextInt(fleet.pauseMillis + 1));
            }
        }
    }

    private void bye(JsonObject f) {
        byes++;
        lastByeNanos = System.nanoTime();
        state = State.LEAVING;
        long total = f.getJsonNumber("total").longValue();
        if (total != acked.cardinality()) {
            byeTotalMismatches++;
            problem("bye total " + total + " but " + acked.cardinality() + " messages acked");
        }
        if (outstanding != 0) {
            // Crossed the bye on the wire: the server dropped it uncounted.
            resend = outstanding;
            outstanding = 0;
        }
        resendAfterBye = resend != 0;
        endInterval();
        // Come back when told to; the close frame that follows is checked in ended().
        schedule(this::connectNow, f.getJsonNumber("reconnectAfterMs").longValue());
    }

    private synchronized void ended(int gen, int code, String reason) {
        if (gen != generation || state == State.STOPPED) {
            return;
        }
        endInterval();
        if (state == State.LEAVING) {
            if (code != 1001) {
                closeAfterByeNot1001++;
                problem("after the bye the connection ended with " + code + " " + reason + ", not 1001");
            }
            state = State.AWAY; // the reconnect is already scheduled
            return;
        }
        boolean welcomed = state == State.OPEN;
        if (outstanding != 0) {
            resend = outstanding;
            resendAfterBye = false;
            outstanding = 0;
        }
        if (code == 1013) {
            refused1013++;
        } else if (!welcomed) {
            // Upgraded but never welcomed (the JDK gives up on a handshake 15 s after it began, even
            // when the 101 came at 14 s): the client never got in; to it, a failed handshake.
            handshakeFailures++;
            problem("handshake did not reach the welcome: " + code + " " + reason);
        } else {
            closedWithoutBye++;
            problem("connection to " + instance + " ended " + (System.nanoTime() - lastWelcomeNanos) / 1_000_000
                    + " ms after its welcome without bye: " + code + " " + reason);
        }
        firstOutcome();
        retryLater();
    }

    private void endInterval() {
        if (!intervals.isEmpty()) {
            long[] last = intervals.get(intervals.size() - 1);
            if (last[1] == Long.MAX_VALUE) {
                last[1] = System.nanoTime();
            }
        }
    }

    // ---- talking ------------------------------------------------------------------------------

    synchronized void startTalking() {
        talking = true;
        if (state == State.OPEN && outstanding == 0 && resend == 0) {
            schedule(this::sendNext, ThreadLocalRandom.current().nextInt(fleet.pauseMillis + 1));
        }
    }

    synchronized void stopTalking() {
        talking = false;
    }

    private synchronized void sendNext() {
        if (!talking || state != State.OPEN || outstanding != 0 || resend != 0) {
            return;
        }
        send(++seq);
    }

    private void send(int s) {
        outstanding = s;
        sentNanos = grow(sentNanos, s);
        sentNanos[s] = System.nanoTime();
        String frame = Json.createObjectBuilder().add("type", "message").add("text", "m " + index + " " + s)
                .add("id", name + "-" + s).build().toString();
        WebSocket socket = ws;
        if (socket == null) {
            return; // the connection broke between welcome and now; its end re-queues the message
        }
        try {
            socket.sendText(frame, true).exceptionally(e -> null); // a broken socket reports through onError/onClose
        } catch (IllegalStateException e) {
            problem("send refused by the client: " + e.getMessage());
        }
    }

    /** Still no answer on the same connection: count it, drop the socket, reconnect and re-send. */
    synchronized void checkAnswered(long now) {
        if (state != State.OPEN || outstanding == 0
                || now - sentNanos[outstanding] < TimeUnit.MILLISECONDS.toNanos(ANSWER_TIMEOUT_MILLIS)) {
            return;
        }
        int s = outstanding;
        answerTimeouts++;
        problem("message " + s + " unanswered for " + ANSWER_TIMEOUT_MILLIS + " ms on an open connection to " + instance);
        WebSocket socket = ws;
        endInterval();
        resend = outstanding;
        resendAfterBye = false;
        outstanding = 0;
        generation++;
        if (socket != null) {
            socket.abort();
        }
        retryLater();
    }

    /** One line on where this client stands, for timeout messages. */
    synchronized String describe() {
        long now = System.nanoTime();
        return name + " " + state + " on " + instance + " seq=" + seq + " outstanding=" + outstanding + " resend=" + resend
                + " acked=" + acked.cardinality() + " last frame " + (lastFrameNanos == 0 ? "never" : (now - lastFrameNanos) / 1_000_000 + " ms ago")
                + " problems=" + problems.subList(Math.max(0, problems.size() - 3), problems.size());
    }

    private void schedule(Runnable r, long delayMillis) {
        try {
            fleet.timer.schedule(r, delayMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the fleet is closing
        }
    }

    private static long[] grow(long[] a, int index) {
        return index < a.length ? a : Arrays.copyOf(a, Math.max(a.length * 2, index + 1));
    }

    private void problem(String what) {
        if (problems.size() < 20) {
            problems.add(what);
        }
    }

    // ---- what the report reads ----------------------------------------------------------------

    synchronized boolean open() {
        return state == State.OPEN;
    }

    synchronized boolean openOn(String inst) {
        return state == State.OPEN && inst.equals(instance);
    }

    /** No message waiting for an answer or for a re-send. */
    synchronized boolean settled() {
        return state == State.OPEN && outstanding == 0 && resend == 0;
    }

    /** When this client last read a bye (System.nanoTime()), 0 if never. */
    synchronized long lastByeNanos() {
        return lastByeNanos;
    }

    synchronized int ackedCount() {
        return acked.cardinality();
    }

    synchronized String session() {
        return session;
    }

    synchronized Snapshot snapshot() {
        BitSet lost = new BitSet();
        lost.set(1, seq + 1);
        lost.andNot(acked);
        lost.andNot(errored);
        BitSet[] got = new BitSet[received.length];
        Arrays.setAll(got, i -> (BitSet) received[i].clone());
        return new Snapshot(index, firstMember, session, seq, acked.cardinality(), errored.cardinality(), lost.cardinality(), resends,
                lastAckTotal, ackTotalMismatches, welcomes, welcomeTotalMismatches, byes, byeTotalMismatches,
                refused1013, handshakeFailures, closedWithoutBye, closeAfterByeNot1001, answerTimeouts, answersForUnknownIds, duplicateDeliveries,
                new TreeMap<>(errorCodes), Arrays.copyOf(sentNanos, seq + 1), Arrays.copyOf(ackNanos, seq + 1),
                (BitSet) acked.clone(), got, intervals.stream().map(long[]::clone).toList(), List.copyOf(problems),
                lastByeNanos, lastWelcomeNanos, recoveredTrue, recoveredFalse, offsetGaps, offsetRepeats, resets, maxMissed, missed);
    }

    /** A consistent copy of one client's record. */
    record Snapshot(int index, int firstMember, String session, int sent, int acked, int errored, int lost, int resends, long lastAckTotal,
                    int ackTotalMismatches, int welcomes, int welcomeTotalMismatches, int byes, int byeTotalMismatches,
                    int refused1013, int handshakeFailures, int closedWithoutBye, int closeAfterByeNot1001,
                    int answerTimeouts, int answersForUnknownIds,
                    int duplicateDeliveries, Map<String, Integer> errorCodes, long[] sentNanos, long[] ackNanos,
                    BitSet ackedIds, BitSet[] received, List<long[]> intervals, List<String> problems,
                    long lastByeNanos, long lastWelcomeNanos, int recoveredTrue, int recoveredFalse, int offsetGaps,
                    int offsetRepeats, int resets, long maxMissed, long missed) {
    }

    synchronized void close() {
        state = State.STOPPED;
        generation++;
        WebSocket socket = ws;
        if (socket != null) {
            socket.abort();
        }
    }
}
