package dev.goingaway.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.goingaway.deploy.model.ComposeFile;
import dev.goingaway.deploy.model.ComposeFile.Service;

/** docker/compose.yml and docker/haproxy.cfg agree with each other, with the image and with the app. */
class ComposeTest {

    private static final String COMPOSE = Project.read("docker/compose.yml");
    private final ComposeFile compose = Compose.load("docker/compose.yml", COMPOSE);
    private final HaproxyConfig haproxy = HaproxyConfig.parse(Project.read("docker/haproxy.cfg"));

    @Test
    void definesRedisTwoColoursAProxyAndATestClient() {
        assertEquals(Set.of("redis", "app_blue", "app_green", "proxy", "ws_probe"), compose.services().keySet(),
                "the services of the blue/green setup");
        assertEquals(Set.of("app_blue", "app_green"), Compose.apps(compose).keySet(), "blue and green run this project's image");
        assertEquals(List.of("test"), compose.services().get("ws_probe").profiles(), "the test client only starts with --profile test");
    }

    @Test
    void blueAndGreenDifferOnlyInTheirName() {
        Service blue = compose.services().get("app_blue");
        Service green = compose.services().get("app_green");
        Map<String, String> blueEnv = new LinkedHashMap<>(blue.environment());
        Map<String, String> greenEnv = new LinkedHashMap<>(green.environment());
        assertEquals("blue", blueEnv.remove("INSTANCE_ID"), "app_blue calls itself blue");
        assertEquals("green", greenEnv.remove("INSTANCE_ID"), "app_green calls itself green");
        assertEquals(blueEnv, greenEnv, "otherwise the same settings");
        assertEquals(blue, new Service(green.image(), green.build(), green.containerName(), green.profiles(), blue.environment(),
                green.entrypoint(), green.command(), green.dependsOn(), green.ports(), green.volumes(), green.healthcheck(),
                green.restart(), green.stopSignal(), green.stopGracePeriod(), green.init()), "and the same service definition");
    }

    @Test
    void theAppsAreBuiltFromTheDockerfileWithTheRepositoryAsContext() {
        Compose.apps(compose).forEach((name, s) -> {
            assertNotNull(s.build(), name + " is built here");
            Path context = Project.path("docker").resolve(s.build().context()).normalize();
            assertEquals(Project.root(), context, name + ": the build context is the repository root, so .dockerignore applies");
            assertEquals("docker/Dockerfile", s.build().dockerfile(), name + ": built from docker/Dockerfile");
            assertTrue(Files.isRegularFile(context.resolve(s.build().dockerfile())), name + ": the Dockerfile exists");
            Checks.pinnedImage(name, s.image());
        });
    }

    @Test
    void composeNeverKillsAnAppBeforeItsOwnBound() {
        assertEquals(List.of(), ComposeRules.stopBudget(compose),
                "stop_signal SIGTERM and stop_grace_period >= SHUTDOWN_DEADLINE + halt margin + margin");
    }

    @Test
    void everyVariableIsReadByTheAppAndParses() {
        assertEquals(List.of(), ComposeRules.environment(compose), "app service environments use only known names with valid values");
        assertEquals(Set.of("blue", "green"), Set.copyOf(Compose.apps(compose).values().stream()
                .map(s -> Compose.env(s).get("INSTANCE_ID")).toList()), "every colour has its own INSTANCE_ID");
    }

    @Test
    void redisUrlNamesTheRedisService() {
        Compose.apps(compose).forEach((name, s) -> {
            java.net.URI url = java.net.URI.create(Compose.env(s).get("REDIS_URL"));
            assertTrue(compose.services().containsKey(url.getHost()), name + ": REDIS_URL host " + url.getHost() + " is a service");
            assertEquals(6379, url.getPort() == -1 ? 6379 : url.getPort(), name + ": REDIS_URL uses Redis's port");
            assertFalse(String.join(" ", compose.services().get(url.getHost()).command()).contains("--port"),
                    "the Redis service listens on its default port");
            assertEquals("service_healthy", s.dependsOn().get(url.getHost()).condition(), name + " waits for Redis to be healthy");
        });
        assertNotNull(compose.services().get("redis").healthcheck(), "Redis has a healthcheck for depends_on to wait on");
    }

    @Test
    void clientsReachTheAppsOnlyThroughTheProxy() {
        Compose.apps(compose).forEach((name, s) -> assertTrue(s.ports() == null || s.ports().isEmpty(),
                name + " publishes no port: a client that bypasses the proxy is not moved by a switch"));
        String bind = haproxy.section("frontend", "chat").orElseThrow(() -> new AssertionError("haproxy.cfg has frontend chat"))
                .line("bind").orElseThrow().get(1);
        String port = bind.substring(bind.lastIndexOf(':') + 1);
        assertTrue(compose.services().get("proxy").ports().contains(port + ":" + port), "the proxy publishes its frontend port " + port);
    }

    @Test
    void theProxyUsesThisHaproxyCfg() {
        List<String> volumes = compose.services().get("proxy").volumes();
        assertTrue(volumes.contains("./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro"),
                "the proxy mounts docker/haproxy.cfg where the official image reads it");
        assertTrue(Files.isRegularFile(Project.path("docker/haproxy.cfg")), "docker/haproxy.cfg exists");
    }

    @Test
    void haproxyRoutesToBothColoursOnTheirHttpPort() {
        assertEquals(List.of(), ComposeRules.backendServers(compose, haproxy), "the backend lists app_blue and app_green on the HTTP port");
    }

