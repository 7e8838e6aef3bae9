package dev.goingaway.chat;

import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonValue;

import dev.goingaway.DaemonThreads;
import dev.goingaway.config.Settings;
import dev.goingaway.stream.Position;
import dev.goingaway.store.SessionTotals;
import dev.goingaway.store.Tally;

/**
 * What the chat does with each WebSocket event: admits or refuses a connection, welcomes it
 * with its restored total, counts each client message exactly once, hands it to the room and
 * answers it with exactly one {@code ack} or {@code error}. All state lives in
 * {@link ConnectionRegistry} and {@link SessionTotals}; the endpoint only forwards.
 */
@ApplicationScoped
public class ChatService implements ConnectionEvents {

    private static final Logger LOG = Logger.getLogger(ChatService.class.getName());

    /** How long a policy close (binary frame, flooding) waits for the client's queued answers. */
    static final long POLICY_CLOSE_GRACE_MILLIS = 2_000;

    @Inject
    Settings settings;

    @Inject
    ConnectionRegistry registry;

    @Inject
    SessionTotals totals;

    @Inject
    ChatMetrics metrics;

    @Inject
    Admission admission;

    @Inject
    FanOut fanOut;

    @Inject
    StreamDelivery streams;

    private FrameCodec codec;
    private ExecutorService closer;

    @PostConstruct
    void start() {
        codec = new FrameCodec(settings.maxTextChars());
        closer = Executors.newCachedThreadPool(DaemonThreads.named("goingaway-close-"));
    }

    // ---- connection lifecycle -------------------------------------------------------------

    /** A handshake completed: refuse it with a close code, or register it and send welcome. */
    @Override
    public void open(Connection connection) {
        if (admission.refusingNew()) {
            refuse(connection, "draining", CloseCode.TRY_AGAIN_LATER, "server is shutting down, reconnect to another instance");
            return;
        }
        if (!connection.originAllowed()) {
            refuse(connection, "origin", CloseCode.POLICY, "origin not allowed");
            LOG.log(Level.WARNING, "connection_refused reason=origin origin={0}", connection.origin());
            return;
        }
        if (registry.size() >= settings.maxConnections()) {
            refuse(connection, "capacity", CloseCode.TRY_AGAIN_LATER, "instance is at its connection limit");
            return;
        }
        String room = connection.param("room");
        if (room == null) {
            room = Names.DEFAULT_ROOM;
        } else if (!Names.validRoom(room)) {
            metrics.error(ErrorCode.BAD_ROOM);
            metrics.refused("bad_room");
            String frame = codec.encode(new Frames.Error(null, ErrorCode.BAD_ROOM,
                    "room must be 1-64 characters of A-Z a-z 0-9 _ -"));
            sendThenClose(connection, frame, CloseCode.POLICY, "invalid room");
            return;
        }

        String requested = connection.param("session");
        boolean resumed = requested != null && Names.validSession(requested);
        String sessionId = resumed ? requested : UUID.randomUUID().toString();

        Tally tally = registry.acquireTally(sessionId, id -> totals.open(id, resumed));
        ChatClient client;
        try {
            client = new ChatClient(connection, sessionId, room, tally, settings.sendQueueLimit(), settings.rateLimit(),
                    settings.maxMessageBytes());
        } catch (RuntimeException e) {
            registry.release(sessionId);
            throw e;
        }
        registry.add(client);
        // The drain flips the flag and then takes its list of clients. A connection registered
        // before the flip is on that list and gets a bye; one that sees the flag here was
        // possibly registered too late for the list, so it refuses itself.
        if (admission.refusingNew()) {
            registry.remove(client.connectionId());
            client.gone();
            refuse(connection, "draining", CloseCode.TRY_AGAIN_LATER, "server is shutting down, reconnect to another instance");
            return;
        }
        metrics.opened();
        if (requested != null && !resumed) {
            send(client, new Frames.Error(null, ErrorCode.BAD_SESSION, "session id not recognised; a new session was started"));
        }
        Position since = position(client, connection, "since");
        Position broadcastSince = position(client, connection, "broadcastSince");
        String joined = room;
        // The welcome waits for the catch-up (DESIGN.md, "Positions and recovery"); frames sent
        // to the client meanwhile are held behind it.
        streams.join(client, since, broadcastSince, (recovered, tops) -> codec.encode(
                new Frames.Welcome(sessionId, joined, tally.total(), settings.instance(), recovered, tops)));
        LOG.log(Level.FINE, "session_id={0} opened room={1} total={2} resumed={3} since={4} broadcastSince={5}",
                new Object[] {sessionId, room, tally.total(), resumed, since, broadcastSince});
    }

