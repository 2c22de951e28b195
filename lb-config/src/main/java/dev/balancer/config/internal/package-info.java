/**
 * The parser's machinery: tokenizer, keyword tables, section handling. Internal: it may change at
 * any time; use {@link dev.balancer.config.ConfigLoader}.
 */
package dev.balancer.config.internal;
