/**
 * The chat WebSocket: a thin {@code @ServerEndpoint} ({@link dev.goingaway.chat.ChatEndpoint})
 * hands every callback to {@link dev.goingaway.chat.ChatService}. The service owns the open
 * sessions ({@link dev.goingaway.chat.SessionRegistry}), counts and acknowledges client messages
 * and fans them out to the room. It sees each connection as a {@link dev.goingaway.chat.Connection};
 * only {@link dev.goingaway.chat.JakartaConnection} touches the container's WebSocket API. Frames are
 * records ({@link dev.goingaway.chat.Frames}) mapped with JSON-B; every send goes through a
 * bounded per-session {@link dev.goingaway.chat.Outbox}.
 */
package dev.goingaway.chat;
