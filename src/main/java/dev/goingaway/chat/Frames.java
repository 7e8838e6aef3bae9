package dev.goingaway.chat;

import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * The server-to-client frames of DESIGN.md, as records. {@code type} comes first in each so a
 * person reading a capture sees what a frame is at once.
 */
public final class Frames {

    private Frames() {
    }

    /** First frame on every connection: who you are, where, and your count so far. */
    @JsonbPropertyOrder({"type", "session", "room", "total", "instance"})
    public record Welcome(String type, String session, String room, long total, String instance) {
        public Welcome(String session, String room, long total, String instance) {
            this("welcome", session, room, total, instance);
        }
    }

    /** A chat message, delivered to every session in the room on every instance. */
    @JsonbPropertyOrder({"type", "room", "from", "text", "ts"})
    public record Message(String type, String room, String from, String text, long ts) {
        public Message(String room, String from, String text, long ts) {
            this("message", room, from, text, ts);
        }
    }

    /** The client's message was counted and handed to fan-out; {@code id} echoes the client's. */
    @JsonbPropertyOrder({"type", "id", "total"})
    public record Ack(String type, JsonValue id, long total) {
        public Ack(JsonValue id, long total) {
            this("ack", id, total);
        }
    }

    /** The client's message was not processed, and why. */
    @JsonbPropertyOrder({"type", "id", "code", "message"})
    public record Error(String type, JsonValue id, String code, String message) {
        public Error(JsonValue id, ErrorCode code, String message) {
            this("error", id, code.wire(), message);
        }
    }

    /** A notice from the broadcast API. */
    @JsonbPropertyOrder({"type", "title", "message", "level", "ts"})
    public record Broadcast(String type, String title, String message, String level, long ts) {
        public Broadcast(String title, String message, String level, long ts) {
            this("broadcast", title, message, level, ts);
        }
    }

    /** The last frame before close 1001: the session's total and when to come back. */
    @JsonbPropertyOrder({"type", "bye", "total", "session", "message", "reconnectAfterMs"})
    public record Bye(String type, boolean bye, long total, String session, String message, long reconnectAfterMs) {
        public Bye(long total, String session, long reconnectAfterMs) {
            this("bye", true, total, session, "Server is shutting down gracefully", reconnectAfterMs);
        }
    }
}
