package dev.goingaway.chat;

/** The close codes this service sends (DESIGN.md, "Close codes"). */
public enum CloseCode {
    NORMAL(1000),
    GOING_AWAY(1001),
    UNSUPPORTED_DATA(1003),
    POLICY(1008),
    TOO_BIG(1009),
    SERVER_ERROR(1011),
    TRY_AGAIN_LATER(1013);

    private final int code;

    CloseCode(int code) {
        this.code = code;
    }

    /** The number on the wire. */
    public int code() {
        return code;
    }
}
