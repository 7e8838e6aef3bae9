package dev.goingaway.cluster;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import dev.goingaway.testing.WireClient;

/** A chat client for the cluster tests: a {@link WireClient} plus the frames these tests look for. */
final class Peer implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(15);

    private final WireClient ws;
    private final JsonObject welcome;

    private Peer(WireClient ws) throws InterruptedException {
        this.ws = ws;
        this.welcome = dev.goingaway.testing.Json.parse(ws.awaitText(t -> t.contains("\"welcome\""), WAIT));
    }

    static Peer connect(URI uri) throws IOException, InterruptedException {
        return new Peer(WireClient.connect(uri));
    }

    /** The welcome frame. */
    JsonObject welcome() {
        return welcome;
    }

    /** {@code EPOCH:OFFSET} of a stream ({@code room} or {@code broadcast}) as the welcome gave it. */
    String welcomePosition(String stream) {
        JsonObject top = welcome.getJsonObject("streams").getJsonObject(stream);
        return top.getString("epoch") + ":" + top.getJsonNumber("offset").longValue();
    }

    /** Every frame of a type received so far, in order. */
    java.util.List<JsonObject> frames(String type) {
        return ws.texts().stream().filter(t -> t.contains("\"type\":\"" + type + "\""))
                .map(dev.goingaway.testing.Json::parse).toList();
    }

    /** Every text frame received so far, in order (the welcome first). */
    java.util.List<String> texts() {
        return ws.texts();
    }

    String session() {
        return welcome.getString("session");
    }

    long welcomeTotal() {
        return welcome.getJsonNumber("total").longValue();
    }

    String instance() {
        return welcome.getString("instance");
    }

    /** Sends a chat message with a client id. */
    void say(String id, String text) throws IOException {
        ws.sendText(Json.createObjectBuilder().add("type", "message").add("text", text).add("id", id).build().toString());
    }

    /** Sends a message and waits for its ack; returns the ack's total. */
    long sayAcked(String id, String text) throws IOException, InterruptedException {
        say(id, text);
        return awaitAnswer(id).getJsonNumber("total").longValue();
    }

    /** The ack for a client id; fails on an error frame or after the wait. */
    JsonObject awaitAnswer(String id) throws InterruptedException {
        JsonObject answer = dev.goingaway.testing.Json.parse(ws.awaitText(
                t -> (t.contains("\"ack\"") || t.contains("\"error\"")) && t.contains("\"" + id + "\""), WAIT));
        if (!"ack".equals(answer.getString("type"))) {
            throw new AssertionError("message " + id + " answered with an error: " + answer);
        }
        return answer;
    }

    /** Waits for a chat message with this text. */
    JsonObject awaitMessage(String text) throws InterruptedException {
        return dev.goingaway.testing.Json.parse(ws.awaitText(t -> isMessage(t, "message", text), WAIT));
    }

    /** Waits for a broadcast with this message. */
    void awaitBroadcast(String message) throws InterruptedException {
        ws.awaitText(t -> isMessage(t, "broadcast", message), WAIT);
    }

    /** How many chat messages with this text arrived so far. */
    long messages(String text) {
        return ws.texts().stream().filter(t -> isMessage(t, "message", text)).count();
    }

    /** How many broadcasts with this message arrived so far. */
    long broadcasts(String message) {
        return ws.texts().stream().filter(t -> isMessage(t, "broadcast", message)).count();
    }

    /** Every chat message frame received so far. */
    long allMessages() {
        return ws.texts().stream().filter(t -> t.contains("\"type\":\"message\"")).count();
    }

    private static boolean isMessage(String frame, String type, String text) {
        if (!frame.contains("\"type\":\"" + type + "\"")) {
            return false;
        }
        JsonObject f = dev.goingaway.testing.Json.parse(frame);
        return text.equals(f.getString("message".equals(type) ? "text" : "message", null));
    }

    /** Closes with 1000 and waits for the server's answer, so the server has let the session go. */
    void leave() throws IOException, InterruptedException {
        ws.sendClose(1000);
        ws.awaitEnd(WAIT);
    }

    @Override
    public void close() {
        ws.close();
    }
}
