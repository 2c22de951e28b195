/** Balance algorithms, as HAProxy 2.6 orders its choices. */
package dev.balancer.core.balance;
