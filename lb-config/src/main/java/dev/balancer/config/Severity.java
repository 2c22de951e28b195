package dev.balancer.config;

/** How serious a {@link Diagnostic} is. Only {@link #ERROR} makes a configuration unusable. */
public enum Severity {
  /** Information the file asked to print ({@code .notice}). */
  NOTICE,
  /** Read and understood, but not acted on as HAProxy would (an unsupported keyword, say). */
  WARNING,
  /** The file cannot be used: an unknown keyword, a malformed argument, a dangling reference. */
  ERROR
}
