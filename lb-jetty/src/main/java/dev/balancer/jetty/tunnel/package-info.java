/**
 * WebSocket and other {@code Upgrade} requests on the servlet path: the handshake, then a byte
 * pipe whose two sides read only when their last bytes are written to the other. Internal: may
 * change at any time.
 */
package dev.balancer.jetty.tunnel;
