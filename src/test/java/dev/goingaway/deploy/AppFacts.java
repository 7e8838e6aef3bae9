package dev.goingaway.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

import dev.goingaway.config.DurationConverter;
import dev.goingaway.config.Settings;
import dev.goingaway.shutdown.DrainBudget;

/**
 * What the application itself reads and promises, taken from its compiled classes so that the
 * deployment files are checked against the code, not against a copy of it.
 */
final class AppFacts {

    /**
     * Environment variables Liberty and the Open Liberty image honour besides server.xml's own
     * variables. Anything else set on the app container is a typo or a leftover.
     */
    static final Set<String> LIBERTY_ENV = Set.of(
            "WLP_LOGGING_CONSOLE_FORMAT", "WLP_LOGGING_CONSOLE_LOGLEVEL", "WLP_LOGGING_CONSOLE_SOURCE",
            "WLP_LOGGING_MESSAGE_FORMAT", "WLP_LOGGING_MESSAGE_SOURCE", "WLP_LOGGING_JSON_FIELD_MAPPINGS",
            "JAVA_TOOL_OPTIONS", "OPENJ9_JAVA_OPTIONS", "TZ");

    /** Settings whose values may carry credentials: they must come from a Secret. */
    static final Set<String> SECRET_ENV = Set.of("BROADCAST_TOKEN", "REDIS_URL");

    /** Whole-process bound after SIGTERM that the service promises (DESIGN.md). */
    static final Duration PROMISE = Duration.ofSeconds(10);

    /** Margin the tests demand between the app's own bound and a platform's SIGKILL. */
    static final Duration MIN_MARGIN = Duration.ofSeconds(2);

    /** The MicroProfile Health endpoints and the annotation whose checks feed each. */
    static final Map<String, Class<? extends Annotation>> HEALTH_PATHS = Map.of(
            "/health/started", Startup.class,
            "/health/live", Liveness.class,
            "/health/ready", Readiness.class);

    private AppFacts() {
    }

    /** One {@code @ConfigProperty} of {@link Settings}. */
    record ConfigKey(String key, String env, Class<?> type, String defaultValue) {
    }

    /**
     * The MicroProfile Config rule for environment variables: every character that is not a
     * letter or digit becomes '_', then the whole name is upper-cased.
     */
    static String envName(String key) {
        StringBuilder b = new StringBuilder(key.length());
        for (char c : key.toCharArray()) {
            b.append(c < 128 && Character.isLetterOrDigit(c) ? c : '_');
        }
        return b.toString().toUpperCase(Locale.ROOT);
    }

    private static List<ConfigKey> configKeys;
    private static Set<Class<? extends Annotation>> healthKinds;

    /** The {@code @ConfigProperty} fields of {@link Settings}, read once per test run. */
    static synchronized List<ConfigKey> configKeys() {
        if (configKeys == null) {
            configKeys = List.copyOf(readConfigKeys());
        }
        return configKeys;
    }

    private static List<ConfigKey> readConfigKeys() {
        List<ConfigKey> keys = new ArrayList<>();
        for (Field f : Settings.class.getDeclaredFields()) {
            ConfigProperty p = f.getAnnotation(ConfigProperty.class);
            if (p == null) {
                continue;
            }
            Class<?> type = f.getType() == Optional.class ? String.class : f.getType();
            String def = ConfigProperty.UNCONFIGURED_VALUE.equals(p.defaultValue()) ? null : p.defaultValue();
            keys.add(new ConfigKey(p.name(), envName(p.name()), type, def));
        }
        return keys;
    }

    static Map<String, ConfigKey> configByEnv() {
        Map<String, ConfigKey> m = new LinkedHashMap<>();
        configKeys().forEach(k -> m.put(k.env(), k));
        return m;
    }

    /** server.xml's variables as environment names (Liberty applies the same rule as MP Config). */
    static Map<String, String> libertyVariableEnv() {
        Map<String, String> m = new LinkedHashMap<>();
        Project.serverXml().variableDefaults().forEach((name, def) -> m.put(envName(name), def));
        return m;
    }

