/** Reloading configuration files: watch them, validate them whole, swap them in or keep the old. */
package dev.balancer.jetty.reload;
