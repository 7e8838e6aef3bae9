/**
 * The drain: DESIGN.md's shutdown sequence. Liberty drops every open WebSocket ~100 ms after
 * SIGTERM, before any CDI hook runs, so the drain cannot wait for Liberty to call it:
 * {@link dev.goingaway.shutdown.SignalTrap} takes SIGTERM (and SIGINT) first and
 * {@link dev.goingaway.shutdown.GracefulShutdown} runs the {@link dev.goingaway.shutdown.Drain}
 * (its steps, top to bottom) under one {@link dev.goingaway.shutdown.DrainBudget}, then halts the
 * JVM or hands the signal on to Liberty. {@link dev.goingaway.shutdown.ExitWatchdog} halts the JVM
 * if anything overruns the 10 s promise. An application stop without a signal (redeploy,
 * dev-mode reload) runs the same drain from {@link dev.goingaway.shutdown.LifecycleHooks}. The
 * drain sees the transport only through the port it owns, {@link dev.goingaway.shutdown.Transport}
 * (and {@link dev.goingaway.shutdown.TransportStopping} on an application stop).
 */
package dev.goingaway.shutdown;
