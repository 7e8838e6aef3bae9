package dev.goingaway.shutdown;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.websocket.CloseReason.CloseCodes;

import dev.goingaway.chat.ChatClient;
import dev.goingaway.chat.ChatService;
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

    private final ChatService chat;
    private final ExecutorService closers;
    private final ExecutorService stuckClosers;

    Farewell(ChatService chat, ExecutorService closers, ExecutorService stuckClosers) {
        this.chat = chat;
        this.closers = closers;
        this.stuckClosers = stuckClosers;
    }

    Result run(Collection<ChatClient> clients, long spreadMillis, long byeDeadlineNanos, long closeDeadlineNanos) {
        AtomicInteger byes = new AtomicInteger();
        AtomicInteger byeFailures = new AtomicInteger();
        AtomicInteger closed = new AtomicInteger();
        AtomicInteger closeFailures = new AtomicInteger();
        AtomicLong lastBye = new AtomicLong();
        AtomicLong lastClose = new AtomicLong();
        List<CompletableFuture<Void>> done = new ArrayList<>(clients.size());

        for (ChatClient client : clients) {
            long reconnectAfter = spreadMillis <= 0 ? 0 : ThreadLocalRandom.current().nextLong(spreadMillis + 1);
            CompletableFuture<Void> bye = chat.sendLast(client, new Frames.Bye(client.total(), client.sessionId(), reconnectAfter));
            long byeWait = Math.max(0, byeDeadlineNanos - System.nanoTime());
            // Decided once: written in time, or not (failed, or still queued at the deadline).
            CompletableFuture<Boolean> byeOutcome = bye
                    .thenApply(v -> Boolean.TRUE)
                    .completeOnTimeout(Boolean.FALSE, byeWait, TimeUnit.NANOSECONDS)
                    .exceptionally(e -> Boolean.FALSE);
            done.add(byeOutcome.thenCompose(sent -> {
                if (sent) {
                    byes.incrementAndGet();
                    lastBye.accumulateAndGet(System.nanoTime(), Math::max);
                    EVENTS.log(Level.FINE, "ws_shutdown_bye_sent session_id={0}", client.sessionId());
                } else {
                    byeFailures.incrementAndGet();
                    EVENTS.log(Level.WARNING, "ws_shutdown_bye_failed session_id={0} queued={1}",
                            new Object[] {client.sessionId(), client.queued()});
                }
                return CompletableFuture.runAsync(() -> close(client, closed, closeFailures, lastClose),
                        sent ? closers : stuckClosers);
            }));
        }

        try {
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new))
                    .get(Math.max(0, closeDeadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            EVENTS.log(Level.WARNING, "ws_shutdown_deadline: closes still running at the deadline");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            EVENTS.log(Level.WARNING, "ws_shutdown_close_failed: {0}", e.getCause().toString());
        }
        int leftOpen = (int) done.stream().filter(f -> !f.isDone()).count();
        return new Result(clients.size(), byes.get(), byeFailures.get(), closed.get(), closeFailures.get(), leftOpen,
                lastBye.get(), lastClose.get());
    }

    private static void close(ChatClient client, AtomicInteger closed, AtomicInteger failures, AtomicLong lastClose) {
        try {
            client.close(CloseCodes.GOING_AWAY, "server shutting down");
            closed.incrementAndGet();
            lastClose.accumulateAndGet(System.nanoTime(), Math::max);
        } catch (java.io.IOException | RuntimeException e) {
            failures.incrementAndGet();
            EVENTS.log(Level.WARNING, "ws_shutdown_close_failed session_id={0} error={1}",
                    new Object[] {client.sessionId(), e.toString()});
        }
    }
}
