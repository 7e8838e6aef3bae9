package dev.goingaway.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import dev.goingaway.redis.LazyClient;
import dev.goingaway.redis.RedisTarget;

import redis.clients.jedis.Connection;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisException;

/**
 * One Redis pub/sub channel, as a transport that never makes the chat wait and heals itself.
 *
 * <ul>
 *   <li><b>Publishing</b> queues the payload (bounded) and returns; one publisher thread sends
 *       the queue in pipelined batches over a connection of its own, so messages from this
 *       instance arrive everywhere in the order they were queued. A batch that fails is dropped
 *       and counted, never retried: a retry could deliver part of it twice.</li>
 *   <li><b>Where</b>: both connections go to the primary (single node, or the one the sentinels
 *       name at the time they are made, so a failover is followed by the next reconnection), or
 *       on a Redis Cluster to any node: a classic PUBLISH reaches every node of a cluster.</li>
 *   <li><b>Subscribing</b> holds a dedicated connection on a daemon thread (Redis pub/sub blocks
 *       its connection). When it breaks, the thread resubscribes after an exponential, jittered,
 *       bounded delay. Jedis reads a subscription without a timeout, so a watchdog publishes a
 *       heartbeat on the channel, on a connection of its own, and cuts the subscription when its
 *       own heartbeat stops coming back (a frozen Redis, a subscription that silently stopped).
 *       Not a PING through the subscription: Jedis 8.0.2's {@code JedisPubSub.ping()} sends
 *       before it registers for the answer, and a quick answer then ends the subscription
 *       ("Unexpected message : PONG", 1–4 times in 13 s under load, measured).</li>
 *   <li><b>Up</b> means subscribed and the last publish worked; every change is reported to the
 *       {@link Listener} once.</li>
 * </ul>
 */
