package dev.goingaway.deploy;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Duration syntaxes of the tools around the app, each read the way its tool reads it. */
final class Durations {

    private static final Pattern HAPROXY = Pattern.compile("(\\d+)(us|ms|s|m|h|d)?");
    private static final Pattern GO_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    private Durations() {
    }

    /** HAProxy time ({@code timeout tunnel 1h}, {@code inter 500ms}); a bare number is milliseconds. */
    static Duration haproxy(String text) {
        Matcher m = HAPROXY.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not an HAProxy time: " + text);
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        return switch (unit) {
            case "us" -> Duration.ofNanos(n * 1_000);
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    /** A Go duration as Compose reads {@code stop_grace_period}: {@code 15s}, {@code 1m30s}. */
    static Duration go(String text) {
        String s = text.trim();
        Matcher m = GO_PART.matcher(s);
        Duration total = Duration.ZERO;
        int at = 0;
        while (m.find() && m.start() == at) {
            double n = Double.parseDouble(m.group(1));
            long nanos = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "µs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            total = total.plusNanos(Math.round(n * nanos));
            at = m.end();
        }
        if (at != s.length() || s.isEmpty()) {
            throw new IllegalArgumentException("not a Go duration: " + text);
        }
        return total;
    }
}
