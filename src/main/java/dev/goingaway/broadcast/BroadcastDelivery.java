package dev.goingaway.broadcast;

import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.inject.Inject;

import dev.goingaway.chat.ChatService;

/** Delivers each broadcast to every session of this instance, off the request thread. */
@ApplicationScoped
public class BroadcastDelivery {

    private static final Logger LOG = Logger.getLogger(BroadcastDelivery.class.getName());

    @Inject
    ChatService chat;

    void deliver(@ObservesAsync BroadcastRequested event) {
        int n = chat.deliverToAll(event.frame());
        event.delivered().addAndGet(n);
        LOG.log(Level.FINE, "broadcast delivered to {0} sessions", n);
    }
}
