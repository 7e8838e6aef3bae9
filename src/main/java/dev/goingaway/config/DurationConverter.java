package dev.goingaway.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.microprofile.config.spi.Converter;

/**
 * Lets operators write durations the way Kubernetes and Docker do ({@code 8s}, {@code 250ms},
 * {@code 24h}) as well as ISO-8601 ({@code PT8S}). A bare number is refused: a unit-less
 * timeout is the classic source of "was that seconds or milliseconds?" outages.
 */
public class DurationConverter implements Converter<Duration> {

    private static final long serialVersionUID = 1L;
    private static final Pattern SIMPLE = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    /** Parses {@code 250ms}, {@code 8s}, {@code 5m}, {@code 24h}, {@code 1d} or ISO-8601. */
    public static Duration parse(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("empty duration");
        }
        String text = value.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIMPLE.matcher(text);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            switch (m.group(2)) {
                case "ms": return Duration.ofMillis(n);
                case "s": return Duration.ofSeconds(n);
                case "m": return Duration.ofMinutes(n);
                case "h": return Duration.ofHours(n);
                default: return Duration.ofDays(n);
            }
        }
        try {
            Duration d = Duration.parse(value.trim().toUpperCase(Locale.ROOT));
            if (d.isNegative()) {
                throw new IllegalArgumentException("negative duration: " + value);
            }
            return d;
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException(
                    "not a duration: '" + value + "' (use 250ms, 8s, 5m, 24h or ISO-8601 like PT8S)", e);
        }
    }
}
