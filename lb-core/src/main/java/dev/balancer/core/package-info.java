/**
 * The balancer's runtime: {@link dev.balancer.core.Balancer} takes a parsed configuration, keeps
 * the servers' state and decides where each request goes. No Jetty, no servlet API.
 */
package dev.balancer.core;
