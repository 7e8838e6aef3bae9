package dev.goingaway.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;

/** Rules shared by the Deployment and the operator variant. */
final class Checks {

    private Checks() {
    }

    /**
     * The three probes go to the MicroProfile Health endpoint of their kind, over HTTP, on the
     * server's HTTP port; and the app has at least one check of each kind behind it.
     */
    static void probes(String where, Probe startup, Probe liveness, Probe readiness, Function<IntOrString, Integer> port,
                       int httpPort) {
        assertTrue(Project.serverXml().features().stream().anyMatch(f -> f.startsWith("mpHealth-")),
                "server.xml enables mpHealth, which serves /health/*");
        Map<String, Probe> byPath = Map.of("/health/started", nonNull(where + " startup probe", startup),
                "/health/live", nonNull(where + " liveness probe", liveness),
                "/health/ready", nonNull(where + " readiness probe", readiness));
        byPath.forEach((path, probe) -> {
            assertNotNull(probe.getHttpGet(), where + ": the probe for " + path + " is an httpGet");
            assertEquals(path, probe.getHttpGet().getPath(), where + ": the probe for " + path + " asks " + path);
            String scheme = probe.getHttpGet().getScheme();
            assertTrue(scheme == null || scheme.equals("HTTP"), where + ": " + path + " is probed over plain HTTP");
            assertEquals(httpPort, port.apply(probe.getHttpGet().getPort()),
                    where + ": " + path + " is probed on the server's HTTP port");
            assertTrue(AppFacts.healthKinds().contains(AppFacts.HEALTH_PATHS.get(path)),
                    "the app has a @" + AppFacts.HEALTH_PATHS.get(path).getSimpleName() + " check behind " + path);
        });
    }

    /**
     * Thresholds that fit this app: generous startup, a liveness probe that is not trigger-happy,
     * a readiness probe that notices a drain within seconds, timeouts below periods.
     */
    static void probeThresholds(String where, Probe startup, Probe liveness, Probe readiness) {
        for (Map.Entry<String, Probe> e : Map.of("startup", startup, "liveness", liveness, "readiness", readiness).entrySet()) {
            Probe p = e.getValue();
            int period = orDefault(p.getPeriodSeconds(), 10);
            int timeout = orDefault(p.getTimeoutSeconds(), 1);
            assertTrue(timeout < period, where + ": " + e.getKey() + " timeoutSeconds (" + timeout + ") is below periodSeconds (" + period + ")");
        }
        assertEquals(1, orDefault(startup.getSuccessThreshold(), 1), where + ": startup successThreshold is 1 (the API server requires it)");
        assertEquals(1, orDefault(liveness.getSuccessThreshold(), 1), where + ": liveness successThreshold is 1 (the API server requires it)");
        int startBudget = orDefault(startup.getFailureThreshold(), 3) * orDefault(startup.getPeriodSeconds(), 10);
        assertTrue(startBudget >= 30 && startBudget <= 600,
                where + ": the startup probe allows 30 s to 10 min to start (cold start measured at ~5 s, more with a cold class cache): " + startBudget + " s");
        int liveBudget = orDefault(liveness.getFailureThreshold(), 3) * orDefault(liveness.getPeriodSeconds(), 10);
        assertTrue(liveBudget >= 20, where + ": liveness tolerates at least 20 s of failures before a restart: " + liveBudget + " s");
        int readyPeriod = orDefault(readiness.getPeriodSeconds(), 10);
        assertTrue(readyPeriod <= 10, where + ": readiness is probed at least every 10 s: " + readyPeriod + " s");
    }

    static void rollingUpdate(String where, DeploymentStrategy strategy) {
        assertNotNull(strategy, where + ": an update strategy is given");
        assertEquals("RollingUpdate", strategy.getType(), where + ": updates roll");
        assertNotNull(strategy.getRollingUpdate(), where + ": rollingUpdate is set");
        assertTrue(isZero(strategy.getRollingUpdate().getMaxUnavailable()),
                where + ": maxUnavailable is 0, so a new pod is ready before an old one drains");
        IntOrString surge = strategy.getRollingUpdate().getMaxSurge();
        assertTrue(surge != null && !isZero(surge), where + ": maxSurge is above 0, or the rollout could never start");
    }

