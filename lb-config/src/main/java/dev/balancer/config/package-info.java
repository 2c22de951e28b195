/**
 * Reading {@code haproxy.cfg}: {@link dev.balancer.config.ConfigLoader} turns files into an
 * immutable {@link dev.balancer.config.model.Config} plus {@link dev.balancer.config.Diagnostic}s
 * that name file and line. No Jetty, no servlet API: usable on its own.
 */
package dev.balancer.config;
