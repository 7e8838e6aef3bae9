/**
 * MicroProfile Health probes. Readiness is the signal load balancers act on: it goes DOWN the
 * moment a drain starts, while the port still answers. A Redis outage does not make the
 * instance unready (every instance shares Redis, so that would take the whole service down
 * at once while chat itself still works); it is reported in the readiness data instead.
 */
package dev.goingaway.health;