final class RedisBus implements Relay.Transport, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RedisBus.class.getName());

    /** Payloads waiting for the publisher; beyond this the newest are dropped (and counted). */
    static final int QUEUE_LIMIT = 10_000;
    /** Most payloads sent in one pipeline. */
    static final int BATCH = 256;
    private static final long FIRST_RETRY_MILLIS = 100;
    private static final long MAX_RETRY_MILLIS = 5_000;
    /** A publisher connection idle this long is PINGed before it carries a batch. */
    private static final long IDLE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Queued by {@link #close}, behind everything still to be sent; compared by identity. */
    private static final String STOP = new String("stop");

    /** What the bus reports; called on the bus's own threads, must not block. */
    interface Listener {
        /** A payload published by anyone (this instance included) on the channel. */
        void message(String payload);

        void up();

        void down(String reason);

        void published(int count);

        /** Payloads that were not published (Redis failed, or the queue was full). */
        void publishFailed(int count, String reason);

        /** A subscription was made again after being lost. */
        void resubscribed();
    }

    /** Finds where to connect: the primary the sentinels name, or the nodes of a cluster. */
    private final LazyClient locator;
    private final String channel;
    /** The watchdog's payload; it comes back through the subscription and is not passed on. */
    private final String heartbeat;
    private final String where;
    private final Listener listener;
    private final long pingMillis;
    private final long deadNanos;
    private final Backoff backoff = new Backoff(FIRST_RETRY_MILLIS, MAX_RETRY_MILLIS);
    private final BlockingQueue<String> queue = new LinkedBlockingQueue<>(QUEUE_LIMIT);
    private final CountDownLatch closing = new CountDownLatch(1);
    private final CountDownLatch firstSubscription = new CountDownLatch(1);
    private final Thread publisher;
    private final Thread subscriber;
    private final ScheduledExecutorService watchdog;

    private volatile boolean closed;
    private volatile Connection subscriberConnection;
    /** The watchdog's connection for its heartbeats; only the watchdog thread uses it. */
    private Connection watching;
    /** The publisher's connection; only the publisher thread uses it. */
    private Connection publishing;
    private long publishedAtNanos;
    private volatile Subscription subscription;
    private volatile long connectedAtNanos;
    private volatile long lastPongNanos;
    private volatile boolean subscribed;
    private volatile boolean publishOk = true;
    private volatile String lastError;
    private volatile long queueFullLoggedNanos;
    /** The state last reported to the listener; null before the first report. */
    private Boolean reported;

    RedisBus(RedisTarget target, String channel, String heartbeat, Listener listener, ThreadFactory threads) {
        this.locator = new LazyClient(target, "goingaway-bus", 1);
        this.channel = channel;
        this.heartbeat = heartbeat;
        this.where = target.describe() + " channel " + channel;
        Duration timeout = target.timeout();
        this.listener = listener;
        int millis = (int) Math.max(1, timeout.toMillis());
        this.pingMillis = heartbeatEvery(timeout).toMillis();
        this.deadNanos = TimeUnit.MILLISECONDS.toNanos(2 * pingMillis + millis);
        this.publisher = threads.newThread(this::publishLoop);
        this.publisher.setName("goingaway-bus-publisher");
        this.publisher.setDaemon(true);
        this.subscriber = threads.newThread(this::subscribeLoop);
        this.subscriber.setName("goingaway-bus-subscriber");
        this.subscriber.setDaemon(true);
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = threads.newThread(r);
            t.setName("goingaway-bus-watchdog");
            t.setDaemon(true);
            return t;
        });
    }

    /** How often the watchdog publishes its heartbeat: every second, or every {@code timeout} if longer. */
    static Duration heartbeatEvery(Duration timeout) {
        return Duration.ofMillis(Math.max(1_000, timeout.toMillis()));
    }

    void start() {
        publisher.start();
        subscriber.start();
        watchdog.scheduleWithFixedDelay(this::watch, pingMillis, pingMillis, TimeUnit.MILLISECONDS);
    }

    /** Waits for the first subscription; false if it did not happen within {@code timeout}. */
    boolean awaitSubscribed(Duration timeout) throws InterruptedException {
        return firstSubscription.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Queues a payload for every subscriber; never blocks. */
    @Override
    public void publish(String payload) {
        if (closed || !queue.offer(payload)) {
            listener.publishFailed(1, closed ? "bus closed" : "publish queue full");
            long now = System.nanoTime();
            if (!closed && now - queueFullLoggedNanos > TimeUnit.SECONDS.toNanos(10)) {
                queueFullLoggedNanos = now;
                LOG.log(Level.WARNING, "cluster publish queue full ({0}): messages reach this instance only", QUEUE_LIMIT);
            }
        }
    }

    boolean up() {
        return subscribed && publishOk;
    }

    @Override
    public boolean subscribed() {
        return subscribed;
    }

    int queued() {
        return queue.size();
    }

    String lastError() {
        return lastError;
    }

    String describe() {
        return where;
    }

    // ---- publisher ----------------------------------------------------------------------------

    private void publishLoop() {
        List<String> batch = new ArrayList<>(BATCH);
        while (true) {
            String first;
            try {
                first = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                break; // close() gave up waiting for the flush
            }
            if (first == null) {
                if (closed) {
                    break;
                }
                continue;
            }
            batch.add(first);
            queue.drainTo(batch, BATCH - 1);
            boolean stop = batch.removeIf(p -> p == STOP);
            if (!batch.isEmpty()) {
                send(batch);
            }
            batch.clear();
            if (stop) {
                break;
            }
        }
        queue.removeIf(p -> p == STOP);
        int left = queue.size();
        queue.clear();
        if (left > 0) {
            listener.publishFailed(left, "bus closed before they were sent");
        }
    }

    private void send(List<String> batch) {
        try {
            Pipeline pipeline = new Pipeline(publishConnection(), false);
            for (String payload : batch) {
                pipeline.publish(channel, payload);
            }
            pipeline.sync();
            publishedAtNanos = System.nanoTime();
            listener.published(batch.size());
            publishSucceeded();
        } catch (JedisException e) {
            quietlyClose(publishing);
            publishing = null;
            listener.publishFailed(batch.size(), e.getMessage());
            publishFailed(e);
        }
    }

    /**
     * The publisher's connection, made when there is none. One that sat idle for a second is
     * PINGed first: a connection left over from before a Redis restart or a failover would fail
     * mid-pipeline, and a failed pipeline is never retried.
     */
    private Connection publishConnection() {
        if (publishing != null && (publishing.isBroken() || !publishing.isConnected()
                || (System.nanoTime() - publishedAtNanos > IDLE_CHECK_NANOS && !pings(publishing)))) {
            quietlyClose(publishing);
            publishing = null;
        }
        if (publishing == null) {
            publishing = locator.connect("goingaway-bus-pub");
        }
        return publishing;
    }

    private static boolean pings(Connection c) {
        try {
            return c.ping();
        } catch (JedisException e) {
            return false;
        }
    }

    private void publishSucceeded() {
        if (!publishOk) {
            publishOk = true;
            report();
        }
    }

    private void publishFailed(JedisException e) {
        lastError = "publish failed: " + e.getMessage();
        publishOk = false;
        report();
    }

    // ---- subscriber ---------------------------------------------------------------------------

    /** Receives the channel; runs on the subscriber thread inside {@link JedisPubSub#proceed}. */
    private final class Subscription extends JedisPubSub {
        @Override
        public void onSubscribe(String ch, int count) {
            lastPongNanos = System.nanoTime();
            subscribed = true;
            // Redis answered: whatever made publishing fail is over, or the next batch says so.
            publishOk = true;
            backoff.reset();
            firstSubscription.countDown();
            report();
        }

        @Override
        public void onMessage(String ch, String payload) {
            if (payload.equals(heartbeat)) {
                lastPongNanos = System.nanoTime();
                return;
            }
            try {
                listener.message(payload);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cluster message could not be delivered", e);
            }
        }

        @Override
        public void onPong(String pattern) {
            lastPongNanos = System.nanoTime();
        }
    }

    private void subscribeLoop() {
        boolean first = true;
        while (!closed) {
            Connection connection = null;
            try {
                connectedAtNanos = System.nanoTime();
                connection = locator.connect("goingaway-bus-sub");
                subscriberConnection = connection;
                if (closed) {
                    break;
                }
                Subscription s = new Subscription();
                subscription = s;
                if (!first) {
                    listener.resubscribed();
                }
                first = false;
                s.proceed(connection, channel); // returns when unsubscribed or the connection breaks
            } catch (RuntimeException e) {
                // JedisException when Redis goes away; anything else must not end the thread either
                if (!closed) {
                    lastError = "subscription lost: " + e.getMessage();
                }
            } finally {
                subscribed = false;
                subscription = null;
                subscriberConnection = null;
                if (connection != null) {
                    quietlyClose(connection);
                }
            }
            if (closed) {
                break;
            }
            report();
            long delay = backoff.nextMillis();
            LOG.log(Level.FINE, "cluster bus resubscribing in {0} ms", delay);
            try {
                if (closing.await(delay, TimeUnit.MILLISECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                break;
            }
        }
    }

    /**
     * Publishes this bus's heartbeat; cuts a subscription that has not brought it back for
     * {@code deadNanos} (set when the subscription is confirmed, and by each heartbeat).
     */
    private void watch() {
        Connection connection = subscriberConnection;
        if (connection == null || closed) {
            return;
        }
        long now = System.nanoTime();
        Subscription s = subscription;
        if (subscribed && s != null) {
            if (now - lastPongNanos > deadNanos) {
                cut(connection, "no heartbeat came back for " + TimeUnit.NANOSECONDS.toMillis(now - lastPongNanos) + " ms");
                return;
            }
            try {
                if (watching == null || watching.isBroken() || !watching.isConnected()) {
                    quietlyClose(watching);
                    watching = null;
                    watching = locator.connect("goingaway-bus-watch");
                }
                Pipeline p = new Pipeline(watching, false);
                p.publish(channel, heartbeat);
                p.sync();
            } catch (RuntimeException e) {
                // Redis did not take it: the subscription is cut once the heartbeat is overdue.
                quietlyClose(watching);
                watching = null;
            }
        } else if (now - connectedAtNanos > deadNanos) {
            cut(connection, "subscription not confirmed within " + TimeUnit.NANOSECONDS.toMillis(deadNanos) + " ms");
        }
    }

    private void cut(Connection connection, String why) {
        lastError = "subscription cut: " + why;
        LOG.log(Level.FINE, "cluster bus: {0}", why);
        // Closing the socket ends the subscriber thread's blocking read; it then resubscribes.
        quietlyClose(connection);
    }

    private static void quietlyClose(Connection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.disconnect();
        } catch (RuntimeException e) {
            LOG.log(Level.FINEST, "closing a broken Redis connection: {0}", e.toString());
        }
    }

    private void report() {
        boolean now = up();
        String error = lastError;
        synchronized (this) {
            if (reported != null && reported == now) {
                return;
            }
            if (reported == null && !now && error == null) {
                return; // nothing has been tried yet
            }
            reported = now;
        }
        if (now) {
            listener.up();
        } else {
            listener.down(error == null ? "not subscribed" : error);
        }
    }

    // ---- closing ------------------------------------------------------------------------------

    /**
     * Stops both threads: the publisher first sends what is queued, for at most
     * {@code flushTimeout}; then the subscription is cut. Returns without waiting on Redis
     * for longer than that bound plus one second.
     */
    void close(Duration flushTimeout) {
        if (closed) {
            return;
        }
        closed = true;
        queue.offer(STOP); // wakes the publisher once what is queued has gone; if the queue is full it is busy anyway
        closing.countDown();
        watchdog.shutdownNow();
        try {
            watchdog.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        quietlyClose(watching);
        try {
            publisher.join(flushTimeout.toMillis());
            if (publisher.isAlive()) {
                publisher.interrupt();
                publisher.join(1_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        quietlyClose(subscriberConnection);
        try {
            subscriber.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        quietlyClose(publishing); // the publisher has stopped, or gave up
        locator.close();
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(1));
    }
}
