package dev.goingaway.deploy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.goingaway.deploy.HaproxyConfig.Section;
import dev.goingaway.deploy.model.ComposeFile;
import dev.goingaway.deploy.model.ComposeFile.Service;

/** The consistency rules between the Compose file, haproxy.cfg and the app; each returns its problems. */
final class ComposeRules {

    private ComposeRules() {
    }

    /**
     * Compose's SIGKILL comes after the app's own bound, with margin; the signal is SIGTERM; an init
     * process is PID 1, so that the JVM can end itself by SIGTERM after the drain.
     */
    static List<String> stopBudget(ComposeFile f) {
        List<String> p = new ArrayList<>();
        Compose.apps(f).forEach((name, s) -> {
            if (!"SIGTERM".equals(s.stopSignal())) {
                p.add(name + ": stop_signal is " + s.stopSignal() + ", not SIGTERM");
            }
            if (!Boolean.TRUE.equals(s.init())) {
                p.add(name + ": init is not true: the JVM would be PID 1, where the kernel ignores the SIGTERM it ends itself"
                        + " with after the drain (it then halts, ~0.3 s later)");
            }
            if (s.stopGracePeriod() == null) {
                p.add(name + ": stop_grace_period is not set (Compose's default is 10 s, below the app's bound plus margin)");
                return;
            }
            Duration grace = Durations.go(s.stopGracePeriod());
            Duration bound = AppFacts.hardBound(Compose.env(s));
            if (grace.compareTo(bound.plus(AppFacts.MIN_MARGIN)) < 0) {
                p.add(name + ": stop_grace_period " + s.stopGracePeriod() + " is below the app's bound " + bound.toMillis()
                        + " ms (SHUTDOWN_DEADLINE + halt margin) + " + AppFacts.MIN_MARGIN.toSeconds() + " s margin");
            }
            if (bound.compareTo(AppFacts.PROMISE) > 0) {
                p.add(name + ": SHUTDOWN_DEADLINE makes the app's bound " + bound.toMillis() + " ms, beyond the 10 s promise");
            }
        });
        return p;
    }

    /** Every variable on an app service is read by the app or Liberty, with a value it accepts. */
    static List<String> environment(ComposeFile f) {
        List<String> p = new ArrayList<>();
        Compose.apps(f).forEach((name, s) -> Compose.env(s).forEach((k, v) -> p.addAll(AppFacts.checkEnv(name, k, v))));
        return p;
    }

