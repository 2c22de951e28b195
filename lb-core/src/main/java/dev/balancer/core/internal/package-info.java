/** Internal to lb-core: may change at any time. */
package dev.balancer.core.internal;
