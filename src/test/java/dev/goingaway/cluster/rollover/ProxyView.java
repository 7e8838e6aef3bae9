package dev.goingaway.cluster.rollover;

import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rollover as HAProxy saw it, read from its log (one line per connection, with HAProxy's own
 * timers): when the new instance answered the last upgrade, how long upgrades waited for its
 * answer, how many connects to it had to be retried (a SYN dropped by a full accept queue costs
 * the kernel's 1 s retransmit), how many clients got an HTTP error from the proxy itself, and how
 * often a health check took the new instance out. It tells the server's and the proxy's share of
 * a rollover's time from the clients' (a client JVM that lags behind welcomes late).
 *
 * @param upgrades          WebSocket upgrades the new instance answered (101), accepted after the signal
 * @param lastUpgradeMillis the last of them answered, in ms after the signal (-1 if none)
 * @param maxServerMillis   the longest an upgrade waited for the new instance's answer (HAProxy's Tr)
 * @param retriedConnects   connects to the new instance that took 1 s or more (HAProxy's Tc)
 * @param proxyErrors       requests HAProxy answered itself (503: no server UP, 504, ...)
 * @param checkTimeouts     health checks that timed out, taking a server out
 */
record ProxyView(int upgrades, long lastUpgradeMillis, long maxServerMillis, int retriedConnects, int proxyErrors,
                 int checkTimeouts) {

    // 127.0.0.1:43582 [06/Dec/2026:10:39:51.697] chat chat_servers/blue 0/0/52/64/32483 101 2434 - - ---- ...
    private static final Pattern LINE = Pattern.compile(
            "\\[(\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2}\\.\\d{3})] \\S+ \\S+/(\\S+) (-?\\d+)/(-?\\d+)/(-?\\d+)/(-?\\d+)/(-?\\d+) (\\d{3}) ");
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss.SSS", Locale.ENGLISH);

    /**
     * Reads {@code log} for the connections accepted from {@code sinceMillis} (the SIGTERM) until
     * {@code untilMillis} (the next one). Health-check timeouts have no time in the log: those of
     * the whole run are counted.
     */
    static ProxyView of(String log, String newSlot, long sinceMillis, long untilMillis) {
        int upgrades = 0;
        long last = -1;
        long maxServer = 0;
        int retried = 0;
        int errors = 0;
        int checkTimeouts = 0;
        for (String line : (Iterable<String>) log.lines()::iterator) {
            if (line.contains("Layer7 timeout") || line.contains("Layer4 timeout")) {
                checkTimeouts++;
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.find()) {
                continue;
            }
            long accepted = LocalDateTime.parse(m.group(1), DATE).atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
            if (accepted < sinceMillis || accepted >= untilMillis) {
                continue;
            }
            String server = m.group(2);
            long tw = Long.parseLong(m.group(4));
            long tc = Long.parseLong(m.group(5));
            long tr = Long.parseLong(m.group(6));
            int status = Integer.parseInt(m.group(8));
            if (status == 101 && server.equals(newSlot)) {
                upgrades++;
                last = Math.max(last, accepted + Math.max(0, tw) + Math.max(0, tc) + Math.max(0, tr) - sinceMillis);
                maxServer = Math.max(maxServer, tr);
                if (tc >= 1000) {
                    retried++;
                }
            } else if (status >= 500 || "<NOSRV>".equals(server)) {
                errors++;
            }
        }
        return new ProxyView(upgrades, last, maxServer, retried, errors, checkTimeouts);
    }

    String describe() {
        return String.format("proxy: %d upgrades, last answered %d ms after SIGTERM, longest wait for the new instance's 101 %d ms,"
                        + " %d connects retried (>= 1 s), %d proxy errors, %d health-check timeouts in the run",
                upgrades, lastUpgradeMillis, maxServerMillis, retriedConnects, proxyErrors, checkTimeouts);
    }
}