    /** Every environment variable name an app container may set. */
    static Set<String> allowedEnv() {
        Set<String> s = new LinkedHashSet<>(configByEnv().keySet());
        s.addAll(libertyVariableEnv().keySet());
        s.addAll(LIBERTY_ENV);
        return s;
    }

    /**
     * Problems with one environment variable on an app container: a name nobody reads, or a value
     * the app would refuse at startup (parsed with the app's own converter).
     */
    static List<String> checkEnv(String where, String name, String value) {
        List<String> problems = new ArrayList<>();
        if (!allowedEnv().contains(name)) {
            problems.add(where + ": environment variable " + name + " is read by nobody (allowed: " + allowedEnv() + ")");
            return problems;
        }
        if (value == null) {
            return problems;
        }
        ConfigKey key = configByEnv().get(name);
        String problem = null;
        if (key != null) {
            problem = convertProblem(key.type(), value);
        } else if (name.endsWith("_PORT")) {
            problem = convertProblem(int.class, value);
        } else if (name.endsWith("JAVA_OPTIONS") && value.contains("-Xrs")) {
            problem = "-Xrs stops the JVM from handling SIGTERM, and with it the drain";
        }
        if (problem != null) {
            problems.add(where + ": " + name + "=\"" + value + "\" " + problem);
        }
        return problems;
    }

    private static String convertProblem(Class<?> type, String value) {
        if (value.isEmpty()) {
            return null; // MicroProfile Config treats an empty value as unset
        }
        try {
            if (type == Duration.class) {
                DurationConverter.parse(value);
            } else if (type == int.class || type == Integer.class) {
                Integer.parseInt(value);
            }
            return null;
        } catch (RuntimeException e) {
            return "is not a valid " + type.getSimpleName() + ": " + e.getMessage();
        }
    }

    /** A duration setting as the app would see it with this environment: the value, else the default. */
    static Duration duration(Map<String, String> env, String name) {
        ConfigKey key = configByEnv().get(name);
        if (key == null || key.type() != Duration.class) {
            throw new IllegalArgumentException(name + " is not a duration setting of Settings");
        }
        String v = env.get(name);
        return DurationConverter.parse(v == null || v.isEmpty() ? key.defaultValue() : v);
    }

    /** How long after SIGTERM the app halts the JVM at the latest: deadline + the watchdog's margin. */
    static Duration hardBound(Map<String, String> env) {
        return duration(env, "SHUTDOWN_DEADLINE").plusMillis(haltMarginMillis());
    }

    static long haltMarginMillis() {
        try {
            Field f = DrainBudget.class.getDeclaredField("HALT_MARGIN");
            if (!Modifier.isStatic(f.getModifiers())) {
                throw new AssertionError("DrainBudget.HALT_MARGIN is no longer a constant");
            }
            f.setAccessible(true);
            return ((java.time.Duration) f.get(null)).toMillis();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("DrainBudget.HALT_MARGIN not found: the tests compute the hard bound from it", e);
        }
    }

    /** The health annotations that at least one compiled {@link HealthCheck} of the app carries. */
    static synchronized Set<Class<? extends Annotation>> healthKinds() {
        if (healthKinds == null) {
            healthKinds = Set.copyOf(readHealthKinds());
        }
        return healthKinds;
    }

    private static Set<Class<? extends Annotation>> readHealthKinds() {
        Set<Class<? extends Annotation>> kinds = new LinkedHashSet<>();
        for (Class<?> c : mainClasses()) {
            if (HealthCheck.class.isAssignableFrom(c)) {
                for (Class<? extends Annotation> a : List.of(Startup.class, Liveness.class, Readiness.class)) {
                    if (c.isAnnotationPresent(a)) {
                        kinds.add(a);
                    }
                }
            }
        }
        return kinds;
    }

    private static List<Class<?>> mainClasses() {
        Path classes;
        try {
            classes = Paths.get(Settings.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        List<Class<?>> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                String name = classes.relativize(p).toString().replace('/', '.').replace('\\', '.');
                name = name.substring(0, name.length() - ".class".length());
                if (!name.endsWith("package-info")) {
                    out.add(Class.forName(name, false, AppFacts.class.getClassLoader()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }
}