    @Test
    void haproxyStopsSendingClientsToADrainingInstanceBeforeItSaysBye() {
        assertEquals(List.of(), ComposeRules.drainVersusHealthCheck(compose, haproxy),
                "HAProxy checks /health/ready and notices a drain within SHUTDOWN_DRAIN_DELAY, and never cuts open tunnels");
    }

    @Test
    void haproxyKeepsIdleWebSocketsOpen() {
        assertEquals(List.of(), ComposeRules.tunnelTimeout(compose, haproxy), "timeout tunnel outlasts the server's ping interval");
    }

    @Test
    void everyImageIsPinned() {
        compose.services().forEach((name, s) -> Checks.pinnedImage(name, s.image()));
    }

    @Test
    void dependenciesNameExistingServices() {
        compose.services().forEach((name, s) -> {
            if (s.dependsOn() != null) {
                s.dependsOn().keySet().forEach(d -> assertTrue(compose.services().containsKey(d), name + " depends on existing service " + d));
            }
        });
    }

    // --- the scripts --------------------------------------------------------------------------

    static Stream<String> scripts() throws IOException {
        try (Stream<Path> s = Files.list(Project.path("docker"))) {
            return s.filter(p -> p.toString().endsWith(".sh")).map(Project::relative).sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("scripts")
    void scriptsAreValidBashAndNameExistingServices(String script) throws Exception {
        assertTrue(Files.isExecutable(Project.path(script)), script + " is executable");
        Processes.Result r = Processes.run(30, List.of("bash", "-n", Project.path(script).toString()));
        assertEquals(0, r.exitCode(), script + " parses with bash -n: " + r.err());
        Set<String> named = new TreeSet<>();
        Matcher m = Pattern.compile("\\b(app_[a-z]+|ws_probe|redis|proxy)\\b").matcher(Project.read(script).replace("app_$to", "").replace("app_$from", ""));
        while (m.find()) {
            named.add(m.group(1));
        }
        assertTrue(compose.services().keySet().containsAll(named), script + " names only services of compose.yml: " + named);
    }

    // --- the rules on broken input ------------------------------------------------------------

    @Test
    void aMisspelledComposeFieldIsRefused() {
        AssertionError e = assertThrows(AssertionError.class,
                () -> Compose.load("broken.yml", COMPOSE.replace("stop_grace_period:", "stop_grace_periode:")),
                "Compose would reject it; so does the model");
        assertTrue(e.getMessage().contains("stop_grace_periode"), "the unknown field is named: " + e.getMessage());
    }

    @Test
    void aGracePeriodBelowTheAppsBoundIsCaught() {
        ComposeFile f = Compose.load("broken.yml", COMPOSE.replaceAll("stop_grace_period: \\S+", "stop_grace_period: 10s"));
        assertFalse(ComposeRules.stopBudget(f).isEmpty(), "10 s is below 9 s + 2 s margin");
    }

    @Test
    void anUnknownOrUnparsableVariableIsCaught() {
        ComposeFile typo = Compose.load("broken.yml", COMPOSE.replace("SHUTDOWN_DEADLINE:", "SHUTDOWN_DEADLIN:"));
        assertTrue(ComposeRules.environment(typo).stream().anyMatch(p -> p.contains("SHUTDOWN_DEADLIN ")),
                "a misspelled variable is reported");
        ComposeFile bare = Compose.load("broken.yml", COMPOSE.replace("SHUTDOWN_DEADLINE: \"8s\"", "SHUTDOWN_DEADLINE: \"8\""));
        assertTrue(ComposeRules.environment(bare).stream().anyMatch(p -> p.contains("SHUTDOWN_DEADLINE=\"8\"")),
                "a duration without unit is refused as the app refuses it");
    }

    @Test
    void cuttingTunnelsOnDownOrCheckingTooSlowlyIsCaught() {
        String cfg = Project.read("docker/haproxy.cfg");
        HaproxyConfig cutting = HaproxyConfig.parse(cfg.replace("init-addr last,libc,none", "init-addr last,libc,none on-marked-down shutdown-sessions"));
        assertTrue(ComposeRules.drainVersusHealthCheck(compose, cutting).stream().anyMatch(p -> p.contains("shutdown-sessions")),
                "on-marked-down shutdown-sessions is reported");
        HaproxyConfig slow = HaproxyConfig.parse(cfg.replace("inter 1s fall 1", "inter 2s fall 3"));
        assertTrue(ComposeRules.drainVersusHealthCheck(compose, slow).stream().anyMatch(p -> p.contains("shorter than HAProxy needs")),
                "a check slower than the drain delay is reported");
        HaproxyConfig impatient = HaproxyConfig.parse(cfg.replace("timeout check 5s", ""));
        assertTrue(ComposeRules.drainVersusHealthCheck(compose, impatient).stream().anyMatch(p -> p.contains("timeout check")),
                "a check timeout of 'inter' (no 'timeout check') is reported: a busy survivor would be taken out");
        HaproxyConfig shortTunnel = HaproxyConfig.parse(cfg.replace("timeout tunnel 1h", "timeout tunnel 30s"));
        assertFalse(ComposeRules.tunnelTimeout(compose, shortTunnel).isEmpty(), "a tunnel timeout near the ping interval is reported");
    }

    @Test
    void interpolationFollowsCompose() {
        assertEquals("", Compose.interpolate("${BROADCAST_TOKEN:-}"), "an unset variable with an empty default");
        assertEquals("50", Compose.interpolate("${CLIENTS:-50}"), "the default");
        assertEquals("$i", Compose.interpolate("$$i"), "$$ is a literal $");
        assertThrows(AssertionError.class, () -> Compose.interpolate("${TOKEN:?set it}"), "a required variable that is unset");
    }
}
