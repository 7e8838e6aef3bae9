/**
 * Static checks of the deployment files ({@code docker/}, {@code k8s/}, {@code .dockerignore}).
 * There is no Docker engine or cluster to try them on, so every manifest is parsed into a typed
 * model that rejects unknown fields and wrong types, and consistency tests hold the pieces to
 * each other and to the application: probe paths and ports against {@code server.xml} and the
 * health checks, grace periods against the shutdown deadline, environment names against the
 * {@code @ConfigProperty} keys of {@code Settings}, image contents against the build.
 */
package dev.goingaway.deploy;
