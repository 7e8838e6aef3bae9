/**
 * Proofs, against the project's own Liberty server and a real Redis, that the service stays
 * bounded and honest under bad input, abusive clients, clients that stop reading and store
 * faults: every case ends in an error frame or a documented close code, is counted in the
 * metrics and logged without stack traces, and never slows the well-behaved clients.
 */
package dev.goingaway.hardening;
