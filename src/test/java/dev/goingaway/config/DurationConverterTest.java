package dev.goingaway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationConverterTest {

    @ParameterizedTest(name = "{0} = {1} ms")
    @CsvSource({"250ms,250", "8s,8000", "5m,300000", "24h,86400000", "1d,86400000", "PT8S,8000", "pt1.5s,1500", " 10 s ,10000"})
    void readsKubernetesStyleAndIsoDurations(String text, long millis) {
        assertEquals(Duration.ofMillis(millis), DurationConverter.parse(text), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"8", "", "eight seconds", "-5s", "PT-1S"})
    void refusesAmbiguousOrBrokenValues(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DurationConverter.parse(text),
                "'" + text + "' is refused");
        assertEquals(true, e.getMessage() != null && !e.getMessage().isEmpty(), "with a message");
    }
}
