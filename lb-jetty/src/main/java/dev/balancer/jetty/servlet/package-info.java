/**
 * The servlet path's pieces besides {@link dev.balancer.jetty.BalancerServlet} itself, which stays
 * in {@code dev.balancer.jetty} as the face for embedding: lb-core's view of a servlet request.
 * Internal: may change at any time.
 */
package dev.balancer.jetty.servlet;
