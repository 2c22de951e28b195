/**
 * What a listener does before a request reaches either path: the servlet path's connection with
 * {@code timeout http-request} and HAProxy's 408, the client-side timeouts both paths read.
 * Internal: may change at any time.
 */
package dev.balancer.jetty.listen;
