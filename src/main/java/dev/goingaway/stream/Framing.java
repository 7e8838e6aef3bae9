package dev.goingaway.stream;

/**
 * A frame whose offset is not known yet: its text is {@code head + offset + tail}. The offset is
 * assigned where the message is appended (atomically, in the store), and the frame that goes
 * into the history, to the other instances and to the clients is this text with it.
 */
public record Framing(String head, String tail) {

    public String with(long offset) {
        return head + offset + tail;
    }
}
