package dev.goingaway.config;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The service's settings in one place, each with the environment variable that sets it.
 * Values are read once at startup; a bad value fails the deployment with the key's name
 * instead of surfacing later as a strange timeout. The transports' own settings sit with
 * their transport: {@code WS_TRANSPORT} (read before CDI starts, in
 * {@code dev.goingaway.transport.TransportSelection}) and {@code SHUTDOWN_CLOSE_THREADS}
 * ({@code dev.goingaway.transport.jakarta.JakartaTransport}).
 */
@ApplicationScoped
public class Settings {

    /** {@code REDIS_URL}: {@code redis://[:password@]host:port[/db]}; unset means in-memory store. */
    @Inject @ConfigProperty(name = "redis.url")
    Optional<String> redisUrl;

    /** {@code REDIS_SENTINEL_NODES}: comma list of sentinels ({@code host:port}); instead of {@code REDIS_URL}. */
    @Inject @ConfigProperty(name = "redis.sentinel.nodes")
    Optional<String> redisSentinelNodes;

    /** {@code REDIS_SENTINEL_MASTER}: the name the sentinels monitor the primary under. */
    @Inject @ConfigProperty(name = "redis.sentinel.master", defaultValue = "mymaster")
    String redisSentinelMaster;

    /** {@code REDIS_SENTINEL_USERNAME}: ACL user of the sentinels; unset: none. */
    @Inject @ConfigProperty(name = "redis.sentinel.username")
    Optional<String> redisSentinelUsername;

    /** {@code REDIS_SENTINEL_PASSWORD}: password of the sentinels ({@code requirepass} in sentinel.conf); unset: none. */
    @Inject @ConfigProperty(name = "redis.sentinel.password")
    Optional<String> redisSentinelPassword;

    /** {@code REDIS_CLUSTER_NODES}: comma list of cluster nodes to start from; instead of {@code REDIS_URL}. */
    @Inject @ConfigProperty(name = "redis.cluster.nodes")
    Optional<String> redisClusterNodes;

    /** {@code REDIS_USERNAME}: ACL user of the data nodes (Sentinel and Cluster; a URL carries its own). */
    @Inject @ConfigProperty(name = "redis.username")
    Optional<String> redisUsername;

    /** {@code REDIS_PASSWORD}: password of the data nodes (Sentinel and Cluster; a URL carries its own). */
    @Inject @ConfigProperty(name = "redis.password")
    Optional<String> redisPassword;

    /** {@code REDIS_TLS}: TLS to the data nodes and sentinels (Sentinel and Cluster; a URL says {@code rediss://}). */
    @Inject @ConfigProperty(name = "redis.tls", defaultValue = "false")
    boolean redisTls;

    /** {@code REDIS_TIMEOUT}: connect and read timeout for every Redis call. */
    @Inject @ConfigProperty(name = "redis.timeout", defaultValue = "500ms")
    Duration redisTimeout;

    /** {@code SHUTDOWN_DEADLINE}: the whole drain, from signal to the hand-over to Liberty. */
    @Inject @ConfigProperty(name = "shutdown.deadline", defaultValue = "8s")
    Duration shutdownDeadline;

    /** {@code SHUTDOWN_DRAIN_DELAY}: readiness DOWN before clients are told to leave. */
    @Inject @ConfigProperty(name = "shutdown.drain.delay", defaultValue = "0s")
    Duration shutdownDrainDelay;

    /** {@code RECONNECT_SPREAD}: window that each client's {@code reconnectAfterMs} is drawn from. */
    @Inject @ConfigProperty(name = "reconnect.spread", defaultValue = "5s")
    Duration reconnectSpread;

    /** {@code HEARTBEAT_INTERVAL}: WebSocket ping interval; a peer silent for two is closed. */
    @Inject @ConfigProperty(name = "heartbeat.interval", defaultValue = "25s")
    Duration heartbeatInterval;

    /** {@code BROADCAST_TOKEN}: bearer token of the broadcast API; unset refuses every call. */
    @Inject @ConfigProperty(name = "broadcast.token")
    Optional<String> broadcastToken;

    /** {@code ALLOWED_ORIGINS}: comma list of origins allowed to open WebSockets. */
    @Inject @ConfigProperty(name = "allowed.origins")
    Optional<String> allowedOrigins;

    /** {@code MAX_MESSAGE_BYTES}: largest accepted frame; larger ones close the socket with 1009. */
    @Inject @ConfigProperty(name = "max.message.bytes", defaultValue = "65536")
    int maxMessageBytes;

    /** {@code MAX_TEXT_CHARS}: longest chat text; longer gets a {@code too_large} error frame. */
    @Inject @ConfigProperty(name = "max.text.chars", defaultValue = "4000")
    int maxTextChars;

    /** {@code SESSION_TTL}: how long a session's total is kept in the store. */
    @Inject @ConfigProperty(name = "session.ttl", defaultValue = "24h")
    Duration sessionTtl;

    /**
     * {@code HISTORY_SIZE}: messages kept per stream (each room, and the broadcasts) so that a
     * client that comes back can be given what it missed (docs/RECOVERY.md has the sizing).
     */
    @Inject @ConfigProperty(name = "history.size", defaultValue = "200")
    int historySize;

