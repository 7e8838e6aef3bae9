package dev.goingaway.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

import dev.goingaway.deploy.model.OpenLibertyApplication;
import dev.goingaway.deploy.model.OpenLibertyApplication.Spec;

/**
 * The Open Liberty Operator variant keeps the same promises with what the operator can express.
 * It has no preStop and no terminationGracePeriodSeconds, so the app's own drain delay stands in
 * for preStop and the pod default of 30 s must cover the app's bound.
 */
class OperatorVariantTest {

    /** The pod's grace period when nobody sets it: the operator cannot. */
    private static final Duration KUBERNETES_DEFAULT_GRACE = Duration.ofSeconds(30);

    private final Overlay overlay = Overlay.of("k8s/overlays/operator");
    private final OpenLibertyApplication app = overlay.all(OpenLibertyApplication.class).stream().findFirst()
            .orElseThrow(() -> new AssertionError("the operator overlay has an OpenLibertyApplication"));
    private final Spec spec = app.spec();
    private final String where = "k8s/overlays/operator OpenLibertyApplication/" + app.metadata().getName();

    private Map<String, String> env() {
        return overlay.effectiveEnv(where, spec.envFrom(), spec.env());
    }

    /** Port the operator gives the container: service.targetPort, else service.port. */
    private int containerPort() {
        assertNotNull(spec.service(), where + ": spec.service is set");
        Integer p = spec.service().targetPort() != null ? spec.service().targetPort() : spec.service().port();
        assertNotNull(p, where + ": spec.service.port is set (the operator's default is 9443 with TLS)");
        return p;
    }

    @Test
    void theOperatorsSchemaHasNoPreStopAndNoGracePeriod() {
        List<String> fields = Arrays.stream(Spec.class.getRecordComponents()).map(c -> c.getName()).toList();
        assertFalse(fields.contains("lifecycle") || fields.contains("terminationGracePeriodSeconds"),
                "the modelled operator schema has neither field; if it gains one, use it and revisit this variant");
    }

    @Test
    void servesPlainHttpOnTheServersPort() {
        assertEquals(Boolean.FALSE, spec.manageTLS(), where + ": manageTLS is false (true switches the service to TLS on 9443)");
        assertEquals(Project.serverXml().httpPort(), containerPort(), where + ": the service targets server.xml's http.port");
    }

    @Test
    void probesAskTheHealthEndpointsOnTheServersHttpPort() {
        assertNotNull(spec.probes(), where + ": probes are spelled out");
        int port = containerPort();
        Checks.probes(where, spec.probes().startup(), spec.probes().liveness(), spec.probes().readiness(),
                p -> p.getIntVal() != null ? p.getIntVal() : (p.getStrVal().equals(spec.service().portName()) ? port : -1),
                Project.serverXml().httpPort());
        Checks.probeThresholds(where, spec.probes().startup(), spec.probes().liveness(), spec.probes().readiness());
    }

    @Test
    void theAppsDrainDelayStandsInForPreStop() {
        Map<String, String> env = env();
        Duration delay = AppFacts.duration(env, "SHUTDOWN_DRAIN_DELAY");
        Duration deadline = AppFacts.duration(env, "SHUTDOWN_DEADLINE");
        assertTrue(delay.toSeconds() >= 3,
                where + ": without preStop, SHUTDOWN_DRAIN_DELAY keeps serving at least 3 s while endpoints and routers let go: " + delay);
        assertTrue(delay.multipliedBy(2).compareTo(deadline) <= 0,
                where + ": SHUTDOWN_DRAIN_DELAY " + delay + " is at most half of SHUTDOWN_DEADLINE " + deadline + ", or the app silently cuts it");
    }

    @Test
    void thePodDefaultGracePeriodCoversTheAppsBound() {
        Duration bound = AppFacts.hardBound(env());
        assertTrue(KUBERNETES_DEFAULT_GRACE.compareTo(bound.plus(AppFacts.MIN_MARGIN)) >= 0,
                where + ": the default 30 s grace covers the app's bound " + bound.toMillis() + " ms + margin");
        assertTrue(bound.compareTo(AppFacts.PROMISE) <= 0, where + ": the process is gone within the 10 s promise: " + bound);
    }

