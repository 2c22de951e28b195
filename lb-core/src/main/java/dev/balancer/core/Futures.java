package dev.balancer.core;

import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/** Decisions passed through a step without losing what cancelling them means. */
final class Futures {

  private Futures() {}

  /**
   * {@code f.thenApply(step)}, where cancelling the result cancels {@code f} too (a client that
   * leaves the queue leaves its place in it), and a lease granted after the result was cancelled
   * is released at once rather than lost.
   */
  static CompletableFuture<Decision> map(CompletableFuture<Decision> f, UnaryOperator<Decision> step) {
    CompletableFuture<Decision> out = f.thenApply(step);
    out.whenComplete((d, e) -> {
      if (out.isCancelled()) {
        f.cancel(false);
      }
    });
    f.thenAccept(d -> {
      if (out.isCancelled() && d instanceof Decision.Forward fw) {
        fw.lease().release();
      }
    });
    return out;
  }
}
