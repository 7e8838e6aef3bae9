package dev.goingaway.testing;

import java.io.IOException;
import java.net.http.HttpResponse;

/**
 * One scrape of a server's {@code /metrics} (Prometheus text), read the way an operator's
 * query would: by metric name and tags. Values of every series that matches are summed.
 */
public final class Prometheus {

    private final String text;

    private Prometheus(String text) {
        this.text = text;
    }

    /** Scrapes the server now; fails if {@code /metrics} does not answer 200. */
    public static Prometheus scrape(LibertyProcess server) throws IOException {
        HttpResponse<String> r = server.get("/metrics");
        if (r.statusCode() != 200) {
            throw new AssertionError("/metrics answered " + r.statusCode() + ": " + r.body());
        }
        return new Prometheus(r.body());
    }

    /** Scrapes, turning I/O failures into -1 values (for use inside {@link Await#until}). */
    public static double valueOrMissing(LibertyProcess server, String name, String... tags) {
        try {
            return scrape(server).value(name, tags);
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * The sum of all series named {@code name} whose labels include every {@code key=value}
     * pair of {@code tags} (given as "key", "value", ...); -1 if there is no such series.
     */
    public double value(String name, String... tags) {
        double sum = 0;
        boolean found = false;
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.charAt(0) == '#') {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            if (space < 0) {
                continue;
            }
            String metric = brace >= 0 && brace < space ? line.substring(0, brace) : line.substring(0, space).trim();
            if (!metric.equals(name)) {
                continue;
            }
            String labels = brace >= 0 ? line.substring(brace, line.indexOf('}', brace) + 1) : "";
            boolean all = true;
            for (int i = 0; i + 1 < tags.length; i += 2) {
                if (!labels.contains(tags[i] + "=\"" + tags[i + 1] + "\"")) {
                    all = false;
                    break;
                }
            }
            if (all) {
                sum += Double.parseDouble(line.substring(space + 1).trim());
                found = true;
            }
        }
        return found ? sum : -1;
    }

    public String text() {
        return text;
    }
}
