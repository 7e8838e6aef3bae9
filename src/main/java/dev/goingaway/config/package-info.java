/**
 * Configuration read through MicroProfile Config. Every key maps to the environment variable
 * named in DESIGN.md ({@code shutdown.deadline} is {@code SHUTDOWN_DEADLINE}), so one name works
 * in server.xml variables, system properties, containers and tests.
 */
package dev.goingaway.config;
