/**
 * Numbered streams with a bounded history (DESIGN.md, "Positions and recovery"; docs/RECOVERY.md):
 * one per room and one for broadcasts, each message with an offset within an epoch, so that a
 * client coming back on any instance can say where it left off and be given what it missed, or be
 * told that it cannot. {@link dev.goingaway.stream.StreamStore} is the store: Redis
 * ({@link dev.goingaway.stream.RedisStreamStore}), memory
 * ({@link dev.goingaway.stream.MemoryStreamStore}), and this instance's own numbering while Redis
 * is away ({@link dev.goingaway.stream.FallbackStreamStore}); {@link dev.goingaway.stream.History}
 * is the application's. {@link dev.goingaway.stream.Catchup} joins a stream's history with the
 * live messages that arrive while it is read; {@link dev.goingaway.stream.Sequence} is one stream
 * as an instance delivers it (in order, holes held, repaired or announced);
 * {@link dev.goingaway.stream.CoalescedReads} makes a burst of resumes of one stream one read of
 * its history. Nothing here knows the chat.
 */
package dev.goingaway.stream;
