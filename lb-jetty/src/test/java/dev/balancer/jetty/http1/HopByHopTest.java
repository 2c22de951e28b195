package dev.balancer.jetty.http1;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The one definition of hop-by-hop fields and Connection tokens, without sockets. */
class HopByHopTest {

  @ParameterizedTest(name = "Connection: {0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "close|",
      "keep-alive|",
      "Keep-Alive, Upgrade|",
      "x-secret|x-secret",
      "X-Secret ,  x-other|x-secret x-other",
      "content-length|",
      "Host, Transfer-Encoding|",
      "close, content-length, x-a|x-a",
  })
  void aConnectionHeaderNamesOnlyFieldsThatNeitherFrameNorRoute(String value, String expected) {
    Set<String> tokens = HopByHop.connectionTokens(value, null);
    if (expected == null) {
      assertThat(tokens).isNull();
    } else {
      assertThat(tokens).containsExactlyInAnyOrder(expected.split(" "));
    }
  }

  @Test
  void theDirectPathsFieldKindsAgreeWithTheDefinition() {
    for (String name : HopByHop.NAMES) {
      assertThat(HttpHead.hopByHop(HttpHead.kind(name))).as(name).isTrue();
      assertThat(HttpHead.hopByHop(HttpHead.kind(name.toUpperCase()))).as(name).isTrue();
    }
    for (String name : new String[] {"content-length", "host", "cookie", "set-cookie", "expect", "x-anything"}) {
      assertThat(HttpHead.hopByHop(HttpHead.kind(name))).as(name).isFalse();
    }
  }
}
