/**
 * HAProxy's access-log line ({@code option httplog}, {@code log-format}) from an exchange's facts,
 * for both paths. Internal: may change at any time.
 */
package dev.balancer.jetty.log;
