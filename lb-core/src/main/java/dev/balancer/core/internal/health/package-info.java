/** The health-check state machine (rise, fall, transitions as HAProxy counts them). Internal: may change at any time. */
package dev.balancer.core.internal.health;
