package dev.balancer.core;

import java.util.Objects;

/**
 * How an attempt to get an answer from a server failed, as a transport saw it: the input of {@link
 * Exchange#failed}. A transport maps its I/O errors to one of these and decides nothing more.
 *
 * @param stage how far the attempt had got
 * @param timeout whether a timeout ({@code timeout connect} or {@code timeout server}) ended it
 * @param replayable whether the request may go again: no body, or a body the transport kept and
 *     that cannot have reached the server (its request failed on its way out)
 */
public record Failure(Stage stage, boolean timeout, boolean replayable) {

  /** How far an attempt had got when it failed. */
  public enum Stage {
    /** No connection to the server could be made. */
    CONNECT,
    /** Connected, but nothing of an answer came back (closed, reset, {@code timeout server}). */
    NO_ANSWER,
    /** The server's answer head was not valid HTTP. */
    INVALID_ANSWER,
    /** The answer had begun (part of it may be with the client already) and was cut. */
    ANSWER_CUT
  }

  public Failure {
    Objects.requireNonNull(stage, "stage");
  }

  /** A connection that could not be made ({@code timeout}: within {@code timeout connect}); the request is kept whole. */
  public static Failure connect(boolean timeout) {
    return new Failure(Stage.CONNECT, timeout, true);
  }

  /** As {@link #connect(boolean)}, for a request that may not go again (its body was streamed, not kept). */
  public static Failure connect(boolean timeout, boolean replayable) {
    return new Failure(Stage.CONNECT, timeout, replayable);
  }

  /** A server that gave no answer; {@code replayable} as in the record. */
  public static Failure noAnswer(boolean timeout, boolean replayable) {
    return new Failure(Stage.NO_ANSWER, timeout, replayable);
  }

  /** An answer whose head was not valid HTTP. */
  public static Failure invalidAnswer() {
    return new Failure(Stage.INVALID_ANSWER, false, false);
  }

  /** An answer cut after it began. */
  public static Failure answerCut(boolean timeout) {
    return new Failure(Stage.ANSWER_CUT, timeout, false);
  }

  /** What it counts as for passive health checks ({@code observe}). */
  Outcome outcome() {
    return timeout ? Outcome.TIMEOUT : stage == Stage.INVALID_ANSWER ? Outcome.INVALID_RESPONSE : Outcome.CONNECTION_ERROR;
  }
}
