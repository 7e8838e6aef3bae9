package dev.goingaway.deploy.model;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The part of the Compose Specification that docker/compose.yml uses. Extension fields
 * ({@code x-*}) are dropped before binding, as Compose ignores them; merge keys and anchors are
 * resolved by the YAML loader.
 */
public record ComposeFile(String name, Map<String, Service> services) {

    public record Service(
            String image,
            Build build,
            @JsonProperty("container_name") String containerName,
            List<String> profiles,
            Map<String, String> environment,
            List<String> entrypoint,
            List<String> command,
            @JsonProperty("depends_on") Map<String, DependsOn> dependsOn,
            List<String> ports,
            List<String> volumes,
            Healthcheck healthcheck,
            String restart,
            @JsonProperty("stop_signal") String stopSignal,
            @JsonProperty("stop_grace_period") String stopGracePeriod,
            Boolean init) {
    }

    public record Build(String context, String dockerfile) {
    }

    public record DependsOn(String condition, Boolean restart, Boolean required) {
    }

    public record Healthcheck(List<String> test, String interval, String timeout, Integer retries,
                              @JsonProperty("start_period") String startPeriod, Boolean disable) {
    }
}
