package dev.goingaway.shutdown;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;


import dev.goingaway.chat.ChatClient;
import dev.goingaway.chat.ChatService;
import dev.goingaway.chat.CloseCode;
import dev.goingaway.chat.Frames;

/**
 * Says goodbye to a set of connections: a {@code bye} to each (queued behind its pending acks,
 * so it is the last data frame), then close 1001 as soon as that bye is written. Byes go out
 * in parallel through each connection's outbox; closes run on a pool, because Liberty's
 * {@code close()} is synchronous and costs most of the time. A connection whose bye is not
 * written by {@code byeDeadline} (a client that stopped reading) is closed without it on a
 * separate pool, so a stuck peer never delays the others.
 */
final class Farewell {

    private static final Logger EVENTS = Logger.getLogger("dev.goingaway.shutdown.events");

    /** What happened, for the report and metrics. Times are nanoTime stamps, 0 if never. */
    record Result(int sessions, int byesSent, int byeFailures, int closed, int closeFailures, int leftOpen,
                  long lastByeNanos, long lastCloseNanos) {
    }

    private static final String REASON = "server shutting down";

    /** How long the close of a client that missed its bye may take before it is given up. */
    static final long STUCK_CLOSE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ChatService chat;
    private final ExecutorService closers;
    private final ExecutorService stuckClosers;

    Farewell(ChatService chat, ExecutorService closers, ExecutorService stuckClosers) {
        this.chat = chat;
        this.closers = closers;
        this.stuckClosers = stuckClosers;
    }

