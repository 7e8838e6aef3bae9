package dev.goingaway.shutdown;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;


import dev.goingaway.chat.ChatClient;
import dev.goingaway.chat.CloseCode;
import dev.goingaway.chat.Frames;

/**
 * Says goodbye to a set of connections: a {@code bye} to each (queued behind its pending acks,
 * so it is the last data frame), then close 1001 right behind it. Byes go out in parallel
 * through each connection's outbox, and each connection closes as soon as its bye is written
 * ({@link dev.goingaway.chat.Connection#queueClose}: the servlet transport writes both in one
 * go; Liberty's Jakarta close runs on that transport's pools). A connection whose bye is not
 * written by the bye deadline (a client that stopped reading) has its own, shorter wait for its
 * close, so a stuck client never delays the others; whoever has not closed by the end is ended.
 */
final class Farewell {

    private static final Logger EVENTS = Logger.getLogger("dev.goingaway.shutdown.events");

    /** What happened, for the report and metrics. Times are nanoTime stamps, 0 if never. */
    record Result(int sessions, int byesSent, int byeFailures, int closed, int closeFailures, int leftOpen,
                  long lastByeNanos, long lastCloseNanos) {
    }

    private static final String REASON = "server shutting down";

    private final Function<Object, String> encoder;

    /** {@code encoder} turns the bye into its text frame (the chat's codec). */
    Farewell(Function<Object, String> encoder) {
        this.encoder = encoder;
    }

    Result run(Collection<ChatClient> clients, long spreadMillis, DrainBudget budget) {
        long byeDeadlineNanos = budget.byeDeadline();
        long closeDeadlineNanos = budget.closeDeadline();
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

        // Phase 1: every bye queued at once, each with its close frame right behind it.
        for (ChatClient client : clients) {
            long reconnectAfter = spreadMillis <= 0 ? 0 : ThreadLocalRandom.current().nextLong(spreadMillis + 1);
            Frames.Bye byeFrame = new Frames.Bye(client.total(), client.sessionId(), reconnectAfter);
            CompletableFuture<Void> bye = new CompletableFuture<>();
            CompletableFuture<Void> close = client.sendLastThenClose(encoder.apply(byeFrame), CloseCode.GOING_AWAY, REASON,
                            byeDeadlineNanos, budget.answerDeadline(), bye)
                    .handle((v, e) -> {
                        closeOutcome(client, e, closed, closeFailures, lastClose);
                        return null;
                    });
            closes.put(client, close);
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
                (took ? healthy : stuck).add(close);
            }));
        }
        await(outcomes, budget.byeVerdictDeadline(byeDeadlineNanos));

        // Phase 2: the closes of clients that took their bye, until the close deadline.
        await(new ArrayList<>(healthy), closeDeadlineNanos);

        // Phase 3: clients that did not take their bye are not reading; their close waits on a
        // full socket. A second more is all they get: longer only takes time from the others.
        await(new ArrayList<>(stuck), budget.stuckCloseDeadline(byeDeadlineNanos));

        int leftOpen = (int) (healthy.stream().filter(f -> !f.isDone()).count()
                + stuck.stream().filter(f -> !f.isDone()).count()
                + outcomes.stream().filter(f -> !f.isDone()).count());

        // Phase 4: whoever is still open is not reading; end those connections now rather than
        // leave them to the close timeout while the server waits to stop.
        int aborted = 0;
        for (ChatClient client : clients) {
            CompletableFuture<Void> close = closes.get(client);
            if (!close.isDone() && client.abort("no close within the shutdown deadline")) {
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
