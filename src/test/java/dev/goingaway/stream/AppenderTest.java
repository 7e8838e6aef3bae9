package dev.goingaway.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** Appends off the caller's thread, batched, completed in queue order. */
class AppenderTest {

    private static StreamStore.Append append(String text) {
        return new StreamStore.Append("room:r", new Framing(text + "#", ""), StreamStore.Publication.NONE);
    }

    @Test
    void appendsQueuedWhileARoundTripIsUnderWayGoInTheNextBatchInOrder() throws Exception {
        MemoryStreamStore memory = new MemoryStreamStore(1_000, Duration.ofMinutes(1));
        CountDownLatch firstBatchStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
        try (Appender appender = new Appender(batch -> {
            batchSizes.add(batch.size());
            firstBatchStarted.countDown();
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            List<StreamStore.Appended> out = new ArrayList<>();
            batch.forEach(a -> out.add(memory.append(a.stream(), a.frame(), a.publication())));
            return out;
        }, Thread::new)) {
            List<String> completedInOrder = Collections.synchronizedList(new ArrayList<>());
            List<CompletableFuture<StreamStore.Appended>> all = new ArrayList<>();
            all.add(appender.append(append("m0")).whenComplete((a, e) -> completedInOrder.add(a.frame())));
            assertTrue(firstBatchStarted.await(5, TimeUnit.SECONDS));
            for (int i = 1; i <= 300; i++) {
                all.add(appender.append(append("m" + i)).whenComplete((a, e) -> completedInOrder.add(a.frame())));
            }
            release.countDown();
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            for (int i = 0; i <= 300; i++) {
                assertEquals("m" + i + "#" + (i + 1), completedInOrder.get(i), "offsets and completions in queue order");
            }
            assertEquals(List.of(1, Appender.BATCH, 300 - Appender.BATCH), batchSizes,
                    "the 300 queued meanwhile went in two round trips, not 300");
        }
    }

    @Test
    void aClosedAppenderRefusesAndFinishesWhatWasQueued() throws Exception {
        MemoryStreamStore memory = new MemoryStreamStore(10, Duration.ofMinutes(1));
        Appender appender = new Appender(batch -> {
            List<StreamStore.Appended> out = new ArrayList<>();
            batch.forEach(a -> out.add(memory.append(a.stream(), a.frame(), a.publication())));
            return out;
        }, Thread::new);
        CompletableFuture<StreamStore.Appended> queued = appender.append(append("last"));
        appender.close(2_000);
        assertEquals(1, queued.get(1, TimeUnit.SECONDS).offset(), "what was queued before the close is appended");
        assertTrue(appender.append(append("late")).isCompletedExceptionally(), "nothing after it");
    }
}
