package dev.goingaway.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.Route;

/**
 * The Kubernetes pieces agree with each other and with the app: probes, ports, the termination
 * budget, environment, references between objects. Run on every overlay a person can apply.
 */
class KubernetesConsistencyTest {

    /** One app container of a Deployment in an overlay. */
    record App(Overlay overlay, Deployment deployment, Container container) {

        String where() {
            return overlay + " Deployment/" + deployment.getMetadata().getName() + " container " + container.getName();
        }

        PodTemplateSpec template() {
            return deployment.getSpec().getTemplate();
        }

        Map<String, String> env() {
            return overlay.effectiveEnv(where(), container.getEnvFrom(), container.getEnv());
        }

        /** The port the server listens on in this container: HTTP_PORT if set, else server.xml's default. */
        int httpPort() {
            String p = env().get("HTTP_PORT");
            return p != null ? Integer.parseInt(p) : Project.serverXml().httpPort();
        }

        /** A probe or Service port, by number or by the name of a container port. */
        Integer resolve(IntOrString port) {
            if (port.getIntVal() != null) {
                return port.getIntVal();
            }
            return container.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName()))
                    .map(ContainerPort::getContainerPort).findFirst()
                    .orElseThrow(() -> new AssertionError(where() + ": no container port is named " + port.getStrVal()));
        }
    }

    static Stream<Overlay> overlays() {
        return Overlay.deployable().stream().map(Overlay::of);
    }

    /** Containers running this project's image, in every overlay that has a Deployment of it. */
    static Stream<Arguments> apps() {
        String image = Project.pom().artifactId();
        List<Arguments> out = new ArrayList<>();
        overlays().forEach(o -> o.all(Deployment.class).forEach(d -> d.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> Checks.imageName(c.getImage()).equals(image))
                .forEach(c -> out.add(Arguments.of(new App(o, d, c))))));
        return out.stream();
    }

    @Test
    void thePlainOverlaysRunTheAppAsADeployment() {
        List<String> withApp = apps().map(a -> ((App) a.get()[0]).overlay().dir).distinct().toList();
        assertEquals(List.of("k8s/overlays/kubernetes", "k8s/overlays/openshift"), withApp,
                "the kubernetes and openshift overlays deploy the app's image with a Deployment");
    }

    @ParameterizedTest
    @MethodSource("apps")
    void probesAskTheHealthEndpointsOnTheServersHttpPort(App app) {
        Container c = app.container();
        Optional<ContainerPort> http = c.getPorts().stream().filter(p -> "http".equals(p.getName())).findFirst();
        assertTrue(http.isPresent(), app.where() + ": a container port is named http");
        assertEquals(app.httpPort(), http.get().getContainerPort(), app.where() + ": containerPort http is server.xml's http.port");
        Checks.probes(app.where(), c.getStartupProbe(), c.getLivenessProbe(), c.getReadinessProbe(), app::resolve, app.httpPort());
        Checks.probeThresholds(app.where(), c.getStartupProbe(), c.getLivenessProbe(), c.getReadinessProbe());
    }

    @ParameterizedTest
    @MethodSource("apps")
    void terminationGraceCoversPreStopThenTheDrainThenAMargin(App app) {
        Duration preStop = preStopSleep(app);
        assertTrue(preStop.toSeconds() >= 3,
                app.where() + ": preStop waits at least 3 s so endpoints, kube-proxy and routers drop the pod before the drain: " + preStop);
        Duration bound = AppFacts.hardBound(app.env());
        Long grace = app.template().getSpec().getTerminationGracePeriodSeconds();
        assertNotNull(grace, app.where() + ": terminationGracePeriodSeconds is explicit");
        Duration needed = preStop.plus(bound).plus(AppFacts.MIN_MARGIN);
        assertTrue(Duration.ofSeconds(grace).compareTo(needed) >= 0, app.where() + ": terminationGracePeriodSeconds " + grace
                + " s covers preStop " + preStop.toMillis() + " ms + the app's hard bound " + bound.toMillis()
                + " ms (SHUTDOWN_DEADLINE + halt margin) + " + AppFacts.MIN_MARGIN.toSeconds() + " s margin");
        assertTrue(bound.compareTo(AppFacts.PROMISE) <= 0,
                app.where() + ": SHUTDOWN_DEADLINE keeps the process within the " + AppFacts.PROMISE.toSeconds() + " s promise after SIGTERM: " + bound);
    }

    /** After the drain the JVM ends by SIGTERM's default action, which the kernel ignores for PID 1. */
    @ParameterizedTest
    @MethodSource("apps")
    void theJvmIsNotPid1(App app) {
        assertEquals(Boolean.TRUE, app.template().getSpec().getShareProcessNamespace(),
                app.where() + ": shareProcessNamespace makes the pause process PID 1");
        assertEquals(1, app.template().getSpec().getContainers().size(),
                app.where() + ": one container, so sharing the process namespace shows it nothing new");
    }

    @ParameterizedTest
    @MethodSource("apps")
    void theDrainDelayFitsInsideTheDeadline(App app) {
        Duration delay = AppFacts.duration(app.env(), "SHUTDOWN_DRAIN_DELAY");
        Duration deadline = AppFacts.duration(app.env(), "SHUTDOWN_DEADLINE");
        // GracefulShutdown caps the delay at half of what is left of the deadline
        assertTrue(delay.multipliedBy(2).compareTo(deadline) <= 0,
                app.where() + ": SHUTDOWN_DRAIN_DELAY " + delay + " is at most half of SHUTDOWN_DEADLINE " + deadline + ", or the app silently cuts it");
    }

    @ParameterizedTest
    @MethodSource("apps")
    void updatesRollWithoutEverDroppingBelowTheWantedReadyPods(App app) {
        Checks.rollingUpdate(app.where(), app.deployment().getSpec().getStrategy());
        assertTrue(app.deployment().getSpec().getReplicas() != null && app.deployment().getSpec().getReplicas() >= 2,
                app.where() + ": at least 2 replicas, so draining clients have somewhere to go");
    }

    @ParameterizedTest
    @MethodSource("apps")
    void runsAsNonRootWithNothingExtra(App app) {
        var pod = app.template().getSpec();
        Checks.restricted(app.where(), pod.getSecurityContext() == null ? null : pod.getSecurityContext().getRunAsNonRoot(),
                pod.getSecurityContext() == null || pod.getSecurityContext().getSeccompProfile() == null ? null
                        : pod.getSecurityContext().getSeccompProfile().getType(),
                app.container().getSecurityContext());
        Checks.resources(app.where(), app.container().getResources());
        Checks.pinnedImage(app.where(), app.container().getImage());
    }

    @ParameterizedTest
    @MethodSource("apps")
    void everyEnvironmentVariableIsReadByTheAppAndParses(App app) {
        Map<String, String> env = app.env();
        List<String> problems = new ArrayList<>();
        env.forEach((name, value) -> problems.addAll(AppFacts.checkEnv(app.where(), name,
                value.startsWith(Overlay.FIELD_REF) ? null : value)));
        assertEquals(List.of(), problems, app.where() + ": every environment name is a setting of the app or of Liberty, with a valid value");
        assertEquals(Overlay.FIELD_REF + "metadata.name>", env.get("INSTANCE_ID"),
                app.where() + ": INSTANCE_ID is the pod's name, from the downward API");
        List<String> fromSecret = app.overlay().secretSourced(app.container().getEnvFrom(), app.container().getEnv());
        for (String secret : AppFacts.SECRET_ENV) {
            assertTrue(fromSecret.contains(secret), app.where() + ": " + secret + " comes from a Secret, not a ConfigMap or plain value");
        }
    }

    @ParameterizedTest
    @MethodSource("apps")
    void prometheusAnnotationsPointAtTheMetricsEndpoint(App app) {
        Map<String, String> a = app.template().getMetadata().getAnnotations();
        if (a.containsKey("prometheus.io/port")) {
            assertEquals(String.valueOf(app.httpPort()), a.get("prometheus.io/port"), app.where() + ": Prometheus scrapes the HTTP port");
            assertEquals("/metrics", a.get("prometheus.io/path"), app.where() + ": Prometheus scrapes /metrics");
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void servicesSelectPodsAndTargetTheirPorts(Overlay o) {
        for (Service s : o.all(Service.class)) {
            String where = o + " Service/" + s.getMetadata().getName();
            List<App> selected = o.all(Deployment.class).stream()
                    .filter(d -> d.getSpec().getTemplate().getMetadata().getLabels().entrySet().containsAll(s.getSpec().getSelector().entrySet()))
                    .flatMap(d -> d.getSpec().getTemplate().getSpec().getContainers().stream().map(c -> new App(o, d, c)))
                    .toList();
            assertFalse(selected.isEmpty(), where + ": its selector matches the pods of a Deployment in " + o);
            for (ServicePort p : s.getSpec().getPorts()) {
                IntOrString target = p.getTargetPort() == null ? new IntOrString(p.getPort()) : p.getTargetPort();
                boolean found = selected.stream().anyMatch(app -> app.container().getPorts().stream().anyMatch(cp ->
                        target.getIntVal() != null ? target.getIntVal().equals(cp.getContainerPort()) : target.getStrVal().equals(cp.getName())));
                assertTrue(found, where + ": targetPort " + (target.getIntVal() != null ? target.getIntVal() : target.getStrVal())
                        + " is a port of the selected containers");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void disruptionBudgetsCoverTheAppAndStillAllowEvictions(Overlay o) {
        List<PodDisruptionBudget> pdbs = o.all(PodDisruptionBudget.class);
        assertEquals(1, pdbs.size(), o + ": one PodDisruptionBudget");
        PodDisruptionBudget pdb = pdbs.get(0);
        IntOrString max = pdb.getSpec().getMaxUnavailable();
        assertTrue(max != null && !Checks.isZero(max), o + ": maxUnavailable above 0, so node drains are never blocked for good");
        for (Deployment d : o.all(Deployment.class)) {
            boolean app = d.getSpec().getTemplate().getSpec().getContainers().stream()
                    .anyMatch(c -> Checks.imageName(c.getImage()).equals(Project.pom().artifactId()));
            if (app) {
                assertTrue(d.getSpec().getTemplate().getMetadata().getLabels().entrySet()
                                .containsAll(pdb.getSpec().getSelector().getMatchLabels().entrySet()),
                        o + ": the PodDisruptionBudget selects the app's pods");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void redisUrlNamesARedisServiceOfTheOverlay(Overlay o) {
        Map<String, String> env = o.all(io.fabric8.kubernetes.api.model.Secret.class).stream()
                .filter(s -> s.getStringData().containsKey("REDIS_URL")).findFirst()
                .map(s -> s.getStringData()).orElseThrow(() -> new AssertionError(o + ": a Secret carries REDIS_URL"));
        URI url = URI.create(env.get("REDIS_URL"));
        assertEquals("redis", url.getScheme(), o + ": REDIS_URL is a redis:// URL");
        if (!url.getHost().contains(".")) {
            Service s = o.named(Service.class, url.getHost()).orElseThrow(() -> new AssertionError(
                    o + ": REDIS_URL host " + url.getHost() + " is a Service of the overlay"));
            int port = url.getPort() == -1 ? 6379 : url.getPort();
            assertTrue(s.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == port),
                    o + ": Service " + url.getHost() + " listens on REDIS_URL's port " + port);
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyImageIsPinned(Overlay o) {
        o.all(Deployment.class).forEach(d -> d.getSpec().getTemplate().getSpec().getContainers()
                .forEach(c -> Checks.pinnedImage(o + " Deployment/" + d.getMetadata().getName(), c.getImage())));
    }

    @Test
    void theOpenShiftRouteKeepsIdleWebSocketsOpenAndTargetsTheService() {
        Overlay o = Overlay.of("k8s/overlays/openshift");
        Route route = o.all(Route.class).stream().findFirst().orElseThrow(() -> new AssertionError("the openshift overlay has a Route"));
        Service service = o.named(Service.class, route.getSpec().getTo().getName()).orElseThrow(() -> new AssertionError(
                "the Route's target Service " + route.getSpec().getTo().getName() + " is in the openshift overlay"));
        IntOrString target = route.getSpec().getPort().getTargetPort();
        assertTrue(service.getSpec().getPorts().stream().anyMatch(p -> target.getStrVal() != null
                        ? target.getStrVal().equals(p.getName()) : target.getIntVal().equals(p.getTargetPort().getIntVal())),
                "the Route's targetPort is a port of Service " + service.getMetadata().getName());
        assertTunnelOutlastsHeartbeat("Route/" + route.getMetadata().getName(), route.getMetadata().getAnnotations(), apps()
                .map(a -> (App) a.get()[0]).filter(a -> a.overlay().dir.equals(o.dir)).findFirst().orElseThrow().env());
        assertEquals("edge", route.getSpec().getTls().getTermination(), "TLS ends at the router (the pods speak plain HTTP)");
    }

    /** The router's tunnel timeout must outlast the server's ping interval, or it cuts idle clients. */
    static void assertTunnelOutlastsHeartbeat(String where, Map<String, String> annotations, Map<String, String> env) {
        String tunnel = annotations.get("haproxy.router.openshift.io/timeout-tunnel");
        assertNotNull(tunnel, where + ": haproxy.router.openshift.io/timeout-tunnel is set");
        Duration heartbeat = AppFacts.duration(env, "HEARTBEAT_INTERVAL");
        assertTrue(Durations.haproxy(tunnel).compareTo(heartbeat.multipliedBy(2)) >= 0,
                where + ": the tunnel timeout " + tunnel + " is at least twice HEARTBEAT_INTERVAL " + heartbeat);
    }

    /** The preStop sleep of a container: exec sleep N, or the sleep action. */
    static Duration preStopSleep(App app) {
        LifecycleHandler pre = app.container().getLifecycle() == null ? null : app.container().getLifecycle().getPreStop();
        assertNotNull(pre, app.where() + ": a preStop hook keeps the pod serving while its endpoints are removed");
        if (pre.getSleep() != null) {
            return Duration.ofSeconds(pre.getSleep().getSeconds());
        }
        assertNotNull(pre.getExec(), app.where() + ": preStop is a sleep (exec or sleep action)");
        List<String> cmd = pre.getExec().getCommand();
        assertEquals(2, cmd.size(), app.where() + ": preStop exec is [sleep, SECONDS]: " + cmd);
        assertTrue(cmd.get(0).equals("sleep") || cmd.get(0).endsWith("/sleep"), app.where() + ": preStop runs sleep: " + cmd);
        return Duration.ofSeconds(Long.parseLong(cmd.get(1)));
    }
}
