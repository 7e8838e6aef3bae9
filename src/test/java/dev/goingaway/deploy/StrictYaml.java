package dev.goingaway.deploy;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Collections;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * YAML read the way the API server and Compose read it, but stricter than Jackson's defaults:
 * duplicate keys, a string where a number belongs ({@code replicas: "2"}), a number where a
 * string belongs ({@code value: 8}), a fraction for an integer, or an unknown field anywhere in
 * a typed model are all errors.
 */
final class StrictYaml {

    /** One YAML document of a file, as a tree. */
    record Doc(String source, int index, JsonNode node) {

        String where() {
            return index == 0 ? source : source + " (document " + (index + 1) + ")";
        }
    }

    static final ObjectMapper MAPPER = strictMapper();

    private StrictYaml() {
    }

    private static ObjectMapper strictMapper() {
        ObjectMapper m = JsonMapper.builder()
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .build();
        // Kubernetes and Compose refuse `value: 8` for a string field; Jackson would accept it.
        m.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        m.coercionConfigDefaults().setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        return m;
    }

    static List<Doc> load(Path file) {
        return load(Project.relative(file), Project.read(file));
    }

    /** Every non-empty document of a YAML text; {@code source} names it in messages. */
    static List<Doc> load(String source, String text) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(20);
        Yaml yaml = new Yaml(new SafeConstructor(options));
        List<Doc> docs = new ArrayList<>();
        int i = 0;
        try {
            for (Object o : yaml.loadAll(text)) {
                if (o != null) {
                    docs.add(new Doc(source, i, MAPPER.valueToTree(o)));
                }
                i++;
            }
        } catch (RuntimeException e) {
            throw new AssertionError(source + " is not valid YAML: " + e.getMessage(), e);
        }
        return docs;
    }

    /** Binds a tree to a typed model; a wrong type or an unknown field of a strict type fails with its path. */
    static <T> T bind(Doc doc, JsonNode node, Class<T> type) {
        try {
            return MAPPER.treeToValue(node, type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new AssertionError(doc.where() + ": does not fit " + type.getSimpleName() + ": "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /**
     * Every field a model did not know: fabric8 types keep unknown fields in
     * {@code getAdditionalProperties()} instead of failing, so the whole object graph is walked.
     * Returns JSON paths such as {@code spec.template.spec.containers[0].readinesProbe}.
     */
    static List<String> unknownFields(Object model) {
        List<String> out = new ArrayList<>();
        walk(model, "", out, Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    private static void walk(Object o, String path, List<String> out, Set<Object> seen) {
        if (o == null || o instanceof CharSequence || o instanceof Number || o instanceof Boolean
                || o instanceof Enum<?> || o instanceof JsonNode || !seen.add(o)) {
            return;
        }
        if (o instanceof Map<?, ?> map) {
            map.forEach((k, v) -> walk(v, path + "[" + k + "]", out, seen));
            return;
        }
        if (o instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                walk(item, path + "[" + i++ + "]", out, seen);
            }
            return;
        }
        Class<?> c = o.getClass();
        if (!isModel(c)) {
            return;
        }
        if (c.isRecord()) {
            for (RecordComponent rc : c.getRecordComponents()) {
                try {
                    walk(rc.getAccessor().invoke(o), join(path, jsonName(rc.getAccessor().getAnnotation(JsonProperty.class), rc.getName())), out, seen);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
            return;
        }
        for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) {
                    continue;
                }
                Object value = read(f, o);
                if (f.getName().equals("additionalProperties") && value instanceof Map<?, ?> extra) {
                    extra.keySet().forEach(key -> out.add(join(path, String.valueOf(key))));
                } else {
                    walk(value, join(path, jsonName(f.getAnnotation(JsonProperty.class), f.getName())), out, seen);
                }
            }
        }
    }

    private static boolean isModel(Class<?> c) {
        String n = c.getName();
        return n.startsWith("io.fabric8.") || n.startsWith("dev.goingaway.deploy.");
    }

    private static Object read(Field f, Object o) {
        try {
            f.setAccessible(true);
            return f.get(o);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot read " + f, e);
        }
    }

    private static String jsonName(JsonProperty p, String fallback) {
        return p != null && !p.value().isEmpty() ? p.value() : fallback;
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }
}