    /** HAProxy takes a draining instance out (one failed /health/ready check) before the app says bye. */
    static List<String> drainVersusHealthCheck(ComposeFile f, HaproxyConfig h) {
        List<String> p = new ArrayList<>();
        Section backend = h.section("backend", "app").orElse(null);
        if (backend == null) {
            p.add("haproxy.cfg has no backend app");
            return p;
        }
        String send = backend.line("http-check", "send").map(l -> String.join(" ", l)).orElse("");
        String old = backend.line("option", "httpchk").map(l -> String.join(" ", l)).orElse("");
        if (!send.matches(".*meth GET uri /health/ready(\\s.*)?") && !old.matches("option httpchk GET /health/ready.*")) {
            p.add("haproxy.cfg backend app checks GET /health/ready (option httpchk + http-check send)");
        }
        if (backend.line("option", "httpchk").isEmpty()) {
            p.add("haproxy.cfg backend app has option httpchk (else checks are plain TCP and a draining instance stays UP)");
        }
        if (!backend.line("http-check", "expect", "status", "200").isPresent()) {
            p.add("haproxy.cfg backend app expects status 200 from /health/ready");
        }
        for (List<String> line : backend.lines()) {
            if (line.contains("on-marked-down") || line.contains("shutdown-sessions")) {
                p.add("haproxy.cfg cuts open sessions when a server goes DOWN (" + String.join(" ", line)
                        + "): the app must say bye itself");
            }
        }
        // A survivor's check waits in the same queue as the reconnect storm's upgrades (up to 7.5 s
        // at 5,000 clients): a check timeout of 'inter' (the default) takes it out of service.
        Duration check = h.setting(backend, "timeout", "check").map(l -> Durations.haproxy(l.get(2))).orElse(Duration.ZERO);
        if (check.compareTo(Duration.ofSeconds(5)) < 0) {
            p.add("haproxy.cfg sets no 'timeout check' of at least 5s (got " + check + "): a survivor busy with a "
                    + "rollover's reconnects would fail its check and be taken out");
        }
        List<String> defaults = backend.line("default-server").orElse(List.of());
        for (List<String> server : backend.all("server")) {
            Duration inter = Durations.haproxy(HaproxyConfig.option(server, "inter").or(() -> HaproxyConfig.option(defaults, "inter")).orElse("2s"));
            int fall = Integer.parseInt(HaproxyConfig.option(server, "fall").or(() -> HaproxyConfig.option(defaults, "fall")).orElse("3"));
            boolean checked = server.contains("check") || defaults.contains("check");
            if (!checked) {
                p.add("haproxy.cfg server " + server.get(1) + " is not health-checked");
            }
            Duration detect = inter.multipliedBy(fall);
            String host = server.get(2).split(":")[0];
            Service app = Compose.apps(f).get(host);
            if (app == null) {
                continue;
            }
            Map<String, String> env = Compose.env(app);
            Duration delay = AppFacts.duration(env, "SHUTDOWN_DRAIN_DELAY");
            if (delay.compareTo(detect) < 0) {
                p.add(host + ": SHUTDOWN_DRAIN_DELAY " + delay + " is shorter than HAProxy needs to see readiness DOWN (inter "
                        + inter + " x fall " + fall + "): new clients would still be sent to a draining instance");
            }
            if (delay.multipliedBy(2).compareTo(AppFacts.duration(env, "SHUTDOWN_DEADLINE")) > 0) {
                p.add(host + ": SHUTDOWN_DRAIN_DELAY is more than half of SHUTDOWN_DEADLINE; the app would cut it");
            }
        }
        return p;
    }

    /** The backend's servers are exactly the app services, on the port the server listens on. */
    static List<String> backendServers(ComposeFile f, HaproxyConfig h) {
        List<String> p = new ArrayList<>();
        List<String> servers = h.section("backend", "app").map(b -> b.all("server").stream().map(l -> l.get(2)).sorted().toList())
                .orElse(List.of());
        List<String> expected = Compose.apps(f).entrySet().stream().map(e -> {
            String port = Compose.env(e.getValue()).getOrDefault("HTTP_PORT", String.valueOf(Project.serverXml().httpPort()));
            return e.getKey() + ":" + port;
        }).sorted().toList();
        if (!servers.equals(expected)) {
            p.add("haproxy.cfg backend app servers " + servers + " are the app services on their HTTP port " + expected);
        }
        return p;
    }

    /** Idle WebSockets are kept by the server's pings: the tunnel timeout must outlast them. */
    static List<String> tunnelTimeout(ComposeFile f, HaproxyConfig h) {
        List<String> p = new ArrayList<>();
        Section backend = h.section("backend", "app").orElseThrow();
        List<String> tunnel = h.setting(backend, "timeout", "tunnel").orElse(null);
        if (tunnel == null) {
            p.add("haproxy.cfg sets timeout tunnel (else timeout client/server cut idle WebSockets)");
            return p;
        }
        Duration t = Durations.haproxy(tunnel.get(2));
        Compose.apps(f).forEach((name, s) -> {
            Duration heartbeat = AppFacts.duration(Compose.env(s), "HEARTBEAT_INTERVAL");
            if (t.compareTo(heartbeat.multipliedBy(2)) < 0) {
                p.add("haproxy.cfg timeout tunnel " + tunnel.get(2) + " is below twice " + name + "'s HEARTBEAT_INTERVAL " + heartbeat);
            }
        });
        return p;
    }
}
