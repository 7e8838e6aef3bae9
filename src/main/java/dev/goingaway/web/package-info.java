/**
 * The web page at {@code /} as the browser receives it: {@link dev.goingaway.web.PageHeadersFilter}
 * gives the page's own files (HTML, ES modules, CSS, icon) their exact content type, a cache
 * policy (the page always revalidated, the assets kept briefly) and the security headers that
 * confine the page to its own origin ({@link dev.goingaway.web.PageHeaders} says which). The
 * WebSocket, the broadcast API, health and metrics are left alone. The page itself lives in
 * {@code src/main/webapp}.
 */
package dev.goingaway.web;
