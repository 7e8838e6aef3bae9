package dev.goingaway.chat;

import jakarta.json.JsonValue;

/** What a client's text frame turned out to be: a message to process, or a reason to refuse it. */
public sealed interface Inbound {

    /** The client's own id for the frame, echoed in the answer; null if it sent none. */
    JsonValue id();

    /** A well-formed chat message. */
    record ChatMessage(JsonValue id, String text) implements Inbound {
    }

    /** A frame refused before processing; the client gets this as an error frame. */
    record Rejected(JsonValue id, ErrorCode code, String reason) implements Inbound {
    }
}