    /** {@code HISTORY_TTL}: how long a quiet stream's history (and its numbering) is kept. */
    @Inject @ConfigProperty(name = "history.ttl", defaultValue = "5m")
    Duration historyTtl;

    /** {@code RATE_LIMIT}: messages per second a session may send (bursts of twice that). */
    @Inject @ConfigProperty(name = "rate.limit", defaultValue = "50")
    int rateLimit;

    /** {@code MAX_CONNECTIONS}: open WebSockets per instance; more are closed with 1013. */
    @Inject @ConfigProperty(name = "max.connections", defaultValue = "20000")
    int maxConnections;

    /** {@code SEND_QUEUE_LIMIT}: frames queued to one client before it counts as not reading. */
    @Inject @ConfigProperty(name = "send.queue.limit", defaultValue = "1024")
    int sendQueueLimit;

    /**
     * {@code SHUTDOWN_EXIT}: after a signal's drain, {@code halt} ends the JVM (status 143) once
     * this application's HTTP requests are answered and the messages for the other instances
     * sent; {@code liberty} hands the signal on to Liberty's orderly stop instead (~1–2 s more).
     */
    @Inject @ConfigProperty(name = "shutdown.exit", defaultValue = "halt")
    String shutdownExit;

    /** {@code CLUSTER_CHANNEL}: the pub/sub channel; deployments sharing one Redis need their own. */
    @Inject @ConfigProperty(name = "cluster.channel", defaultValue = "goingaway:fanout")
    String clusterChannel;

    /** {@code INSTANCE_ID}: this instance's name in frames and logs; default host name + random. */
    @Inject @ConfigProperty(name = "instance.id")
    Optional<String> instanceId;

    private String instance;
    private Set<String> origins;

    public Optional<String> redisUrl() {
        return redisUrl.filter(s -> !s.isBlank());
    }

    public Optional<String> redisSentinelNodes() {
        return redisSentinelNodes.filter(s -> !s.isBlank());
    }

    public String redisSentinelMaster() {
        return redisSentinelMaster.trim();
    }

    public Optional<String> redisSentinelUsername() {
        return redisSentinelUsername.filter(s -> !s.isEmpty());
    }

    public Optional<String> redisSentinelPassword() {
        return redisSentinelPassword.filter(s -> !s.isEmpty());
    }

    public Optional<String> redisClusterNodes() {
        return redisClusterNodes.filter(s -> !s.isBlank());
    }

    public Optional<String> redisUsername() {
        return redisUsername.filter(s -> !s.isEmpty());
    }

    public Optional<String> redisPassword() {
        return redisPassword.filter(s -> !s.isEmpty());
    }

    public boolean redisTls() {
        return redisTls;
    }

    public Duration redisTimeout() {
        return redisTimeout;
    }

    public Duration shutdownDeadline() {
        return shutdownDeadline;
    }

    public Duration shutdownDrainDelay() {
        return shutdownDrainDelay;
    }

    public Duration reconnectSpread() {
        return reconnectSpread;
    }

    public Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    public Optional<String> broadcastToken() {
        return broadcastToken.filter(s -> !s.isBlank());
    }

    /** Allowed origins; empty means same origin only. */
    public synchronized Set<String> allowedOrigins() {
        if (origins == null) {
            origins = allowedOrigins.map(s -> Arrays.stream(s.split(","))
                            .map(String::trim).filter(o -> !o.isEmpty())
                            .map(o -> o.endsWith("/") ? o.substring(0, o.length() - 1) : o)
                            .collect(Collectors.toUnmodifiableSet()))
                    .orElse(Set.of());
        }
        return origins;
    }

    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    public int maxTextChars() {
        return maxTextChars;
    }

    public Duration sessionTtl() {
        return sessionTtl;
    }

    public int historySize() {
        if (historySize < 1) {
            throw new IllegalArgumentException("HISTORY_SIZE must be at least 1, not " + historySize);
        }
        return historySize;
    }

    public Duration historyTtl() {
        if (historyTtl.isNegative() || historyTtl.isZero()) {
            throw new IllegalArgumentException("HISTORY_TTL must be positive, not " + historyTtl);
        }
        return historyTtl;
    }

    public int rateLimit() {
        return rateLimit;
    }

    public int maxConnections() {
        return maxConnections;
    }

    /** Whether the JVM is halted right after a signal's drain instead of running Liberty's stop. */
    public boolean haltAfterDrain() {
        String mode = shutdownExit.trim().toLowerCase(java.util.Locale.ROOT);
        if (!mode.equals("liberty") && !mode.equals("halt")) {
            throw new IllegalArgumentException("SHUTDOWN_EXIT must be 'liberty' or 'halt', not '" + shutdownExit + "'");
        }
        return mode.equals("halt");
    }

    public String clusterChannel() {
        return clusterChannel;
    }

    public int sendQueueLimit() {
        return sendQueueLimit;
    }

    /** This instance's name: {@code INSTANCE_ID}, else host name plus a short random suffix. */
    public synchronized String instance() {
        if (instance == null) {
            instance = instanceId.filter(s -> !s.isBlank()).orElseGet(Settings::defaultInstance);
        }
        return instance;
    }

    private static String defaultInstance() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "goingaway";
            }
        }
        return host + "-" + UUID.randomUUID().toString().substring(0, 4);
    }
}
