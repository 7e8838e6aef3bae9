/**
 * The broadcast API, {@code POST /chat/api/broadcast}. The resource validates and authorises;
 * delivery is a CDI event observed asynchronously ({@link dev.goingaway.broadcast.BroadcastDelivery}),
 * the shape of Cargo Tracker's real-time tracking.
 */
package dev.goingaway.broadcast;
