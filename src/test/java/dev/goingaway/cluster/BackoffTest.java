package dev.goingaway.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void delaysGrowFromTheFirstStepAndNeverPassTheBound() {
        Backoff b = new Backoff(100, 5_000);
        long first = b.nextMillis();
        assertTrue(first >= 50 && first <= 100, "first delay in the upper half of 100 ms: " + first);
        long last = 0;
        for (int i = 0; i < 40; i++) {
            last = b.nextMillis();
            assertTrue(last <= 5_000, "never above the bound: " + last);
        }
        assertTrue(last >= 2_500, "after many failures the delay sits in the upper half of the bound: " + last);
    }

    @Test
    void resetStartsAgainFromTheFirstStep() {
        Backoff b = new Backoff(100, 5_000);
        for (int i = 0; i < 10; i++) {
            b.nextMillis();
        }
        b.reset();
        long next = b.nextMillis();
        assertTrue(next <= 100, "after a success the next delay is the first step again: " + next);
    }
}
