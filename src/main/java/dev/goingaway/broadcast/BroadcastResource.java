package dev.goingaway.broadcast;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.goingaway.chat.Frames;
import dev.goingaway.config.Settings;

import org.eclipse.microprofile.metrics.MetricRegistry;

/**
 * {@code POST /chat/api/broadcast} (a trailing slash works too): authorise, validate, fire the
 * event, answer 202 with how many sessions it was handed to: this instance's, plus those the
 * other instances report within a second (see {@link dev.goingaway.cluster.ClusterBus#broadcast}).
 */
@ApplicationScoped
@Path("broadcast")
public class BroadcastResource {

    private static final Logger LOG = Logger.getLogger(BroadcastResource.class.getName());
    private static final long DELIVERY_WAIT_MILLIS = 2_000;

    /** 202 body. */
    public record Accepted(int delivered) {
    }

    /** 4xx body. */
    public record Problem(String error, String message) {
    }

    @Inject
    Settings settings;

    @Inject
    Event<BroadcastRequested> events;

    @Inject
    MetricRegistry metrics;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response broadcast(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, String body) {
        if (!BearerToken.matches(authorization, settings.broadcastToken())) {
            metrics.counter("broadcast_requests_refused", new org.eclipse.microprofile.metrics.Tag("reason", "unauthorized")).inc();
            String why = settings.broadcastToken().isPresent()
                    ? "a valid bearer token is required"
                    : "the broadcast API is disabled: BROADCAST_TOKEN is not set";
            return Response.status(Response.Status.UNAUTHORIZED)
                    .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"goingaway\"")
                    .entity(new Problem("unauthorized", why)).build();
        }
        BroadcastRequest request;
        try {
            request = BroadcastRequest.parse(body);
        } catch (BroadcastRequest.Invalid e) {
            metrics.counter("broadcast_requests_refused", new org.eclipse.microprofile.metrics.Tag("reason", "invalid")).inc();
            return Response.status(Response.Status.BAD_REQUEST).entity(new Problem("invalid_request", e.getMessage())).build();
        }
        BroadcastRequested event = new BroadcastRequested(new Frames.Broadcast(request.title(), request.message(),
                request.level(), System.currentTimeMillis()));
        try {
            events.fireAsync(event).toCompletableFuture().get(DELIVERY_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.log(Level.WARNING, "broadcast still being delivered after {0} ms; answering with the count so far", DELIVERY_WAIT_MILLIS);
        } catch (ExecutionException e) {
            LOG.log(Level.SEVERE, "broadcast delivery failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        metrics.counter("ws_broadcasts").inc();
        int delivered = event.delivered().get();
        LOG.log(Level.INFO, "broadcast level={0} delivered={1}", new Object[] {request.level(), delivered});
        return Response.status(Response.Status.ACCEPTED).entity(new Accepted(delivered)).build();
    }
}
