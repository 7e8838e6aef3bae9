/**
 * The graceful shutdown. Liberty drops every open WebSocket without a close frame ~100 ms
 * after SIGTERM, before any CDI hook runs, so the drain cannot wait for Liberty to call it:
 * {@link dev.goingaway.shutdown.SignalTrap} takes SIGTERM (and SIGINT) first, runs
 * {@link dev.goingaway.shutdown.GracefulShutdown#drain} to completion, and only then hands the
 * signal on to the JVM's own handler, so Liberty's normal stop finds nothing left open.
 * {@link dev.goingaway.shutdown.ExitWatchdog} halts the JVM if anything overruns the 10 s
 * promise. An application stop without a signal (redeploy, dev-mode reload) runs the same
 * drain from {@link dev.goingaway.shutdown.LifecycleHooks}.
 */
package dev.goingaway.shutdown;
