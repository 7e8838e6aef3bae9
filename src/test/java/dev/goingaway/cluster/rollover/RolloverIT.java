package dev.goingaway.cluster.rollover;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The rollover harness as a test: by default 200 clients through a real HAProxy, two
 * rollovers (blue to green, green to a fresh blue). It fails on any lost, duplicated or
 * miscounted message. The benchmark runs the same test at 5,000 clients and 5 rollovers
 * ({@code scripts/rollover.sh}).
 */
class RolloverIT {

    @Test
    void blueGreenRolloversLoseNothingDuplicateNothingAndKeepEveryTotal() throws Exception {
        RolloverReport report = new RolloverHarness(RolloverHarness.Size.fromSystemProperties(200, 2)).run();
        System.out.println(report.summary());
        assertEquals(0, report.lost, "messages sent that got neither ack nor error, after re-sends");
        assertEquals(0, report.duplicateDeliveries, "messages delivered twice to a room member");
        assertEquals(0, report.countedTwice, "messages counted twice");
        assertEquals(report.clients, report.totalsCorrect, "clients whose total continued correctly after every reconnect");
        assertEquals(0, report.failed(), "failed checks:\n" + report.summary());
    }
}
