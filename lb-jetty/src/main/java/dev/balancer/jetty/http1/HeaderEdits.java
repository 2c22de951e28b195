package dev.balancer.jetty.http1;

import dev.balancer.core.HeaderEdit;
import java.util.List;

/**
 * Applies the rules' header edits ({@code http-request|http-response set-header|add-header|del-header},
 * {@code option forwardfor}) to a head, one way for every path, as HAProxy does: {@code set-header}
 * removes every field of the name and appends one at the end; {@code add-header} appends;
 * {@code del-header} removes every field of the name.
 */
public final class HeaderEdits {

  /** A head's fields, as a path holds them. */
  public interface Fields {
    /** Removes every field of this name (any case). */
    void remove(String name);

    /** Appends a field after the others. */
    void add(String name, String value);
  }

  private HeaderEdits() {}

  /** Applies {@code edits} in order. */
  public static void apply(List<HeaderEdit> edits, Fields fields) {
    for (HeaderEdit e : edits) {
      if (e.kind() != HeaderEdit.Kind.ADD) {
        fields.remove(e.name());
      }
      if (e.kind() != HeaderEdit.Kind.DEL) {
        fields.add(e.name(), e.value());
      }
    }
  }
}
