package dev.goingaway.broadcast;

import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.inject.Inject;

import dev.goingaway.chat.ChatService;
import dev.goingaway.chat.StreamDelivery;
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

    @Inject
    StreamDelivery streams;

    void deliver(@ObservesAsync BroadcastRequested event) {
        String id = UUID.randomUUID().toString();
        StreamDelivery.Appended appended = streams.append(StreamDelivery.BROADCAST, chat.framing(event.frame()),
                cluster.broadcastPublication(id, event.delivered())).join();
        int n = appended.deliveredHere();
        event.delivered().addAndGet(n);
        int remote = cluster.awaitReplies(id, appended.stored().receivers());
        LOG.log(Level.FINE, "broadcast {0} delivered to {1} sessions here and {2} on other instances",
                new Object[] {appended.stored().position(), n, remote});
    }
}
