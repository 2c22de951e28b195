/**
 * The direct path: the standalone server's own HTTP/1.1 connections ({@link
 * dev.balancer.jetty.direct.DirectConnection}) and pooled server connections ({@link
 * dev.balancer.jetty.direct.ServerLink}) on Jetty's I/O layer, non-blocking, each exchange on one
 * selector thread. Internal: may change at any time.
 */
package dev.balancer.jetty.direct;
