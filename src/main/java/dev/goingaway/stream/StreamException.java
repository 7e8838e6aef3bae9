package dev.goingaway.stream;

/** The stream store could not be reached or refused a command; the message says which. */
public class StreamException extends Exception {

    private static final long serialVersionUID = 1L;

    public StreamException(String message, Throwable cause) {
        super(message, cause);
    }
}
