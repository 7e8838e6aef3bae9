package dev.goingaway.chat;

import dev.goingaway.stream.StreamStore;

/**
 * How a room message reaches the other instances: the stream store publishes it, with its
 * offset, in the same step that appends it ({@link StreamDelivery#append}); this port says where
 * and under which header. The chat owns it; {@code dev.goingaway.cluster} implements it and hands
 * the other instances' messages back through {@link StreamDelivery#arrived}.
 */
public interface FanOut {

    /** Where a room's messages are published for the other instances; {@link StreamStore.Publication#NONE} without any. */
    StreamStore.Publication roomPublication(String room);
}
