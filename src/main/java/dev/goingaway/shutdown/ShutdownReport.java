package dev.goingaway.shutdown;

import java.util.Map;

import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * What one drain did, kept in the store under {@code goingaway:shutdown:<instance>} so an
 * operator can read it after the pod is gone. Times are milliseconds since the drain started;
 * {@code cpuMillis} is the processor time the whole JVM used meanwhile (all cores, -1 if the
 * platform does not say), which tells a drain that waited from one that worked.
 */
@JsonbPropertyOrder({"instance", "cause", "startedAt", "durationMs", "sessions", "byesSent", "byeFailures",
        "closed", "closeFailures", "leftOpen", "inFlightAtStart", "inFlightLeft", "sessionsSaved", "storeError",
        "cpuMillis", "phases"})
public record ShutdownReport(
        String instance,
        String cause,
        String startedAt,
        long durationMs,
        int sessions,
        int byesSent,
        int byeFailures,
        int closed,
        int closeFailures,
        int leftOpen,
        int inFlightAtStart,
        int inFlightLeft,
        int sessionsSaved,
        String storeError,
        long cpuMillis,
        Map<String, Long> phases) {
}
