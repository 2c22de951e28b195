package dev.balancer.core.internal.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.config.model.ServerSettings;
import dev.balancer.core.Health;
import dev.balancer.core.health.CheckStatus;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HealthMachineTest {

  private final ServerSettings settings = ServerSettings.builder().check(true).inter(Duration.ofSeconds(1))
      .fastinter(Optional.of(Duration.ofMillis(200))).downinter(Optional.of(Duration.ofSeconds(3))).build();

  @Test
  void startsUpOneFailureAwayFromDownAndTheFirstFailureMarksItDown() {
    HealthMachine m = new HealthMachine(2, 3);

    assertThat(m.display()).isEqualTo("UP 1/3");
    assertThat(m.state()).isEqualTo(Health.GOING_DOWN);
    assertThat(m.apply(CheckStatus.L4CON)).isTrue();
    assertThat(m.display()).isEqualTo("DOWN");
    assertThat(m.state()).isEqualTo(Health.DOWN);
  }

  @Test
  void fromFullHealthItTakesFallFailuresToGoDown() {
    HealthMachine m = new HealthMachine(2, 3);
    m.apply(CheckStatus.L7OK);
    assertThat(m.display()).isEqualTo("UP");

    m.apply(CheckStatus.L7STS);
    assertThat(m.display()).isEqualTo("UP 2/3");
    m.apply(CheckStatus.L7STS);
    assertThat(m.display()).isEqualTo("UP 1/3");
    assertThat(m.isUp()).isTrue();
    m.apply(CheckStatus.L7STS);
    assertThat(m.display()).isEqualTo("DOWN");
  }

  @Test
  void fromDownItTakesRiseSuccessesToGoUpAndThenIsFullyUp() {
    HealthMachine m = new HealthMachine(2, 3);
    m.apply(CheckStatus.L4TOUT);

    m.apply(CheckStatus.L4OK);
    assertThat(m.display()).isEqualTo("DOWN 1/2");
    assertThat(m.state()).isEqualTo(Health.GOING_UP);
    m.apply(CheckStatus.L4OK);
    assertThat(m.display()).isEqualTo("UP");
    assertThat(m.isUp()).isTrue();
  }

  @Test
  void intervalsAreInterWhenUpDowninterWhenDownFastinterInBetween() {
    HealthMachine m = new HealthMachine(2, 3);
    assertThat(m.interval(settings)).isEqualTo(Duration.ofMillis(200));
    m.apply(CheckStatus.L7OK);
    assertThat(m.interval(settings)).isEqualTo(Duration.ofSeconds(1));
    m.apply(CheckStatus.L7RSP);
    assertThat(m.interval(settings)).isEqualTo(Duration.ofMillis(200));
    m.apply(CheckStatus.L7RSP);
    m.apply(CheckStatus.L7RSP);
    assertThat(m.interval(settings)).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void disableOn404MakesTheServerNolb() {
    HealthMachine m = new HealthMachine(2, 3);

    m.apply(CheckStatus.L7OKC);

    assertThat(m.state()).isEqualTo(Health.NOLB);
    assertThat(m.isUp()).isTrue();
    assertThat(m.display()).isEqualTo("NOLB");
    m.apply(CheckStatus.L7OK);
    assertThat(m.state()).isEqualTo(Health.UP);
  }
}
