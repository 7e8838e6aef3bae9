package dev.goingaway.broadcast;

import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.inject.Inject;

import dev.goingaway.chat.ChatService;
import dev.goingaway.cluster.ClusterBus;

/**
 * Delivers each broadcast to every session of this instance, off the request thread, then hands
 * it to the other instances and adds the sessions they reached to the event's count.
 */
@ApplicationScoped
public class BroadcastDelivery {

    private static final Logger LOG = Logger.getLogger(BroadcastDelivery.class.getName());

    @Inject
    ChatService chat;

    @Inject
    ClusterBus cluster;

    void deliver(@ObservesAsync BroadcastRequested event) {
        String frame = chat.encode(event.frame());
        int n = chat.deliverToAll(frame);
        event.delivered().addAndGet(n);
        int remote = cluster.broadcast(frame, event.delivered());
        LOG.log(Level.FINE, "broadcast delivered to {0} sessions here and {1} on other instances", new Object[] {n, remote});
    }
}
