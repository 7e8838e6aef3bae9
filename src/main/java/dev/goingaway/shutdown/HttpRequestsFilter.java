package dev.goingaway.shutdown;

import java.io.IOException;

import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Counts every request of this application from its dispatch until the servlet has answered it
 * ({@link HttpRequests}). This application answers every request on the dispatching thread (no
 * asynchronous servlets or JAX-RS resources), so the filter's return is the end of the answer;
 * {@code asyncSupported} only so the filter never stands in the way of one that would need it.
 */
@WebFilter(filterName = "HttpRequestsInFlight", urlPatterns = "/*", asyncSupported = true)
public class HttpRequestsFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;

    @Inject
    transient HttpRequests requests;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        requests.enter();
        try {
            chain.doFilter(request, response);
        } finally {
            requests.exit();
        }
    }
}
