package dev.balancer.core.internal.balance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** HAProxy's static map (static-rr walks it): reference §3's observed tables and fwrr_sim.py's. */
class StaticMapTest {

  @ParameterizedTest(name = "weights {0}")
  @CsvSource(delimiter = '|', textBlock = """
      1/1/1     | s1 s2 s3
      1/2/3     | s1 s3 s2 s3 s2 s3
      5/1/1     | s1 s1 s1 s2 s1 s1 s3
      4/3/2/1   | s1 s2 s1 s2 s3 s1 s2 s1 s3 s4
      0/1/2     | s2 s3 s3
      1/3       | s1 s2 s2 s2
      10/10/1   | s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s3
      """)
  void tableIsHaproxys(String weights, String expected) {
    String[] w = weights.split("/");
    List<String> names = new ArrayList<>();
    for (int i = 0; i < w.length; i++) {
      names.add("s" + (i + 1));
    }

    List<String> table = StaticMap.build(names, s -> Integer.parseInt(w[Integer.parseInt(s.substring(1)) - 1]));

    assertThat(String.join(" ", table)).isEqualTo(expected);
  }
}
