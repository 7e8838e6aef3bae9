package dev.goingaway.store;

/** The store could not answer in time or at all; callers degrade and report, they never hang. */
public class StoreException extends Exception {

    private static final long serialVersionUID = 1L;

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
