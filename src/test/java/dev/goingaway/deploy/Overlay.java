package dev.goingaway.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Secret;

import dev.goingaway.deploy.Manifests.Manifest;

/** One kustomization built and parsed: what {@code kubectl apply -k} would send, as typed objects. */
final class Overlay {

    /** Marks an environment value that comes from the downward API rather than from text. */
    static final String FIELD_REF = "<fieldRef:";

    final String dir;
    final List<Manifest> manifests;

    private Overlay(String dir, List<Manifest> manifests) {
        this.dir = dir;
        this.manifests = manifests;
    }

    static Overlay of(String dir) {
        List<Manifest> ms = new ArrayList<>();
        Kustomize.build(Project.path(dir)).docs().forEach(d -> ms.add(Manifests.parse(d)));
        return new Overlay(dir, ms);
    }

    /** The folders a person applies: k8s/overlays/*. */
    static List<String> deployable() {
        try (Stream<Path> s = Files.list(Project.path("k8s/overlays"))) {
            return s.filter(Files::isDirectory).map(Project::relative).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every folder under k8s/ with a kustomization. */
    static List<String> kustomizations() {
        try (Stream<Path> s = Files.walk(Project.path("k8s"))) {
            return s.filter(p -> p.getFileName().toString().equals("kustomization.yaml"))
                    .map(p -> Project.relative(p.getParent())).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    <T> List<T> all(Class<T> type) {
        return manifests.stream().filter(m -> type.isInstance(m.model())).map(m -> m.as(type)).toList();
    }

    List<Manifest> manifests(Class<?> type) {
        return manifests.stream().filter(m -> type.isInstance(m.model())).toList();
    }

    <T> Optional<T> named(Class<T> type, String name) {
        return manifests.stream().filter(m -> type.isInstance(m.model()) && m.name().equals(name))
                .map(m -> m.as(type)).findFirst();
    }

    /**
     * The environment a container gets: envFrom sources in order, then env on top (as the
     * kubelet does). Fails when a referenced ConfigMap, Secret or key is not in this overlay.
     */
    Map<String, String> effectiveEnv(String where, List<EnvFromSource> envFrom, List<EnvVar> env) {
        Map<String, String> out = new LinkedHashMap<>();
        for (EnvFromSource from : envFrom == null ? List.<EnvFromSource>of() : envFrom) {
            if (from.getConfigMapRef() != null) {
                String name = from.getConfigMapRef().getName();
                ConfigMap cm = named(ConfigMap.class, name).orElseThrow(() -> new AssertionError(
                        where + ": envFrom ConfigMap " + name + " is not part of " + dir));
                out.putAll(cm.getData());
            } else if (from.getSecretRef() != null) {
                out.putAll(secretData(where, from.getSecretRef().getName()));
            }
        }
        for (EnvVar e : env == null ? List.<EnvVar>of() : env) {
            if (e.getValueFrom() == null) {
                out.put(e.getName(), e.getValue() == null ? "" : e.getValue());
            } else if (e.getValueFrom().getFieldRef() != null) {
                out.put(e.getName(), FIELD_REF + e.getValueFrom().getFieldRef().getFieldPath() + ">");
            } else if (e.getValueFrom().getSecretKeyRef() != null) {
                String secret = e.getValueFrom().getSecretKeyRef().getName();
                String key = e.getValueFrom().getSecretKeyRef().getKey();
                Map<String, String> data = secretData(where, secret);
                if (!data.containsKey(key)) {
                    throw new AssertionError(where + ": env " + e.getName() + " refers to key " + key + " missing from Secret " + secret);
                }
                out.put(e.getName(), data.get(key));
            } else if (e.getValueFrom().getConfigMapKeyRef() != null) {
                String cmName = e.getValueFrom().getConfigMapKeyRef().getName();
                String key = e.getValueFrom().getConfigMapKeyRef().getKey();
                ConfigMap cm = named(ConfigMap.class, cmName).orElseThrow(() -> new AssertionError(
                        where + ": env " + e.getName() + " refers to ConfigMap " + cmName + ", not part of " + dir));
                if (!cm.getData().containsKey(key)) {
                    throw new AssertionError(where + ": env " + e.getName() + " refers to key " + key + " missing from ConfigMap " + cmName);
                }
                out.put(e.getName(), cm.getData().get(key));
            } else {
                throw new AssertionError(where + ": env " + e.getName() + " has a valueFrom this test does not know");
            }
        }
        return out;
    }

    /** Names of the environment variables that come from a Secret (envFrom or secretKeyRef). */
    List<String> secretSourced(List<EnvFromSource> envFrom, List<EnvVar> env) {
        List<String> out = new ArrayList<>();
        for (EnvFromSource from : envFrom == null ? List.<EnvFromSource>of() : envFrom) {
            if (from.getSecretRef() != null) {
                out.addAll(secretData("", from.getSecretRef().getName()).keySet());
            } else if (from.getConfigMapRef() != null) {
                named(ConfigMap.class, from.getConfigMapRef().getName()).ifPresent(cm -> out.removeAll(cm.getData().keySet()));
            }
        }
        for (EnvVar e : env == null ? List.<EnvVar>of() : env) {
            out.remove(e.getName());
            if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
                out.add(e.getName());
            }
        }
        return out;
    }

    private Map<String, String> secretData(String where, String name) {
        Secret s = named(Secret.class, name).orElseThrow(() -> new AssertionError(
                where + ": Secret " + name + " is not part of " + dir));
        Map<String, String> out = new LinkedHashMap<>();
        s.getData().forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        out.putAll(s.getStringData());
        return out;
    }

    @Override
    public String toString() {
        return dir;
    }
}
