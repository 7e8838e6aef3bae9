package dev.goingaway.testing;

import java.io.IOException;

/** Reads one value from a server's {@code /metrics} (Prometheus text), for assertions. */
public final class Metrics {

    private Metrics() {
    }

    /**
     * The value of the first sample named {@code name} (with or without labels), or NaN if the
     * server has no such metric or did not answer. Counters carry MicroProfile's {@code _total}.
     */
    public static double value(LibertyProcess server, String name) {
        String body;
        try {
            var r = server.get("/metrics");
            if (r.statusCode() != 200) {
                return Double.NaN;
            }
            body = r.body();
        } catch (IOException e) {
            return Double.NaN;
        }
        for (String line : body.lines().toList()) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                String v = line.substring(line.lastIndexOf(' ') + 1);
                return Double.parseDouble(v);
            }
        }
        return Double.NaN;
    }
}
