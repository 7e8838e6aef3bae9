package dev.goingaway.cluster.rollover;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What a rollover run measured, and the checks it must pass. {@link #summary()} ends with the
 * line {@code rollover: N passed, M failed}.
 */
final class RolloverReport {

    /** A client counts a member as "there" for a message only if it stayed this long after the ack. */
    static final long FANOUT_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** One instance replaced by another. */
    record Round(int number, String from, String to, int exitCode, long exitMillis, long reestablishedMillis,
                 int peakHandshakesPerSecond, int clientsMoved, long lastByeReadMillis, ProxyView proxy) {

        Round withProxy(ProxyView view) {
            return new Round(number, from, to, exitCode, exitMillis, reestablishedMillis, peakHandshakesPerSecond, clientsMoved,
                    lastByeReadMillis, view);
        }
    }

    /** A named pass/fail check with the numbers behind it. */
    record Check(String name, boolean passed, String detail) {
    }

    final int clients;
    final List<Round> rounds = new ArrayList<>();
    final List<Check> checks = new ArrayList<>();
    long sent;
    long acked;
    long errored;
    long lost;
    long resends;
    long duplicateDeliveries;
    long countedTwice;
    long totalsCorrect;
    long storedTotalsCorrect;
    long welcomeTotalMismatches;
    long byeTotalMismatches;
    long byes;
    long refused1013;
    long handshakeFailures;
    long closedWithoutBye;
    long closeAfterByeNot1001;
    long answerTimeouts;
    long answersForUnknownIds;
    long fanoutExpected;
    long fanoutDelivered;
    long receiverExpected;
    long receiverDelivered;
    long recoveredTrue;
    long recoveredFalse;
    long offsetGaps;
    long offsetRepeats;
    long resets;
    /** With a Redis failover between rollovers: kill to promotion, kill to writes through it; -1: none. */
    long failoverPromotedMillis = -1;
    long failoverWritingMillis = -1;
    long maxMissed;
    long missed;
    long durationMillis;
    final Map<String, Integer> errorCodes = new TreeMap<>();
    final List<String> problems = new ArrayList<>();
    final Map<String, Integer> problemKinds = new TreeMap<>();
    final Map<String, String> problemExamples = new TreeMap<>();

    RolloverReport(int clients) {
        this.clients = clients;
    }

    /** Adds every client's record; {@code storedTotal} is the total Redis holds for a session. */
    void add(List<RolloverClient.Snapshot> all, Map<String, Long> storedTotals) {
        for (RolloverClient.Snapshot c : all) {
            sent += c.sent();
            acked += c.acked();
            errored += c.errored();
            lost += c.lost();
            resends += c.resends();
            duplicateDeliveries += c.duplicateDeliveries();
            welcomeTotalMismatches += c.welcomeTotalMismatches();
            byeTotalMismatches += c.byeTotalMismatches();
            byes += c.byes();
            refused1013 += c.refused1013();
            handshakeFailures += c.handshakeFailures();
            closedWithoutBye += c.closedWithoutBye();
            closeAfterByeNot1001 += c.closeAfterByeNot1001();
            answerTimeouts += c.answerTimeouts();
            answersForUnknownIds += c.answersForUnknownIds();
            recoveredTrue += c.recoveredTrue();
            recoveredFalse += c.recoveredFalse();
            offsetGaps += c.offsetGaps();
            offsetRepeats += c.offsetRepeats();
            resets += c.resets();
            maxMissed = Math.max(maxMissed, c.maxMissed());
            missed += c.missed();
            c.errorCodes().forEach((k, v) -> errorCodes.merge(k, v, Integer::sum));
            countedTwice += Math.max(0, c.lastAckTotal() - c.acked()) + c.ackTotalMismatches();
            boolean clientTotalOk = c.lastAckTotal() == c.acked() && c.ackTotalMismatches() == 0
                    && c.welcomeTotalMismatches() == 0 && c.byeTotalMismatches() == 0;
            if (clientTotalOk) {
                totalsCorrect++;
            }
            Long stored = storedTotals.get(c.session());
            if (stored != null && stored == c.acked()) {
                storedTotalsCorrect++;
            }
            for (String p : c.problems()) {
                // one example of each kind of problem, and how often it happened
                String kind = p.replaceAll("[0-9]+", "#").replaceAll(" on an open connection to .*", "");
                problemKinds.merge(kind, 1, Integer::sum);
                problemExamples.putIfAbsent(kind, "c" + c.index() + ": " + p);
            }
        }
        fanout(all);
    }

    /**
     * For every acknowledged message and every member of its room (the sender included): was the
     * member connected from before the message was sent until {@link #FANOUT_GRACE_NANOS} after its
     * ack? Then it must have received it live. And the receiver-side check: every member that
     * joined before the message was sent must have received it, reconnecting meanwhile or not
     * (it resumed from its position and was given what it missed).
     */
    private void fanout(List<RolloverClient.Snapshot> all) {
        Map<Integer, RolloverClient.Snapshot> byIndex = new TreeMap<>();
        all.forEach(c -> byIndex.put(c.index(), c));
        for (RolloverClient.Snapshot sender : all) {
            int firstMember = sender.firstMember();
            BitSet ids = sender.ackedIds();
            for (int s = ids.nextSetBit(1); s >= 0; s = ids.nextSetBit(s + 1)) {
                long sentAt = sender.sentNanos()[s];
                long ackAt = sender.ackNanos()[s];
                for (int m = firstMember; m < firstMember + sender.received().length; m++) {
                    RolloverClient.Snapshot member = byIndex.get(m);
                    if (member == null) {
                        continue;
                    }
                    // Receiver side: every member in the room before the message was sent must end
                    // up with it, reconnecting or not (it resumes from its position).
                    if (!member.intervals().isEmpty() && member.intervals().get(0)[0] < sentAt) {
                        receiverExpected++;
                        if (member.received()[sender.index() - firstMember].get(s)) {
                            receiverDelivered++;
                        } else if (problems.size() < 40) {
                            problems.add("c" + m + " never received message " + sender.index() + "/" + s);
                        }
                    }
                    if (!connectedThroughout(member, sentAt, ackAt + FANOUT_GRACE_NANOS)) {
                        continue;
                    }
                    fanoutExpected++;
                    if (member.received()[sender.index() - firstMember].get(s)) {
                        fanoutDelivered++;
                    } else if (problems.size() < 40) {
                        problems.add("c" + m + " missed message " + sender.index() + "/" + s);
                    }
                }
            }
        }
    }

    private static boolean connectedThroughout(RolloverClient.Snapshot c, long from, long to) {
        for (long[] i : c.intervals()) {
            if (i[0] <= from && i[1] >= to) {
                return true;
            }
        }
        return false;
    }

    void check(String name, boolean passed, String detail) {
        checks.add(new Check(name, passed, detail));
    }

    long passed() {
        return checks.stream().filter(Check::passed).count();
    }

    long failed() {
        return checks.size() - passed();
    }

    String summary() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("clients %d, rollovers %d, run %.1f s%n", clients, rounds.size(), durationMillis / 1000.0));
        b.append(String.format("messages: sent %d, acked %d, errored %d, lost %d, re-sent after bye %d%n",
                sent, acked, errored, lost, resends));
        b.append(String.format("duplicates: delivered twice %d, counted twice %d%n", duplicateDeliveries, countedTwice));
        b.append(String.format("totals: continued correctly %d/%d clients, stored in Redis correctly %d/%d%n",
                totalsCorrect, clients, storedTotalsCorrect, clients));
        b.append(String.format("fan-out: %d of %d deliveries to members connected throughout%n", fanoutDelivered, fanoutExpected));
        b.append(String.format("receiver side: %d of %d deliveries to every member (reconnecting ones included);"
                        + " resumes recovered %d, not recovered %d; offsets out of order %d, gaps %d, resets %d%n",
                receiverDelivered, receiverExpected, recoveredTrue, recoveredFalse, offsetRepeats, offsetGaps, resets));
        if (failoverPromotedMillis >= 0) {
            b.append(String.format("redis failover between rollovers 1 and 2: new primary %d ms after the kill,"
                    + " the serving instance writing through it after %d ms%n", failoverPromotedMillis, failoverWritingMillis));
        }
        b.append(String.format("resumes: %d messages replayed in all, at most %d to one client (the window must hold that)%n",
                missed, maxMissed));
        for (Round r : rounds) {
            b.append(String.format("rollover %d: %s -> %s: %d clients moved, all re-established %d ms after SIGTERM,"
                            + " peak %d handshakes/s on %s, old instance exit %d after %d ms%n",
                    r.number(), r.from(), r.to(), r.clientsMoved(), r.reestablishedMillis(), r.peakHandshakesPerSecond(),
                    r.to(), r.exitCode(), r.exitMillis()));
            b.append(String.format("  clients: last bye read %d ms after SIGTERM; %s%n", r.lastByeReadMillis(),
                    r.proxy() == null ? "proxy: not read" : r.proxy().describe()));
        }
        b.append(String.format("seen by clients: byes %d, refused with 1013 %d, handshakes failed or never welcomed %d,"
                        + " welcomed connections ended without bye %d, bye not followed by 1001 %d, unanswered for %d s on an open connection %d,"
                        + " error frames %s, answers for unknown ids %d%n",
                byes, refused1013, handshakeFailures, closedWithoutBye, closeAfterByeNot1001,
                RolloverClient.ANSWER_TIMEOUT_MILLIS / 1000, answerTimeouts, errorCodes, answersForUnknownIds));
        for (Check c : checks) {
            b.append(String.format("  [%s] %s: %s%n", c.passed() ? "pass" : "FAIL", c.name(), c.detail()));
        }
        if (!problemKinds.isEmpty()) {
            b.append("problems seen by clients (count, example):\n");
            problemKinds.forEach((k, n) -> b.append(String.format("  %6d  %s%n", n, problemExamples.get(k))));
        }
        if (!problems.isEmpty()) {
            b.append("fan-out misses (first ").append(Math.min(20, problems.size())).append("):\n");
            problems.stream().limit(20).forEach(p -> b.append("  ").append(p).append('\n'));
        }
        b.append(String.format("rollover: %d passed, %d failed", passed(), failed()));
        return b.toString();
    }
}
