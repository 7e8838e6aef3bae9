package dev.goingaway.chat;

/**
 * Where a room message goes after this instance has delivered it to its own connections: to the
 * other instances. The chat owns this port; {@code dev.goingaway.cluster} implements it and hands
 * the other instances' messages back through {@link ChatService#deliverToRoom} and
 * {@link ChatService#deliverToAll}.
 */
public interface FanOut {

    /** A room message, already delivered here, for the other instances. */
    void publishRoom(String room, String frame);
}
