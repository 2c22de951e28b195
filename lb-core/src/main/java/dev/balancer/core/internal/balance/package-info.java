/**
 * Balance algorithms, as HAProxy 2.6 orders its choices (FWRR, static maps, consistent hashing,
 * leastconn, first, random). Internal: used by the balancer, may change at any time.
 */
package dev.balancer.core.internal.balance;
