package dev.goingaway.shutdown;

import java.util.Map;

import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * What one drain did, kept in the store under {@code goingaway:shutdown:<instance>} so an
 * operator can read it after the pod is gone. Times are milliseconds since the drain started.
 */
@JsonbPropertyOrder({"instance", "cause", "startedAt", "durationMs", "sessions", "byesSent", "byeFailures",
        "closed", "closeFailures", "leftOpen", "inFlightAtStart", "inFlightLeft", "sessionsSaved", "storeError",
        "phases"})
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
        Map<String, Long> phases) {
}
