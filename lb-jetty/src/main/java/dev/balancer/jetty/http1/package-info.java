/**
 * The HTTP/1 kit every HTTP/1 path shares: the strict head parser ({@code HttpHead}), the chunk
 * scanner, hop-by-hop fields and Connection tokens ({@code HopByHop}), head rewriting ({@code
 * HeadRewriter}), the proxy's own answers as bytes ({@code RawAnswers}). No server types.
 * Internal: may change at any time.
 */
package dev.balancer.jetty.http1;
