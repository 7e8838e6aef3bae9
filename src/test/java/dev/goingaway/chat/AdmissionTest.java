package dev.goingaway.chat;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AdmissionTest {

    @Test
    void readinessGoesDownBeforeNewWorkIsRefused() {
        Admission a = new Admission();
        assertTrue(a.ready() && !a.draining() && !a.refusingNew(), "a running instance");

        a.drainStarted(); // the drain's first step; SHUTDOWN_DRAIN_DELAY may follow
        assertFalse(a.ready(), "readiness DOWN");
        assertTrue(a.draining(), "and it says why from that moment on");
        assertFalse(a.refusingNew(), "new work is still taken during the drain delay");
        assertTrue(a.enter(), "a message is still processed");
        a.exit();

        a.refuseNew();
        assertTrue(a.draining() && a.refusingNew(), "now refusing");
        assertFalse(a.enter(), "a new message is answered 'draining'");
        assertTrue(a.inFlight() == 0, "and not counted in flight");
    }
}
