package dev.goingaway.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.fabric8.kubernetes.api.model.apps.Deployment;

import dev.goingaway.deploy.Manifests.Manifest;
import dev.goingaway.deploy.StrictYaml.Doc;

/**
 * Every manifest under k8s/ binds to its typed model with nothing left over; and the checker
 * itself catches the mistakes it is there for, on deliberately broken input.
 */
class ManifestModelTest {

    /** Every YAML file under k8s/ that is a manifest (not a kustomization or a patch). */
    static Stream<String> manifestFiles() throws IOException {
        List<String> patches = Overlay.kustomizations().stream()
                .flatMap(dir -> Kustomize.build(Project.path(dir)).files().stream())
                .map(Project::relative)
                .filter(f -> !f.endsWith("kustomization.yaml"))
                .filter(f -> StrictYaml.load(Project.path(f)).stream().allMatch(d -> d.node().isArray()))
                .distinct().toList();
        try (Stream<Path> s = Files.walk(Project.path("k8s"))) {
            return s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .map(Project::relative)
                    .filter(f -> !f.endsWith("kustomization.yaml") && !patches.contains(f))
                    .sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("manifestFiles")
    void everyDocumentBindsToItsTypedModelWithNoUnknownField(String file) {
        List<Doc> docs = StrictYaml.load(Project.path(file));
        assertFalse(docs.isEmpty(), file + " holds at least one document");
        for (Doc d : docs) {
            Manifest m = Manifests.parse(d);
            assertTrue(StrictYaml.unknownFields(m.model()).isEmpty(), d.where() + " has no unknown field");
        }
    }

    @Test
    void theManifestsCoverEveryKindThisDeploymentNeeds() throws IOException {
        List<String> kinds = manifestFiles()
                .flatMap(f -> StrictYaml.load(Project.path(f)).stream())
                .map(d -> Manifests.parse(d).kind()).distinct().sorted().toList();
        assertEquals(List.of("ConfigMap", "Deployment", "OpenLibertyApplication", "PodDisruptionBudget", "Route",
                "Secret", "Service"), kinds, "k8s/ holds exactly these kinds");
    }

    // --- the checker on broken input ------------------------------------------------------------

    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: demo
            spec:
              replicas: 2
              selector:
                matchLabels: {app: demo}
              template:
                metadata:
                  labels: {app: demo}
                spec:
                  containers:
                    - name: demo
                      image: demo:1
                      env:
                        - name: SHUTDOWN_DEADLINE
                          value: "8s"
                      readinessProbe:
                        httpGet: {path: /health/ready, port: 9080}
            """;

    private static AssertionError broken(String yaml) {
        return assertThrows(AssertionError.class, () -> Manifests.parse(StrictYaml.load("broken.yaml", yaml).get(0)),
                "the checker refuses this manifest");
    }

    @Test
    void theUnbrokenSampleParses() {
        Manifest m = Manifests.parse(StrictYaml.load("sample.yaml", DEPLOYMENT).get(0));
        assertEquals(2, m.as(Deployment.class).getSpec().getReplicas(), "the sample's replicas are read as a number");
    }

    @Test
    void aMisspelledFieldIsCaughtWithItsPath() {
        AssertionError e = broken(DEPLOYMENT.replace("readinessProbe:", "readinesProbe:"));
        assertTrue(e.getMessage().contains("unknown field spec.template.spec.containers[0].readinesProbe"),
                "the message names the misspelled field with its path: " + e.getMessage());
    }

    @Test
    void aMisspelledFieldDeepInsideIsCaught() {
        AssertionError e = broken(DEPLOYMENT.replace("httpGet: {path: /health/ready", "httpGet: {pth: /health/ready"));
        assertTrue(e.getMessage().contains("readinessProbe.httpGet.pth"), "a typo two levels down is found: " + e.getMessage());
    }

    @Test
    void aQuotedNumberIsAWrongType() {
        AssertionError e = broken(DEPLOYMENT.replace("replicas: 2", "replicas: \"2\""));
        assertTrue(e.getMessage().contains("does not fit Deployment"), "replicas: \"2\" is refused: " + e.getMessage());
    }

    @Test
    void anUnquotedNumberWhereAStringBelongsIsAWrongType() {
        AssertionError e = broken(DEPLOYMENT.replace("value: \"8s\"", "value: 8"));
        assertTrue(e.getMessage().contains("does not fit Deployment"), "env value: 8 is refused as the API server does: " + e.getMessage());
    }

    @Test
    void aListWhereAMapBelongsIsAWrongType() {
        AssertionError e = broken(DEPLOYMENT.replace("matchLabels: {app: demo}\n  template", "matchLabels: [app]\n  template"));
        assertTrue(e.getMessage().contains("does not fit Deployment"), "matchLabels as a list is refused: " + e.getMessage());
    }

    @Test
    void aContainerWithoutImageIsMissingARequiredPart() {
        AssertionError e = broken(DEPLOYMENT.replace("          image: demo:1\n", ""));
        assertTrue(e.getMessage().contains("containers[0].image is required"), "a missing image is reported: " + e.getMessage());
    }

    @Test
    void aSelectorTheTemplateDoesNotCarryIsRefused() {
        AssertionError e = broken(DEPLOYMENT.replace("labels: {app: demo}", "labels: {app: other}"));
        assertTrue(e.getMessage().contains("must contain spec.selector.matchLabels"), "selector/labels mismatch is reported: " + e.getMessage());
    }

    @Test
    void aProbeWithoutPortIsMissingARequiredPart() {
        AssertionError e = broken(DEPLOYMENT.replace(", port: 9080}", "}"));
        assertTrue(e.getMessage().contains("readinessProbe.httpGet.port is required"), "a probe without port is reported: " + e.getMessage());
    }

    @Test
    void aRetiredApiVersionIsRefused() {
        AssertionError e = broken(DEPLOYMENT.replace("apiVersion: apps/v1", "apiVersion: extensions/v1beta1"));
        assertTrue(e.getMessage().contains("is not one of"), "extensions/v1beta1 Deployment is refused: " + e.getMessage());
    }

    @Test
    void aDuplicateKeyIsRefused() {
        AssertionError e = assertThrows(AssertionError.class,
                () -> StrictYaml.load("dup.yaml", DEPLOYMENT.replace("  replicas: 2\n", "  replicas: 2\n  replicas: 3\n")),
                "a key given twice is an error, not last-one-wins");
        assertTrue(e.getMessage().contains("not valid YAML"), "the duplicate key is reported: " + e.getMessage());
    }

    @Test
    void aMisspelledOperatorFieldIsCaught() {
        String ola = """
                apiVersion: apps.openliberty.io/v1
                kind: OpenLibertyApplication
                metadata: {name: demo}
                spec:
                  applicationImage: demo:1
                  manageTLs: false
                """;
        AssertionError e = broken(ola);
        assertTrue(e.getMessage().contains("manageTLs"), "a field the operator's schema lacks is refused: " + e.getMessage());
    }

    @Test
    void aMisspelledFieldInsideAnOperatorProbeIsCaught() {
        String ola = """
                apiVersion: apps.openliberty.io/v1
                kind: OpenLibertyApplication
                metadata: {name: demo}
                spec:
                  applicationImage: demo:1
                  probes:
                    readiness:
                      httpGet: {path: /health/ready, port: 9080}
                      periodSecond: 5
                """;
        AssertionError e = broken(ola);
        assertTrue(e.getMessage().contains("unknown field spec.probes.readiness.periodSecond"),
                "a typo inside a Kubernetes type nested in the operator's CR is found: " + e.getMessage());
    }

    @Test
    void aRouteWithAMisspelledAnnotationFieldIsCaught() {
        String route = """
                apiVersion: route.openshift.io/v1
                kind: Route
                metadata:
                  name: demo
                  anotations: {haproxy.router.openshift.io/timeout-tunnel: 1h}
                spec:
                  to: {kind: Service, name: demo}
                """;
        AssertionError e = broken(route);
        assertTrue(e.getMessage().contains("unknown field metadata.anotations"), "metadata typos are found too: " + e.getMessage());
    }
}