    /** A resume position from the handshake: null if absent; one that cannot be read is answered with an error and not recovered. */
    private Position position(ChatClient client, Connection connection, String name) {
        String text = connection.param(name);
        if (text == null) {
            return null;
        }
        Position p = Position.parse(text);
        if (p == null) {
            metrics.error(ErrorCode.BAD_POSITION);
            send(client, new Frames.Error(null, ErrorCode.BAD_POSITION,
                    name + " must be EPOCH:OFFSET as given by the welcome; resumed with recovered:false"));
            return StreamDelivery.UNREADABLE;
        }
        return p;
    }

    /** The peer closed (or Liberty tore the socket down). */
    @Override
    public void closed(Connection connection, int code, String reason) {
        ChatClient client = registry.remove(connection.id());
        if (client != null) {
            client.gone();
            totals.left(client.tally());
            metrics.closed();
            LOG.log(Level.FINE, "session_id={0} closed code={1} reason={2}",
                    new Object[] {client.sessionId(), code, reason});
        }
    }

    /** A transport error; the container closes the socket after this, but do not rely on it. */
    @Override
    public void failed(Connection connection, Throwable error) {
        ChatClient client = registry.remove(connection.id());
        String who = client != null ? client.sessionId() : "(unregistered " + connection.id() + ")";
        if (client != null) {
            client.gone();
            totals.left(client.tally());
            metrics.closed();
        }
        // A client vanishing mid-frame is normal life for a public service, not a server fault.
        Level level = error instanceof IOException ? Level.FINE : Level.WARNING;
        LOG.log(level, "session_id={0} error: {1}", new Object[] {who, String.valueOf(error)});
    }

    // ---- messages ---------------------------------------------------------------------------

    /**
     * A text frame, or one part of a fragmented text message. A message that grows past
     * {@code MAX_MESSAGE_BYTES} is not held: the connection is closed with 1009, as Liberty
     * does itself for a single frame that is too large.
     */
    @Override
    public void receivePart(Connection connection, String part, boolean last) {
        ChatClient client = registry.get(connection.id());
        if (client == null) {
            return; // closed concurrently; nothing to answer on
        }
        String whole;
        try {
            whole = client.assembler().add(part, last);
        } catch (MessageAssembler.TooBig e) {
            metrics.error(ErrorCode.TOO_LARGE);
            LOG.log(Level.FINE, "session_id={0} closed: {1}", new Object[] {client.sessionId(), e.getMessage()});
            closeAfterQueued(client, CloseCode.TOO_BIG, e.getMessage());
            return;
        }
        if (whole != null) {
            receive(connection, whole);
        }
    }

