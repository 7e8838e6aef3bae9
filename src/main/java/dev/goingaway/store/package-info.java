/**
 * Where session totals live between connections and instances. {@link dev.goingaway.store.SessionStore}
 * is Redis in production ({@link dev.goingaway.store.RedisSessionStore}) and in-memory for a
 * single developer instance; {@link dev.goingaway.store.SessionTotals} writes totals behind the
 * chat traffic (at most ~250 ms late) and flushes them, pipelined and bounded, on shutdown.
 */
package dev.goingaway.store;
