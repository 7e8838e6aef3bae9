package dev.goingaway.chat;

import java.util.Map;

import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * The server-to-client frames of DESIGN.md, as records. {@code type} comes first in each so a
 * person reading a capture sees what a frame is at once.
 */
public final class Frames {

    private Frames() {
    }

    /**
     * First frame on every connection: who you are, where, your count so far, and where the
     * room's and the broadcast stream stand ({@code streams}). {@code recovered} answers a resume
     * ({@code since} / {@code broadcastSince}) and is absent without one.
     */
    @JsonbPropertyOrder({"type", "session", "room", "total", "instance", "recovered", "streams"})
    public record Welcome(String type, String session, String room, long total, String instance, Boolean recovered,
                          Map<String, Top> streams) {
        public Welcome(String session, String room, long total, String instance) {
            this("welcome", session, room, total, instance, null, null);
        }

        public Welcome(String session, String room, long total, String instance, Boolean recovered, Map<String, Top> streams) {
            this("welcome", session, room, total, instance, recovered, streams);
        }
    }

    /**
     * A stream's top in the welcome; {@code recovered} is this stream's answer to a resume (absent
     * when the client gave no position for it).
     */
    @JsonbPropertyOrder({"epoch", "offset", "recovered"})
    public record Top(String epoch, long offset, Boolean recovered) {
    }

    /**
     * The stream ({@code room} or {@code broadcast}) continues after {@code epoch:offset}; what
     * this connection was owed before it cannot be given (the history no longer has it, or the
     * numbering restarted). The client takes it as its position and says messages may be missing.
     */
    @JsonbPropertyOrder({"type", "stream", "epoch", "offset"})
    public record Reset(String type, String stream, String epoch, long offset) {
        public Reset(String stream, String epoch, long offset) {
            this("reset", stream, epoch, offset);
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
