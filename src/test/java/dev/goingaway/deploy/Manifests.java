package dev.goingaway.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.Route;

import dev.goingaway.deploy.StrictYaml.Doc;
import dev.goingaway.deploy.model.OpenLibertyApplication;

/**
 * Kubernetes and OpenShift documents as typed objects. Only the API versions a current cluster
 * serves are accepted; a document binds to its fabric8 (or {@link OpenLibertyApplication}) model
 * with no unknown field anywhere, no wrong type, and the parts the API server requires present.
 */
final class Manifests {

    /** apiVersion + "/" + kind → model. Anything else in k8s/ is a mistake (or needs adding here). */
    static final Map<String, Class<?>> KINDS = Map.of(
            "apps/v1/Deployment", Deployment.class,
            "v1/Service", Service.class,
            "v1/ConfigMap", ConfigMap.class,
            "v1/Secret", Secret.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
            "route.openshift.io/v1/Route", Route.class,
            "apps.openliberty.io/v1/OpenLibertyApplication", OpenLibertyApplication.class);

    private static final Pattern DNS_1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern CONFIG_KEY = Pattern.compile("[-._a-zA-Z0-9]+");

    private Manifests() {
    }

    /** A parsed manifest: where it came from, and its typed model. */
    record Manifest(Doc doc, String kind, String name, Object model) {

        <T> T as(Class<T> type) {
            return type.cast(model);
        }

        String where() {
            return doc.where() + " " + kind + "/" + name;
        }
    }

    /** Parses one document; fails with every problem found, each with its path. */
    static Manifest parse(Doc doc) {
        JsonNode n = doc.node();
        String apiVersion = n.path("apiVersion").asText(null);
        String kind = n.path("kind").asText(null);
        Class<?> type = KINDS.get(apiVersion + "/" + kind);
        if (type == null) {
            throw new AssertionError(doc.where() + ": apiVersion " + apiVersion + " kind " + kind
                    + " is not one of " + KINDS.keySet());
        }
        Object model = StrictYaml.bind(doc, n, type);
        List<String> problems = new ArrayList<>();
        StrictYaml.unknownFields(model).forEach(p -> problems.add("unknown field " + p));
        ObjectMeta meta = model instanceof HasMetadata h ? h.getMetadata()
                : ((OpenLibertyApplication) model).metadata();
        String name = meta == null ? null : meta.getName();
        if (name == null || !DNS_1123_LABEL.matcher(name).matches()) {
            problems.add("metadata.name missing or not a DNS-1123 label: " + name);
        }
        problems.addAll(required(model));
        if (!problems.isEmpty()) {
            throw new AssertionError(doc.where() + " " + kind + "/" + name + ":\n  " + String.join("\n  ", problems));
        }
        return new Manifest(doc, kind, name, model);
    }

