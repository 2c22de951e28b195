package dev.balancer.core.internal.balance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Golden orders observed on HAProxy 2.6.12 (haproxy-reference.md §3) and from fwrr_sim.py. */
class RoundRobinOrderTest {

  @ParameterizedTest(name = "weights {0}")
  @CsvSource(delimiter = '|', textBlock = """
      1/1/1     | s1 s2 s3 s1 s2 s3
      1/2/3     | s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2
      5/1/1     | s1 s1 s1 s2 s1 s1 s3 s1 s1 s1 s2 s1 s1 s3
      2/1       | s1 s1 s2 s1 s1 s2
      1/3       | s2 s2 s2 s1 s2 s2 s2 s1
      1/1/2     | s3 s1 s3 s2 s3 s1 s3 s2
      4/3/2/1   | s1 s2 s1 s3 s2 s1 s4 s1 s2 s3 s1 s2 s1 s3 s2 s1 s4 s1 s2 s3
      10/10/1   | s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s1 s2 s3
      """)
  void roundRobinFollowsHaproxyOrder(String weights, String expected) {
    assertThat(picks(weights, expected.split(" ").length)).isEqualTo(expected);
  }

  @Test
  void orderIsNotNginxSmoothWeightedRoundRobin() {
    // nginx would give s1 s1 s2 s1 s3 s1 s1 for 5/1/1
    assertThat(picks("5/1/1", 7)).isEqualTo("s1 s1 s1 s2 s1 s1 s3");
  }

  @Test
  void weightZeroIsNeverChosenAndNoCandidateGivesNull() {
    assertThat(picks("0/1", 4)).isEqualTo("s2 s2 s2 s2");
    assertThat(Selector.roundRobin(List.of("s1"), s -> 0).next()).isNull();
    assertThat(Selector.roundRobin(List.<String>of(), s -> 1).next()).isNull();
  }

  @Test
  void longRunsKeepTheWeightRatio() {
    Selector<String> sel = selector("256/1/17");
    int[] counts = new int[3];
    for (int i = 0; i < 274 * 50; i++) {
      counts[sel.next().charAt(1) - '1']++;
    }
    assertThat(counts).containsExactly(256 * 50, 50, 17 * 50);
  }

  private static String picks(String weights, int n) {
    Selector<String> sel = selector(weights);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(sel.next());
    }
    return String.join(" ", out);
  }

  private static Selector<String> selector(String weights) {
    String[] w = weights.split("/");
    List<String> names = new ArrayList<>();
    for (int i = 0; i < w.length; i++) {
      names.add("s" + (i + 1));
    }
    return Selector.roundRobin(names, s -> Integer.parseInt(w[Integer.parseInt(s.substring(1)) - 1]));
  }
}
