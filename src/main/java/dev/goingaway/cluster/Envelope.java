package dev.goingaway.cluster;

import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * What travels on the cluster channel: an already-encoded client frame plus where it came from
 * and where it goes. {@code origin} is the publishing bus's node id (instance name plus a random
 * suffix, so two instances misconfigured with one {@code INSTANCE_ID} still tell each other
 * apart); the publisher has delivered the frame to its own sessions already and ignores it when
 * it comes back. {@code origin} comes first on the wire, so a receiver recognises its own
 * envelopes by their first bytes without parsing them.
 *
 * <p>Room messages and broadcasts are published by the stream store's append script, in the
 * same step that gives them their offset: the envelope without the frame is made here
 * ({@link Relay#roomHead}, {@link Relay#broadcastHead}), followed by a line break, and the script
 * adds {@code epoch offset frame} (the frame as it is, not escaped into JSON).
 *
 * @param kind   {@link #ROOM}, {@link #BROADCAST}, {@link #DELIVERED} or {@link #HEARTBEAT}
 * @param origin node id of the publisher
 * @param room   the room, for {@link #ROOM}
 * @param frame  the client frame as JSON text, for {@link #ROOM} and {@link #BROADCAST}
 * @param id     a broadcast's id, echoed by its {@link #DELIVERED} replies
 * @param to     node id a {@link #DELIVERED} reply is meant for
 * @param count  sessions a broadcast was handed to, for {@link #DELIVERED}
 * @param epoch  the stream's epoch, for {@link #ROOM} and {@link #BROADCAST}
 * @param offset the frame's offset in its stream, for {@link #ROOM} and {@link #BROADCAST}
 */
@JsonbPropertyOrder({"origin", "kind", "room", "id", "to", "count", "epoch", "offset", "frame"})
public record Envelope(String kind, String origin, String room, String frame, String id, String to, int count,
                       String epoch, long offset) {

    /** A chat message for every member of {@code room} on every instance. */
    public static final String ROOM = "room";
    /** A broadcast for every session on every instance; each instance replies {@link #DELIVERED}. */
    public static final String BROADCAST = "broadcast";
    /** How many sessions of one instance a broadcast was handed to. */
    public static final String DELIVERED = "delivered";
    /** A bus's proof that its subscription still hears the channel; every other instance ignores it. */
    public static final String HEARTBEAT = "heartbeat";

    static Envelope heartbeat(String origin) {
        return new Envelope(HEARTBEAT, origin, null, null, null, null, 0, null, 0);
    }

    static Envelope delivered(String origin, String to, String id, int count) {
        return new Envelope(DELIVERED, origin, null, null, id, to, count, null, 0);
    }
}