    /** The parts the API server (or the operator's CRD) requires, by kind. */
    private static List<String> required(Object model) {
        List<String> p = new ArrayList<>();
        if (model instanceof Deployment d) {
            if (d.getSpec() == null || d.getSpec().getSelector() == null || d.getSpec().getSelector().getMatchLabels().isEmpty()) {
                p.add("spec.selector.matchLabels is required");
            } else if (d.getSpec().getTemplate() == null || d.getSpec().getTemplate().getMetadata() == null
                    || !d.getSpec().getTemplate().getMetadata().getLabels().entrySet()
                            .containsAll(d.getSpec().getSelector().getMatchLabels().entrySet())) {
                p.add("spec.template.metadata.labels must contain spec.selector.matchLabels");
            }
            PodSpec pod = d.getSpec() == null || d.getSpec().getTemplate() == null ? null : d.getSpec().getTemplate().getSpec();
            if (pod == null || pod.getContainers().isEmpty()) {
                p.add("spec.template.spec.containers is required");
            } else {
                for (int i = 0; i < pod.getContainers().size(); i++) {
                    p.addAll(container("spec.template.spec.containers[" + i + "]", pod.getContainers().get(i)));
                }
            }
        } else if (model instanceof Service s) {
            if (s.getSpec() == null || s.getSpec().getPorts().isEmpty()) {
                p.add("spec.ports is required");
            } else {
                for (ServicePort port : s.getSpec().getPorts()) {
                    if (port.getPort() == null) {
                        p.add("spec.ports[].port is required");
                    }
                    if (s.getSpec().getPorts().size() > 1 && port.getName() == null) {
                        p.add("spec.ports[].name is required when there is more than one port");
                    }
                }
            }
            if (s.getSpec() != null && s.getSpec().getSelector().isEmpty()) {
                p.add("spec.selector is required (a Service without one gets no endpoints)");
            }
        } else if (model instanceof ConfigMap c) {
            c.getData().keySet().stream().filter(k -> !CONFIG_KEY.matcher(k).matches())
                    .forEach(k -> p.add("data key '" + k + "' is not a valid ConfigMap key"));
        } else if (model instanceof Secret s) {
            s.getStringData().keySet().stream().filter(k -> !CONFIG_KEY.matcher(k).matches())
                    .forEach(k -> p.add("stringData key '" + k + "' is not a valid Secret key"));
            s.getData().forEach((k, v) -> {
                try {
                    java.util.Base64.getDecoder().decode(v);
                } catch (IllegalArgumentException e) {
                    p.add("data." + k + " is not base64");
                }
            });
        } else if (model instanceof PodDisruptionBudget b) {
            if (b.getSpec() == null || b.getSpec().getSelector() == null || b.getSpec().getSelector().getMatchLabels().isEmpty()) {
                p.add("spec.selector.matchLabels is required");
            }
            if (b.getSpec() != null && (b.getSpec().getMinAvailable() == null) == (b.getSpec().getMaxUnavailable() == null)) {
                p.add("exactly one of spec.minAvailable and spec.maxUnavailable is required");
            }
        } else if (model instanceof Route r) {
            if (r.getSpec() == null || r.getSpec().getTo() == null || r.getSpec().getTo().getName() == null) {
                p.add("spec.to.name is required");
            } else if (!"Service".equals(r.getSpec().getTo().getKind())) {
                p.add("spec.to.kind must be Service");
            }
        } else if (model instanceof OpenLibertyApplication a) {
            if (a.spec() == null || a.spec().applicationImage() == null || a.spec().applicationImage().isBlank()) {
                p.add("spec.applicationImage is required");
            }
            if (a.spec() != null) {
                p.addAll(envVars("spec.env", a.spec().env()));
                if (a.spec().probes() != null) {
                    p.addAll(probe("spec.probes.startup", a.spec().probes().startup()));
                    p.addAll(probe("spec.probes.liveness", a.spec().probes().liveness()));
                    p.addAll(probe("spec.probes.readiness", a.spec().probes().readiness()));
                }
            }
        }
        return p;
    }

    private static List<String> container(String path, Container c) {
        List<String> p = new ArrayList<>();
        if (c.getName() == null || !DNS_1123_LABEL.matcher(c.getName()).matches()) {
            p.add(path + ".name is required (a DNS-1123 label)");
        }
        if (c.getImage() == null || c.getImage().isBlank()) {
            p.add(path + ".image is required");
        }
        c.getPorts().stream().filter(port -> port.getContainerPort() == null)
                .forEach(port -> p.add(path + ".ports[].containerPort is required"));
        p.addAll(envVars(path + ".env", c.getEnv()));
        p.addAll(probe(path + ".startupProbe", c.getStartupProbe()));
        p.addAll(probe(path + ".livenessProbe", c.getLivenessProbe()));
        p.addAll(probe(path + ".readinessProbe", c.getReadinessProbe()));
        return p;
    }

    private static List<String> envVars(String path, List<EnvVar> env) {
        List<String> p = new ArrayList<>();
        if (env == null) {
            return p;
        }
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (EnvVar e : env) {
            if (e.getName() == null) {
                p.add(path + "[].name is required");
                continue;
            }
            if (seen.merge(e.getName(), 1, Integer::sum) > 1) {
                p.add(path + " sets " + e.getName() + " twice");
            }
            if (e.getValue() != null && e.getValueFrom() != null) {
                p.add(path + "[" + e.getName() + "] has both value and valueFrom");
            }
        }
        return p;
    }

    private static List<String> probe(String path, Probe probe) {
        List<String> p = new ArrayList<>();
        if (probe == null) {
            return p;
        }
        int handlers = (probe.getHttpGet() != null ? 1 : 0) + (probe.getTcpSocket() != null ? 1 : 0)
                + (probe.getExec() != null ? 1 : 0) + (probe.getGrpc() != null ? 1 : 0);
        if (handlers != 1) {
            p.add(path + " needs exactly one of httpGet, tcpSocket, exec, grpc");
        }
        if (probe.getHttpGet() != null && probe.getHttpGet().getPort() == null) {
            p.add(path + ".httpGet.port is required");
        }
        if (probe.getTcpSocket() != null && probe.getTcpSocket().getPort() == null) {
            p.add(path + ".tcpSocket.port is required");
        }
        return p;
    }
}
