/**
 * Certificates and keys as HAProxy's {@code crt} files hold them ({@link
 * dev.balancer.config.tls.PemBundle}), read with the JDK alone: the first piece of TLS on binds
 * (issue 22), not wired to a listener yet.
 */
package dev.balancer.config.tls;