    static boolean isZero(IntOrString v) {
        return v != null && (Integer.valueOf(0).equals(v.getIntVal()) || "0%".equals(v.getStrVal()) || "0".equals(v.getStrVal()));
    }

    /** Non-root, no privilege escalation, no capabilities, the runtime's seccomp profile. */
    static void restricted(String where, Boolean podRunAsNonRoot, String podSeccomp, SecurityContext c) {
        assertNotNull(c, where + ": the container has a securityContext");
        boolean nonRoot = Boolean.TRUE.equals(c.getRunAsNonRoot()) || (c.getRunAsNonRoot() == null && Boolean.TRUE.equals(podRunAsNonRoot));
        assertTrue(nonRoot, where + ": runAsNonRoot is true");
        assertTrue(c.getRunAsUser() == null || c.getRunAsUser() != 0, where + ": runAsUser is not 0");
        assertEquals(Boolean.FALSE, c.getAllowPrivilegeEscalation(), where + ": allowPrivilegeEscalation is false");
        assertTrue(c.getPrivileged() == null || !c.getPrivileged(), where + ": not privileged");
        assertNotNull(c.getCapabilities(), where + ": capabilities are set");
        assertEquals(List.of("ALL"), c.getCapabilities().getDrop(), where + ": every capability is dropped");
        assertTrue(c.getCapabilities().getAdd().isEmpty(), where + ": no capability is added");
        String seccomp = c.getSeccompProfile() != null ? c.getSeccompProfile().getType() : podSeccomp;
        assertEquals("RuntimeDefault", seccomp, where + ": the RuntimeDefault seccomp profile applies");
    }

    /** CPU and memory requested; memory bounded, and not below what is requested. */
    static void resources(String where, ResourceRequirements r) {
        assertNotNull(r, where + ": resources are set");
        Quantity cpu = r.getRequests().get("cpu");
        Quantity memory = r.getRequests().get("memory");
        Quantity memLimit = r.getLimits().get("memory");
        assertNotNull(cpu, where + ": a CPU request is set");
        assertNotNull(memory, where + ": a memory request is set");
        assertNotNull(memLimit, where + ": a memory limit is set");
        assertTrue(Quantity.getAmountInBytes(memLimit).compareTo(Quantity.getAmountInBytes(memory)) >= 0,
                where + ": the memory limit is not below the request");
        assertTrue(Quantity.getAmountInBytes(memory).compareTo(Quantity.getAmountInBytes(new Quantity("256Mi"))) >= 0,
                where + ": at least 256Mi for Liberty, the JVM and the open sockets");
        Quantity cpuLimit = r.getLimits().get("cpu");
        if (cpuLimit != null) {
            assertTrue(Quantity.getAmountInBytes(cpuLimit).compareTo(Quantity.getAmountInBytes(cpu)) >= 0,
                    where + ": the CPU limit is not below the request");
        }
    }

    /** The image is pinned: a tag (or digest), never latest. */
    static void pinnedImage(String where, String image) {
        assertNotNull(image, where + ": an image is named");
        String last = image.substring(image.lastIndexOf('/') + 1);
        boolean digest = image.contains("@sha256:");
        assertTrue(digest || last.contains(":"), where + ": image " + image + " has a tag or digest");
        assertFalse(!digest && last.endsWith(":latest"), where + ": image " + image + " is not :latest");
    }

    /** Repository part of an image reference: {@code registry/ns/goingaway:1.0} → {@code goingaway}. */
    static String imageName(String image) {
        String noDigest = image.contains("@") ? image.substring(0, image.indexOf('@')) : image;
        String last = noDigest.substring(noDigest.lastIndexOf('/') + 1);
        return last.contains(":") ? last.substring(0, last.indexOf(':')) : last;
    }

    private static <T> T nonNull(String what, T value) {
        assertNotNull(value, what + " is set");
        return value;
    }

    private static int orDefault(Integer v, int def) {
        return v == null ? def : v;
    }
}