    /** A text frame from a client: exactly one ack or error goes back, whatever it contains. */
    public void receive(Connection connection, String text) {
        ChatClient client = registry.get(connection.id());
        if (client == null) {
            return; // closed concurrently; nothing to answer on
        }
        metrics.received();
        if (client.sealed()) {
            // Read after this client's bye was queued: the message crossed the bye on the wire.
            // Nothing may follow the bye, so it is not answered and not counted; the client
            // re-sends whatever had no answer when the bye arrived.
            metrics.afterBye();
            return;
        }
        if (!admission.enter()) {
            reject(client, new Inbound.Rejected(quickId(text), ErrorCode.DRAINING,
                    "server is shutting down; not counted, send again after reconnecting"));
            return;
        }
        boolean handedOver = false;
        try {
            handedOver = process(client, text);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "session_id=" + client.sessionId() + " message failed", e);
            reject(client, new Inbound.Rejected(null, ErrorCode.INTERNAL, "server error; message not counted"));
        } finally {
            if (!handedOver) {
                admission.exit(); // else once it is answered: the drain waits for that
            }
        }
    }

    /**
     * Answers a message, or hands it to its stream and returns true: then it is answered (and
     * leaves the in-flight count) once it has its offset.
     */
    private boolean process(ChatClient client, String text) {
        if (!client.limiter().tryAcquire(System.nanoTime())) {
            reject(client, new Inbound.Rejected(quickId(text), ErrorCode.RATE_LIMITED,
                    "more than " + settings.rateLimit() + " messages per second"));
            if (client.limiter().shouldDisconnect()) {
                LOG.log(Level.WARNING, "session_id={0} closed: rate limit exceeded persistently", client.sessionId());
                closeAfterQueued(client, CloseCode.POLICY, "rate limit exceeded");
            }
            return false;
        }
        Inbound inbound = codec.decode(text);
        if (inbound instanceof Inbound.Rejected rejected) {
            reject(client, rejected);
            return false;
        }
        Inbound.ChatMessage message = (Inbound.ChatMessage) inbound;
        String idKey = FrameCodec.idKey(message.id());
        Tally tally = client.tally();
        if (tally.seen(idKey)) {
            // A re-send of a message already counted (the client did not see its ack before a
            // reconnect): acknowledge again, do not count or deliver twice.
            metrics.duplicate();
            ack(client, message.id(), tally.total());
            return false;
        }
        long total = tally.count(idKey);
        totals.changed(tally);
        // The ack goes once the message has its offset and is in its stream's history; the append
        // delivers it here and publishes it for the other instances in the same step.
        JsonValue id = message.id();
        CompletableFuture<StreamDelivery.Appended> appended = streams.append(StreamDelivery.roomStream(client.room()),
                codec.framing(new Frames.Message(client.room(), client.sessionId(), message.text(), System.currentTimeMillis())),
                fanOut.roomPublication(client.room()));
        client.answerInOrder(appended, () -> {
            try {
                if (!appended.isCompletedExceptionally()) {
                    sendAck(client, id, total);
                } else {
                    LOG.log(Level.SEVERE, "session_id=" + client.sessionId() + " append failed: " + appended.handle((a, e) -> e).join());
                    sendError(client, new Inbound.Rejected(id, ErrorCode.INTERNAL, "server error; not delivered"));
                }
            } finally {
                admission.exit();
            }
        });
        return true;
    }

    /** A binary message: not part of the protocol; its first frame closes the connection with 1003. */
    @Override
    public void binary(Connection connection, byte[] part, boolean first, boolean last) {
        ChatClient client = first ? registry.get(connection.id()) : null;
        if (client != null) {
            closeAfterQueued(client, CloseCode.UNSUPPORTED_DATA, "binary frames are not supported");
        }
    }

    @Override
    public void pong(Connection connection) {
        ChatClient client = registry.get(connection.id());
        if (client != null) {
            client.ponged(System.nanoTime());
        }
    }

    // ---- delivery ------------------------------------------------------------------------------

    /** Queues a stream's frame for one client (see {@link StreamDelivery}); a full outbox closes that client. */
    void deliver(ChatClient client, String frame) {
        if (client.closing()) {
            return;
        }
        client.send(frame).whenComplete((v, e) -> {
            if (e instanceof Outbox.Overflow) {
                slowConsumer(client, e);
            }
        });
    }

    private void slowConsumer(ChatClient client, Throwable e) {
        if (!client.closing()) {
            metrics.slowConsumer();
            LOG.log(Level.WARNING, "session_id={0} closed: {1}", new Object[] {client.sessionId(), e.getMessage()});
            closeAsync(client, CloseCode.POLICY, "not reading: send queue full");
        }
    }

    // ---- answers ------------------------------------------------------------------------------

    /** An ack, queued after every earlier answer of the client (see {@link ChatClient#answerInOrder}). */
    private void ack(ChatClient client, JsonValue id, long total) {
        client.answerInOrder(DONE, () -> sendAck(client, id, total));
    }

    /** An error, queued after every earlier answer of the client. */
    private void reject(ChatClient client, Inbound.Rejected rejected) {
        client.answerInOrder(DONE, () -> sendError(client, rejected));
    }

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private void sendAck(ChatClient client, JsonValue id, long total) {
        send(client, new Frames.Ack(id, total));
        metrics.acked();
    }

    private void sendError(ChatClient client, Inbound.Rejected rejected) {
        metrics.error(rejected.code());
        send(client, new Frames.Error(rejected.id(), rejected.code(), rejected.reason()));
        LOG.log(Level.FINE, "session_id={0} error code={1}", new Object[] {client.sessionId(), rejected.code().wire()});
    }

    /** Encodes and queues a frame for one client; a full outbox closes that client. */
    public CompletableFuture<Void> send(ChatClient client, Object frame) {
        CompletableFuture<Void> sent = client.send(codec.encode(frame));
        sent.whenComplete((v, e) -> {
            if (e instanceof Outbox.Overflow) {
                slowConsumer(client, e);
            }
        });
        return sent;
    }

    /** The client's id, read leniently, for answers to frames refused before full decoding. */
    private JsonValue quickId(String text) {
        Inbound decoded = codec.decode(text);
        return decoded.id();
    }

    /** The largest text message a connection accepts ({@code MAX_MESSAGE_BYTES}). */
    public int maxMessageBytes() {
        return settings.maxMessageBytes();
    }

    public String encode(Object frame) {
        return codec.encode(frame);
    }

    /** A frame to append to a stream: it gets its offset there. */
    public dev.goingaway.stream.Framing framing(Object frame) {
        return codec.framing(frame);
    }

    // ---- closing ------------------------------------------------------------------------------

    /** Closes a client on the close executor, so no caller ever blocks on a peer's socket. */
    public CompletableFuture<Boolean> closeAsync(ChatClient client, CloseCode code, String reason) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return client.close(code, reason);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.FINE, "session_id={0} close failed: {1}", new Object[] {client.sessionId(), e.toString()});
                throw new java.util.concurrent.CompletionException(e);
            }
        }, closer);
    }

    /**
     * Closes once the answers owed to the client are queued (an ack may wait for its append) and
     * the frames queued to it are written, so the acks and errors
     * it is owed are not overtaken by the close frame; a client that does not read them is
     * closed anyway after {@value #POLICY_CLOSE_GRACE_MILLIS} ms.
     */
    CompletableFuture<Boolean> closeAfterQueued(ChatClient client, CloseCode code, String reason) {
        return client.answersQueued().copy() // a copy: the client's own chain must not be completed early
                .completeOnTimeout(null, POLICY_CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS)
                .thenCompose(v -> client.flushed())
                .completeOnTimeout(null, POLICY_CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS)
                .handle((v, e) -> null)
                .thenCompose(v -> closeAsync(client, code, reason));
    }

    private void refuse(Connection connection, String why, CloseCode code, String reason) {
        metrics.refused(why);
        try {
            connection.close(code, reason);
        } catch (IOException e) {
            LOG.log(Level.FINE, "refused connection {0} could not be closed cleanly: {1}", new Object[] {connection.id(), e.toString()});
        }
    }

    private void sendThenClose(Connection connection, String frame, CloseCode code, String reason) {
        connection.sendText(frame, failure -> closer.execute(() -> {
            try {
                connection.close(code, reason);
            } catch (IOException e) {
                LOG.log(Level.FINE, "connection {0} could not be closed cleanly: {1}", new Object[] {connection.id(), e.toString()});
            }
        }));
    }


    @PreDestroy
    void stop() {
        closer.shutdown();
    }
}
