package dev.goingaway.shutdown;

/**
 * What the drain needs of the transport that carries the connections, beyond what each
 * connection does itself (its bye and close, {@link dev.goingaway.chat.Connection#queueClose},
 * and {@link dev.goingaway.chat.Connection#abort} for one that does not answer). The transport
 * chosen by {@code WS_TRANSPORT} supplies it (a CDI producer in {@code dev.goingaway.transport});
 * the drain never asks which one it is. A transport reaches the drain on an application stop by
 * firing {@link TransportStopping} before it ends its connections.
 */
public interface Transport {

    /**
     * The drain begins (its first step, before anything is closed). {@code exitFollows}: the JVM
     * ends right after this drain, so nothing needs to be torn down tidily for a later stop.
     * {@code connections}: the chat's open connections now.
     */
    Closing begin(boolean exitFollows, int connections);

    /** One drain's view of the transport, from its first step to its wait for the close answers. */
    interface Closing {

        /** The byes are about to go out (step 5). */
        default void goodbyesStarting() {
        }

        /**
         * Step 6: waits until at most {@code unanswered} of the drained connections are still open
         * (their clients have answered the close), or until the deadline. Returns what it saw, or
         * null when this transport has nothing to wait for here.
         */
        Answers awaitAnswers(int unanswered, long deadlineNanos);
    }

    /** How many connections were still open when the wait ended, and the transport's own details for the log. */
    record Answers(int open, String detail) {
    }
}
