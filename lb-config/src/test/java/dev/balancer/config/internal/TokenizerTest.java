package dev.balancer.config.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TokenizerTest {

  private final Tokenizer tokenizer = Tokenizer.withEnvironment(Map.of("W", "5", "EMPTY", ""));

  @Test
  void blanksSeparateWordsAndHashStartsACommentEvenInsideAWord() throws Exception {
    assertThat(tokenizer.split("  set-header X-A foo#bar baz")).containsExactly("set-header", "X-A", "foo");
    assertThat(tokenizer.split("\t# only a comment")).isEmpty();
  }

  @Test
  void escapesQuotesAndPiecesJoinIntoOneWord() throws Exception {
    assertThat(tokenizer.split("\"a b\"'c'\\ d")).containsExactly("a bc d");
    assertThat(tokenizer.split("a\\#b \\x41 'x\\ny' \"q\\tq\"")).containsExactly("a#b", "A", "x\\ny", "q\tq");
    assertThat(tokenizer.split("\"it's # not a comment\"")).containsExactly("it's # not a comment");
  }

  @Test
  void variablesExpandOnlyInsideDoubleQuotes() throws Exception {
    assertThat(tokenizer.split("weight \"${W}\" '${W}' $W")).containsExactly("weight", "5", "${W}", "$W");
    assertThat(tokenizer.split("\"${UNSET-7}\" \"${EMPTY-7}\" \"$W:80\"")).containsExactly("7", "", "5:80");
  }

  @Test
  void unmatchedQuoteIsAnError() {
    assertThatThrownBy(() -> tokenizer.split("server a \"127.0.0.1"))
        .hasMessage("unmatched quote");
  }
}
