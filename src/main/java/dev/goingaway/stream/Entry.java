package dev.goingaway.stream;

/** One message of a stream: its offset and its frame, exactly as first sent (the offset in it). */
public record Entry(long offset, String frame) {
}
