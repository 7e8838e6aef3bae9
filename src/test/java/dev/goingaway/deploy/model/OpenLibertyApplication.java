package dev.goingaway.deploy.model;

import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;

/**
 * {@code apps.openliberty.io/v1 OpenLibertyApplication}, the part of its schema (Open Liberty
 * Operator 1.6 CRD) this repository uses. Nested Kubernetes types are fabric8's, so unknown fields
 * there land in their additional properties and are caught by the same walk as everywhere else.
 * The schema has no field for a lifecycle hook or for terminationGracePeriodSeconds.
 */
public record OpenLibertyApplication(String apiVersion, String kind, ObjectMeta metadata, Spec spec) {

    public record Spec(
            String applicationImage,
            String applicationName,
            String applicationVersion,
            String pullPolicy,
            String pullSecret,
            Integer replicas,
            Boolean manageTLS,
            Boolean expose,
            Boolean disableServiceLinks,
            Service service,
            Route route,
            Deployment deployment,
            ServiceAccount serviceAccount,
            List<EnvVar> env,
            List<EnvFromSource> envFrom,
            Probes probes,
            ResourceRequirements resources,
            SecurityContext securityContext) {
    }

    /** {@code spec.service}: the Service the operator makes; {@code targetPort} defaults to {@code port}. */
    public record Service(String type, Integer port, Integer targetPort, String portName, Integer nodePort,
                          Map<String, String> annotations) {
    }

    /** {@code spec.route}: the Route the operator makes on OpenShift when {@code expose} is true. */
    public record Route(Map<String, String> annotations, String host, String path, String pathType,
                        String termination, String insecureEdgeTerminationPolicy, String certificateSecretRef) {
    }

    /** {@code spec.deployment}. */
    public record Deployment(DeploymentStrategy updateStrategy, Map<String, String> annotations) {
    }

    /** {@code spec.serviceAccount}. */
    public record ServiceAccount(String name, Boolean mountToken) {
    }

    /** {@code spec.probes}: Kubernetes probes, one per MicroProfile Health endpoint. */
    public record Probes(Probe startup, Probe liveness, Probe readiness) {
    }
}