    @Test
    void updatesRollWithoutEverDroppingBelowTheWantedReadyPods() {
        assertNotNull(spec.deployment(), where + ": spec.deployment is set");
        Checks.rollingUpdate(where, spec.deployment().updateStrategy());
        assertTrue(spec.replicas() != null && spec.replicas() >= 2, where + ": at least 2 replicas");
    }

    @Test
    void runsAsNonRootWithNothingExtra() {
        Checks.restricted(where, null, null, spec.securityContext());
        Checks.resources(where, spec.resources());
        Checks.pinnedImage(where, spec.applicationImage());
        assertEquals(Project.pom().artifactId(), Checks.imageName(spec.applicationImage()), where + ": runs this project's image");
    }

    @Test
    void everyEnvironmentVariableIsReadByTheAppAndParses() {
        Map<String, String> env = env();
        List<String> problems = new ArrayList<>();
        env.forEach((name, value) -> problems.addAll(AppFacts.checkEnv(where, name, value.startsWith(Overlay.FIELD_REF) ? null : value)));
        assertEquals(List.of(), problems, where + ": every environment name is a setting of the app or of Liberty, with a valid value");
        assertEquals(Overlay.FIELD_REF + "metadata.name>", env.get("INSTANCE_ID"), where + ": INSTANCE_ID is the pod's name");
        List<String> fromSecret = overlay.secretSourced(spec.envFrom(), spec.env());
        AppFacts.SECRET_ENV.forEach(s -> assertTrue(fromSecret.contains(s), where + ": " + s + " comes from a Secret"));
    }

    @Test
    void theRouteKeepsIdleWebSocketsOpen() {
        assertEquals(Boolean.TRUE, spec.expose(), where + ": expose makes the operator create the Route");
        assertNotNull(spec.route(), where + ": spec.route is set");
        KubernetesConsistencyTest.assertTunnelOutlastsHeartbeat(where + " spec.route", spec.route().annotations(), env());
        assertEquals("edge", spec.route().termination(), where + ": TLS ends at the router");
    }

    @Test
    void theDisruptionBudgetSelectsThePodsTheOperatorMakes() {
        List<PodDisruptionBudget> pdbs = overlay.all(PodDisruptionBudget.class);
        assertEquals(1, pdbs.size(), "the operator overlay has one PodDisruptionBudget (the operator makes none)");
        Map<String, String> selector = pdbs.get(0).getSpec().getSelector().getMatchLabels();
        Map<String, String> podLabels = operatorPodLabels(app.metadata(), spec);
        assertTrue(podLabels.entrySet().containsAll(selector.entrySet()),
                "the PodDisruptionBudget selector " + selector + " matches the labels the operator puts on its pods " + podLabels);
        IntOrString max = pdbs.get(0).getSpec().getMaxUnavailable();
        assertTrue(max != null && !Checks.isZero(max), "maxUnavailable above 0, so node drains are never blocked for good");
    }

    /**
     * The labels Open Liberty Operator 1.6 puts on everything it makes for a CR
     * ({@code OpenLibertyApplication.GetLabels()}): instance and name are the CR's name, the CR's
     * own labels are added except instance.
     */
    static Map<String, String> operatorPodLabels(ObjectMeta meta, Spec spec) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put("app.kubernetes.io/instance", meta.getName());
        l.put("app.kubernetes.io/name", meta.getName());
        l.put("app.kubernetes.io/managed-by", "open-liberty-operator");
        l.put("app.kubernetes.io/component", "backend");
        l.put("app.kubernetes.io/part-of", spec.applicationName());
        if (spec.applicationVersion() != null) {
            l.put("app.kubernetes.io/version", spec.applicationVersion());
        }
        meta.getLabels().forEach((k, v) -> {
            if (!k.equals("app.kubernetes.io/instance")) {
                l.put(k, v);
            }
        });
        return l;
    }
}
