package dev.balancer.jetty.http1;

import java.nio.ByteBuffer;

/**
 * Finds where a chunked body ends (RFC 9112 §7.1) in bytes that pass through as they are: sizes,
 * extensions, data, the last chunk and trailers, strictly. Anything else (a size with no digits or
 * too large, a bare LF, a control byte in an extension or trailer) is malformed: the copy stops
 * and the connection is cut rather than passing on a body the next hop might frame otherwise.
 * One body at a time; {@link #reset()} before the next.
 */
public final class ChunkScanner {

  /** {@link #scan}'s answer when the body goes on past the bytes given. */
  public static final int MORE = -1;
  /** {@link #scan}'s answer when the bytes are not a valid chunked body. */
  public static final int MALFORMED = -2;

  private enum State { SIZE, EXTENSION, SIZE_LF, DATA, DATA_CR, DATA_LF, TRAILER_START, TRAILER_LINE, TRAILER_LF, END_LF }

  private State state = State.SIZE;
  private long size;
  private boolean digits;

  public void reset() {
    state = State.SIZE;
    size = 0;
    digits = false;
  }

  /** The index just past the body's end in {@code [from, to)}, {@link #MORE} or {@link #MALFORMED}. */
  public int scan(ByteBuffer b, int from, int to) {
    int i = from;
    while (i < to) {
      if (state == State.DATA) {
        long skip = Math.min(size, to - i);
        i += (int) skip;
        size -= skip;
        if (size == 0) {
          state = State.DATA_CR;
        }
        continue;
      }
      byte c = b.get(i++);
      switch (state) {
        case SIZE -> {
          int d = Character.digit(c, 16);
          if (d >= 0) {
            if (size > (Long.MAX_VALUE >> 4)) {
              return MALFORMED;
            }
            size = size * 16 + d;
            digits = true;
          } else if (!digits) {
            return MALFORMED;
          } else if (c == ';' || c == ' ' || c == '\t') {
            state = State.EXTENSION;
          } else if (c == '\r') {
            state = State.SIZE_LF;
          } else {
            return MALFORMED;
          }
        }
        case EXTENSION -> {
          if (c == '\r') {
            state = State.SIZE_LF;
          } else if (control(c)) {
            return MALFORMED;
          }
        }
        case SIZE_LF -> {
          if (c != '\n') {
            return MALFORMED;
          }
          digits = false;
          state = size == 0 ? State.TRAILER_START : State.DATA;
        }
        case DATA_CR -> {
          if (c != '\r') {
            return MALFORMED;
          }
          state = State.DATA_LF;
        }
        case DATA_LF -> {
          if (c != '\n') {
            return MALFORMED;
          }
          state = State.SIZE;
          size = 0;
        }
        case TRAILER_START -> {
          if (c == '\r') {
            state = State.END_LF;
          } else if (control(c)) {
            return MALFORMED;
          } else {
            state = State.TRAILER_LINE;
          }
        }
        case TRAILER_LINE -> {
          if (c == '\r') {
            state = State.TRAILER_LF;
          } else if (control(c)) {
            return MALFORMED;
          }
        }
        case TRAILER_LF -> {
          if (c != '\n') {
            return MALFORMED;
          }
          state = State.TRAILER_START;
        }
        case END_LF -> {
          if (c != '\n') {
            return MALFORMED;
          }
          reset();
          return i;
        }
        default -> {
          return MALFORMED;
        }
      }
    }
    return MORE;
  }

  /** A control byte other than a tab: never in a chunk extension or a trailer. */
  private static boolean control(byte c) {
    int u = c & 0xff;
    return u < 0x20 && u != '\t' || u == 0x7f;
  }
}
