package dev.goingaway.stream;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import dev.goingaway.redis.LazyClient;
import dev.goingaway.redis.RedisTarget;

import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * Streams in Redis. Each stream has two keys that share one hash tag, so both live in one slot
 * of a Redis Cluster and one script can touch both:
 * <ul>
 *   <li>{@code goingaway:{stream:<name>}:meta}: hash {@code epoch}, {@code top} (the last offset);</li>
 *   <li>{@code goingaway:{stream:<name>}:log}: a Redis stream of at least the last
 *       {@code HISTORY_SIZE} frames (trimmed with {@code MAXLEN ~}, whole nodes at a time: a
 *       fifth less Redis CPU per append than exact trimming, measured), entry id
 *       {@code <offset>-0}, field {@code f} the frame.</li>
 * </ul>
 * Both expire {@code HISTORY_TTL} after the stream's last message. Appending is one script
 * (offset, history, trim, expiry and publication together, run by its hash); if the meta hash is
 * gone the script starts a new epoch and drops what is left of the history, so an offset is
 * never reused within an epoch.
 * <p>
 * An epoch also belongs to one primary: the meta hash keeps the {@code master_replid} of the
 * Redis that started it ({@code gen}), and a script that runs on a Redis with another id (a
 * replica promoted by a failover, a restart) starts a new epoch. A promoted replica may lack the
 * last writes its primary acknowledged; offsets it would hand out again could name other
 * messages than the ones clients already have, so none of the old epoch's offsets is trusted.
 * A meta hash without {@code gen} (written before this rule, by an instance of the previous
 * version during a rolling upgrade) adopts the id of the Redis it is on and keeps its epoch, so
 * an upgrade does not cost every resume its recovery. Reading is one script too, so the epoch, the top and the entries
 * come from one moment; reading a stream that does not exist (never written, or expired) starts
 * it, empty, in a new epoch, so a client always has a position to resume from.
 */
public final class RedisStreamStore implements StreamStore {

    static final String APPEND = """
            local gen = string.match(redis.call('INFO', 'replication'), 'master_replid:(%w+)')
            local meta = redis.call('HMGET', KEYS[1], 'epoch', 'gen')
            local epoch = meta[1]
            if not epoch or (meta[2] and meta[2] ~= gen) then
              epoch = ARGV[1]
              redis.call('DEL', KEYS[2])
              redis.call('HSET', KEYS[1], 'epoch', epoch, 'top', 0, 'gen', gen)
            elseif not meta[2] then
              redis.call('HSET', KEYS[1], 'gen', gen)
            end
            local offset = redis.call('HINCRBY', KEYS[1], 'top', 1)
            local frame = ARGV[2] .. offset .. ARGV[3]
            redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], offset .. '-0', 'f', frame)
            redis.call('PEXPIRE', KEYS[1], ARGV[5])
            redis.call('PEXPIRE', KEYS[2], ARGV[5])
            local receivers = -1
            if ARGV[6] ~= '' then
              receivers = redis.call('PUBLISH', ARGV[6], ARGV[7] .. epoch .. ' ' .. offset .. ' ' .. frame)
            end
            return {epoch, offset, frame, receivers}
            """;

    static final String AFTER = """
            local gen = string.match(redis.call('INFO', 'replication'), 'master_replid:(%w+)')
            local meta = redis.call('HMGET', KEYS[1], 'epoch', 'top', 'gen')
            if not meta[1] or (meta[3] and meta[3] ~= gen) then
              redis.call('DEL', KEYS[2])
              redis.call('HSET', KEYS[1], 'epoch', ARGV[2], 'top', 0, 'gen', gen)
              redis.call('PEXPIRE', KEYS[1], ARGV[3])
              return {ARGV[2], 0, {}}
            end
            if not meta[3] then
              redis.call('HSET', KEYS[1], 'gen', gen)
            end
            local entries = redis.call('XRANGE', KEYS[2], '(' .. ARGV[1] .. '-0', '+')
            return {meta[1], tonumber(meta[2]), entries}
            """;

    private static final String APPEND_SHA = sha1(APPEND);
    private static final String AFTER_SHA = sha1(AFTER);

    private final LazyClient redis;
    private final int historySize;
    private final long ttlMillis;
    /** Whether batches go on a connection of their own (one primary) or a cluster pipeline. */
    private final boolean ownConnection;
    /** The batches' own connection; guarded by this. */
    private Connection appending;

    /** {@code redis} is owned by this store from now on (closed with it); batches use its pool. */
    public RedisStreamStore(UnifiedJedis redis, int historySize, Duration historyTtl) {
        this(LazyClient.of(null, redis), historySize, historyTtl, false);
    }

    /**
     * Batches for {@link #appendAll} go on a connection of their own to the primary (one thread
     * appends, so one connection suffices): a pooled connection that fails is replaced by the pool
     * before it is handed back, which on a frozen Redis waits for a second timeout (commons-pool
     * 2.13's invalidateObject makes the replacement at once; measured 1,009 ms against 501 ms for
     * REDIS_TIMEOUT=500ms). On a Redis Cluster a batch is a cluster pipeline, one per node that
     * owns a stream of the batch.
     */
    public RedisStreamStore(LazyClient redis, int historySize, Duration historyTtl) {
        this(redis, historySize, historyTtl, redis.target() != null && redis.target().mode() != RedisTarget.Mode.CLUSTER);
    }

    private RedisStreamStore(LazyClient redis, int historySize, Duration historyTtl, boolean ownConnection) {
        if (historySize < 1) {
            throw new IllegalArgumentException("HISTORY_SIZE must be at least 1, not " + historySize);
        }
        this.redis = redis;
        this.ownConnection = ownConnection;
        this.historySize = historySize;
        this.ttlMillis = Math.max(1, historyTtl.toMillis());
    }

