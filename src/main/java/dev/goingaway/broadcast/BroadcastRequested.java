package dev.goingaway.broadcast;

import java.util.concurrent.atomic.AtomicInteger;

import dev.goingaway.chat.Frames;

/** The CDI event for one broadcast; observers add the sessions they delivered it to. */
public record BroadcastRequested(Frames.Broadcast frame, AtomicInteger delivered) {

    public BroadcastRequested(Frames.Broadcast frame) {
        this(frame, new AtomicInteger());
    }
}
