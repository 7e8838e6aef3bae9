/**
 * Typed models for the deployment files that fabric8 has no model for: the Open Liberty
 * Operator's {@code OpenLibertyApplication} and the Compose file. Each covers the part of its
 * schema this repository uses; Jackson refuses any other field, so a typo fails a test instead of
 * being ignored by the tool that reads the file.
 */
package dev.goingaway.deploy.model;