    /** The meta hash of a stream. */
    static String metaKey(String stream) {
        return "goingaway:{stream:" + stream + "}:meta";
    }

    /** The history of a stream. */
    static String logKey(String stream) {
        return "goingaway:{stream:" + stream + "}:log";
    }

    @Override
    public Appended append(String stream, Framing frame, Publication publication) throws StreamException {
        return appended((List<?>) run(APPEND, APPEND_SHA, stream, appendArgs(frame, publication)));
    }

    private List<String> appendArgs(Framing frame, Publication publication) {
        return List.of(newEpoch(), frame.head(), frame.tail(), Integer.toString(historySize),
                Long.toString(ttlMillis), publication.channel() == null ? "" : publication.channel(),
                publication.head() == null ? "" : publication.head());
    }

    private static Appended appended(List<?> reply) {
        return new Appended((String) reply.get(0), (Long) reply.get(1), (String) reply.get(2), (Long) reply.get(3));
    }

    /**
     * The batch in one round trip: every script call pipelined on one connection, in order. A
     * call refused with NOSCRIPT (Redis lost its script cache) did not run; the script is loaded
     * and that call made again.
     */
    @Override
    public List<Appended> appendAll(List<Append> batch) throws StreamException {
        List<Response<Object>> replies = new ArrayList<>(batch.size());
        List<List<String>> keys = new ArrayList<>(batch.size());
        List<List<String>> args = new ArrayList<>(batch.size());
        RuntimeException failure = null;
        try {
            pipelined(pipeline -> {
                for (Append a : batch) {
                    keys.add(List.of(metaKey(a.stream()), logKey(a.stream())));
                    args.add(appendArgs(a.frame(), a.publication()));
                    replies.add(pipeline.evalsha(APPEND_SHA, keys.get(keys.size() - 1), args.get(args.size() - 1)));
                }
            });
        } catch (RuntimeException e) {
            // JedisException from a connection; a cluster pipeline whose node could not be reached
            // also fails its sync with a NullPointerException (Jedis 8.0.2, MultiNodePipelineBase).
            // The other nodes' replies may be there: each is looked at below.
            failure = e;
        }
        List<Appended> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            try {
                if (i >= replies.size()) {
                    throw new IllegalStateException("not sent");
                }
                Object reply;
                try {
                    reply = replies.get(i).get();
                } catch (JedisNoScriptException e) {
                    reply = redis.get().eval(APPEND, keys.get(i), args.get(i));
                }
                out.add(appended((List<?>) reply));
            } catch (JedisException | IllegalStateException | ClassCastException e) {
                // A reply never read (its node was gone, the connection broke) is unset:
                // IllegalStateException. The others' answers stand.
                out.add(null);
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure != null) {
            redis.refreshSlots();
            long made = out.stream().filter(java.util.Objects::nonNull).count();
            String why = "append of " + (batch.size() - made) + " of " + batch.size() + ": " + failure;
            if (made == 0) {
                throw new StreamException(why, failure);
            }
            throw new PartialAppend(why, out, failure);
        }
        return out;
    }

    /** Runs {@code commands} on a pipeline and syncs it once (see {@link LazyClient#pipelined}). */
    private void pipelined(java.util.function.Consumer<AbstractPipeline> commands) {
        if (ownConnection) {
            synchronized (this) {
                if (appending == null || appending.isBroken() || !appending.isConnected()) {
                    closeQuietly(appending);
                    appending = null;
                    appending = redis.connect("goingaway-streams-append");
                }
                try {
                    Pipeline pipeline = new Pipeline(appending, false);
                    commands.accept(pipeline);
                    pipeline.sync();
                } catch (RuntimeException e) {
                    closeQuietly(appending); // not pooled: closing only drops the socket
                    appending = null;
                    throw e;
                }
            }
        } else {
            redis.pipelined(commands);
        }
    }

    @Override
    public Range after(String stream, long afterOffset) throws StreamException {
        List<?> reply = (List<?>) run(AFTER, AFTER_SHA, stream,
                List.of(Long.toString(Math.max(0, afterOffset)), newEpoch(), Long.toString(ttlMillis)));
        List<Entry> entries = new ArrayList<>();
        for (Object o : (List<?>) reply.get(2)) {
            List<?> entry = (List<?>) o;
            String id = (String) entry.get(0);
            List<?> fields = (List<?>) entry.get(1);
            entries.add(new Entry(Long.parseLong(id.substring(0, id.indexOf('-'))), (String) fields.get(1)));
        }
        return new Range((String) reply.get(0), (Long) reply.get(1), entries);
    }

    private Object run(String script, String sha, String stream, List<String> args) throws StreamException {
        List<String> keys = List.of(metaKey(stream), logKey(stream));
        try {
            try {
                return redis.get().evalsha(sha, keys, args);
            } catch (JedisNoScriptException e) {
                return redis.get().eval(script, keys, args); // loads it for the next call
            }
        } catch (JedisException | ClassCastException e) {
            throw new StreamException("stream " + stream + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (RuntimeException e) {
                // a broken socket: nothing to save
            }
        }
    }

    @Override
    public void reconnect() {
        redis.clearIdle();
        synchronized (this) {
            closeQuietly(appending);
            appending = null;
        }
    }

    /** An epoch for a stream that has none: 8 random characters. */
    static String newEpoch() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    private static String sha1(String script) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(script.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JVM", e);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closeQuietly(appending);
            appending = null;
        }
        redis.close();
    }
}
