/**
 * ACL compilation, path normalisation, log-format expansion and basic auth, for the rules of
 * lb-core and the stats page of lb-jetty. Internal: may change at any time.
 */
package dev.balancer.core.internal.rules;
