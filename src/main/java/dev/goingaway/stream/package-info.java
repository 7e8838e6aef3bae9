/**
 * Numbered streams with a bounded history (DESIGN.md, "Positions and recovery"): one per room
 * and one for broadcasts, each message with an offset within an epoch, so that a client coming
 * back on any instance can say where it left off and be given what it missed, or be told that it
 * cannot. {@link dev.goingaway.stream.StreamStore} is the store (Redis, or memory for a single
 * instance); {@link dev.goingaway.stream.Catchup} joins a stream's history with the live
 * messages that arrive while it is read; {@link dev.goingaway.stream.Follower} keeps an
 * instance's place in a stream as its messages arrive from the other instances (deliver, drop a
 * repeat, repair a gap, or report a new epoch); {@link dev.goingaway.stream.CoalescedReads} makes a
 * burst of resumes of one stream one read of its history.
 */
package dev.goingaway.stream;
