package dev.goingaway.chat;

import java.util.Locale;

/** Why a client message was not processed; the wire form is the lower-case name. */
public enum ErrorCode {
    /** Not JSON, or not a JSON object. */
    BAD_JSON,
    /** A {@code type} other than {@code message}. */
    UNKNOWN_TYPE,
    /** A required field missing or of the wrong type ({@code text} not a string, say). */
    BAD_FIELD,
    /** Text longer than {@code MAX_TEXT_CHARS}. */
    TOO_LARGE,
    /** Empty text, or text with control characters. */
    BAD_TEXT,
    /** More messages per second than {@code RATE_LIMIT} allows. */
    RATE_LIMITED,
    /** The instance is shutting down; the message was not counted, send it again after reconnecting. */
    DRAINING,
    /** A room name outside 1–64 of {@code [A-Za-z0-9_-]}. */
    BAD_ROOM,
    /** A session id that is not one this service issues. */
    BAD_SESSION,
    /** A {@code since} / {@code broadcastSince} that is not {@code EPOCH:OFFSET}; the resume says {@code recovered:false}. */
    BAD_POSITION,
    /** The server failed on this message; it was not counted. */
    INTERNAL;

    /** The code as it appears in error frames and metrics tags. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