    Result run(Collection<ChatClient> clients, long spreadMillis, long byeDeadlineNanos, long closeDeadlineNanos,
               long answerDeadlineNanos) {
        AtomicInteger byes = new AtomicInteger();
        AtomicInteger byeFailures = new AtomicInteger();
        AtomicInteger closed = new AtomicInteger();
        AtomicInteger closeFailures = new AtomicInteger();
        AtomicLong lastBye = new AtomicLong();
        AtomicLong lastClose = new AtomicLong();
        List<CompletableFuture<Boolean>> outcomes = new ArrayList<>(clients.size());
        Queue<CompletableFuture<Void>> healthy = new ConcurrentLinkedQueue<>();
        Queue<CompletableFuture<Void>> stuck = new ConcurrentLinkedQueue<>();
        Map<ChatClient, CompletableFuture<Void>> closes = new ConcurrentHashMap<>();

        // Phase 1: every bye queued at once; each connection closes as soon as its bye is written.
        // Where the transport can queue a close frame without blocking (WS_TRANSPORT=servlet), the
        // close frame is queued right behind the bye and both go out in one write; elsewhere the
        // close runs once the bye is written, on the closer pool (a close() blocks until written).
        for (ChatClient client : clients) {
            long reconnectAfter = spreadMillis <= 0 ? 0 : ThreadLocalRandom.current().nextLong(spreadMillis + 1);
            Frames.Bye byeFrame = new Frames.Bye(client.total(), client.sessionId(), reconnectAfter);
            CompletableFuture<Void> bye;
            CompletableFuture<Void> queuedClose = null;
            if (client.canQueueClose()) {
                bye = new CompletableFuture<>();
                queuedClose = client.sendLastThenClose(chat.encode(byeFrame), CloseCode.GOING_AWAY, REASON, answerDeadlineNanos, bye)
                        .handle((v, e) -> {
                            closeOutcome(client, e, closed, closeFailures, lastClose);
                            return null;
                        });
            } else {
                bye = chat.sendLast(client, byeFrame);
            }
            CompletableFuture<Void> ownClose = queuedClose;
            // Decided once: written in time, or not (failed, or still queued at the bye deadline).
            CompletableFuture<Boolean> outcome = bye
                    .thenApply(v -> Boolean.TRUE)
                    .completeOnTimeout(Boolean.FALSE, Math.max(0, byeDeadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)
                    .exceptionally(e -> Boolean.FALSE);
            outcomes.add(outcome.whenComplete((sent, e) -> {
                boolean took = Boolean.TRUE.equals(sent);
                if (took) {
                    byes.incrementAndGet();
                    lastBye.accumulateAndGet(System.nanoTime(), Math::max);
                    EVENTS.log(Level.FINE, "ws_shutdown_bye_sent session_id={0}", client.sessionId());
                } else {
                    byeFailures.incrementAndGet();
                    EVENTS.log(Level.WARNING, "ws_shutdown_bye_failed session_id={0} queued={1}",
                            new Object[] {client.sessionId(), client.queued()});
                }
                CompletableFuture<Void> close = ownClose != null ? ownClose
                        : CompletableFuture.runAsync(() -> close(client, closed, closeFailures, lastClose), took ? closers : stuckClosers);
                closes.put(client, close);
                (took ? healthy : stuck).add(close);
            }));
        }
        await(outcomes, byeDeadlineNanos + TimeUnit.MILLISECONDS.toNanos(100));

        // Phase 2: the closes of clients that took their bye, until the close deadline.
        await(new ArrayList<>(healthy), closeDeadlineNanos);

        // Phase 3: clients that did not take their bye are not reading; their close() blocks on
        // a full socket. A second more is all they get: longer only takes time from Liberty's stop.
        await(new ArrayList<>(stuck), Math.min(closeDeadlineNanos,
                Math.max(System.nanoTime(), byeDeadlineNanos) + STUCK_CLOSE_GRACE_NANOS));

        int leftOpen = (int) (healthy.stream().filter(f -> !f.isDone()).count()
                + stuck.stream().filter(f -> !f.isDone()).count()
                + outcomes.stream().filter(f -> !f.isDone()).count());

        // Phase 4: whoever is still open is not reading; end those connections now rather than
        // leave them to the close timeout while the server waits to stop.
        int aborted = 0;
        for (ChatClient client : clients) {
            CompletableFuture<Void> close = closes.get(client);
            if ((close == null || !close.isDone()) && client.abort("no close within the shutdown deadline")) {
                aborted++;
            }
        }
        if (aborted > 0) {
            EVENTS.log(Level.WARNING, "ws_shutdown_aborted sessions={0}", aborted);
        }
        return new Result(clients.size(), byes.get(), byeFailures.get(), closed.get(), closeFailures.get(), leftOpen,
                lastBye.get(), lastClose.get());
    }

    private static <T> void await(List<CompletableFuture<T>> futures, long deadlineNanos) {
        if (futures.isEmpty()) {
            return;
        }
        try {
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                    .get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            EVENTS.log(Level.WARNING, "ws_shutdown_deadline: {0} of {1} still running at the deadline",
                    new Object[] {futures.stream().filter(f -> !f.isDone()).count(), futures.size()});
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            // individual failures were counted where they happened
        }
    }

    private static void close(ChatClient client, AtomicInteger closed, AtomicInteger failures, AtomicLong lastClose) {
        Throwable failure = null;
        try {
            client.close(CloseCode.GOING_AWAY, REASON);
        } catch (java.io.IOException | RuntimeException e) {
            failure = e;
        }
        closeOutcome(client, failure, closed, failures, lastClose);
    }

    /** Counts one close: written, or failed (logged with the session). */
    private static void closeOutcome(ChatClient client, Throwable failure, AtomicInteger closed, AtomicInteger failures,
                                     AtomicLong lastClose) {
        if (failure == null) {
            closed.incrementAndGet();
            lastClose.accumulateAndGet(System.nanoTime(), Math::max);
        } else {
            failures.incrementAndGet();
            EVENTS.log(Level.WARNING, "ws_shutdown_close_failed session_id={0} error={1}",
                    new Object[] {client.sessionId(), failure.toString()});
        }
    }
}
