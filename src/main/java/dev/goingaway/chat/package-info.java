/**
 * The chat, whatever transport carries it. {@link dev.goingaway.chat.ChatService} hears of every
 * connection's events ({@link dev.goingaway.chat.ConnectionEvents}), admits or refuses it
 * ({@link dev.goingaway.chat.Admission}), counts and acknowledges client messages and delivers
 * them to the room. It sees each connection as a {@link dev.goingaway.chat.Connection}, keeps its
 * state for it in a {@link dev.goingaway.chat.ChatClient} (session, room, outbox, rate limit) in
 * the {@link dev.goingaway.chat.ConnectionRegistry}. Room messages and broadcasts go through
 * {@link dev.goingaway.chat.StreamDelivery}: appended to their numbered stream (which publishes
 * them where {@link dev.goingaway.chat.FanOut} says), delivered in offset order, and replayed to a
 * connection that resumes from a position. The three interfaces are the ports this package owns;
 * the transports and the cluster implement them. Frames are records
 * ({@link dev.goingaway.chat.Frames}) mapped with JSON-B; every send goes through a bounded
 * per-connection {@link dev.goingaway.chat.Outbox}.
 */
package dev.goingaway.chat;
