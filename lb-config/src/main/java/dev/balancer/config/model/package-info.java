/** The configuration model: immutable records, each keeping the {@code file:line} it came from. */
package dev.balancer.config.model;
