package dev.balancer.config;

import dev.balancer.config.internal.Parser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Reads HAProxy-format configuration into an immutable {@link dev.balancer.config.model.Config}.
 *
 * <pre>{@code
 * LoadResult result = ConfigLoader.load(Path.of("haproxy.cfg"));
 * result.diagnostics().forEach(System.err::println);   // haproxy.cfg:12: error: ...
 * Config config = result.orThrow();
 * }</pre>
 *
 * <p>Several files are read in order as one configuration, as {@code haproxy -f a -f b} does. The
 * whole input is parsed and validated before anything is returned, so a caller either gets a
 * complete model or a list of everything that is wrong with it.
 */
public final class ConfigLoader {

  private ConfigLoader() {}

  /** Reads and validates the given files, in order, as one configuration. */
  public static LoadResult load(Path... files) {
    return load(List.of(files));
  }

  /**
   * Reads and validates the given files, in order, as one configuration. A directory stands for
   * its {@code *.cfg} files in lexical order, as in {@code haproxy -f DIR}.
   */
  public static LoadResult load(List<Path> files) {
    Objects.requireNonNull(files, "files");
    Parser parser = new Parser();
    List<Path> expanded;
    try {
      expanded = expand(files);
    } catch (IOException e) {
      parser.error(new Location(String.valueOf(files), 0), "cannot list directory: " + describe(e));
      return parser.finish();
    }
    for (Path file : expanded) {
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        parser.error(new Location(file.toString(), 0), "Could not open configuration file " + file + " : " + describe(e));
        continue;
      }
      parser.parse(file.toString(), text);
    }
    return parser.finish();
  }

  /** The files that {@link #load(List)} reads: directories replaced by their sorted {@code *.cfg} files. */
  public static List<Path> expand(List<Path> paths) throws IOException {
    List<Path> out = new ArrayList<>();
    for (Path p : paths) {
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.list(p)) {
          s.filter(f -> f.getFileName().toString().endsWith(".cfg") && Files.isRegularFile(f))
              .sorted(Comparator.comparing(f -> f.getFileName().toString()))
              .forEach(out::add);
        }
      } else {
        out.add(p);
      }
    }
    return out;
  }

  /** Parses configuration text; {@code sourceName} is the file name diagnostics will show. */
  public static LoadResult parse(String sourceName, String text) {
    Objects.requireNonNull(sourceName, "sourceName");
    Objects.requireNonNull(text, "text");
    Parser parser = new Parser();
    parser.parse(sourceName, text);
    return parser.finish();
  }

  private static String describe(IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "No such file or directory";
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }
}
