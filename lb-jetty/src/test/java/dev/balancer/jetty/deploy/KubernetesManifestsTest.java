package dev.balancer.jetty.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.balancer.config.ConfigLoader;
import dev.balancer.config.LoadResult;
import dev.balancer.config.model.Config;
import dev.balancer.config.model.Server;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The manifests of {@code deploy/kubernetes} hold together: they parse, each object is well formed,
 * the balancer's probes hit the {@code monitor-uri} of the ConfigMap's haproxy.cfg (which our parser
 * reads without an error), every server line names a Service of the manifests on a port it serves,
 * and every Service selects the pods of a Deployment.
 */
class KubernetesManifestsTest {

  static final Path DIR = Path.of("..", "deploy", "kubernetes");
  static final List<Map<String, Object>> OBJECTS = new ArrayList<>();

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void read() throws IOException {
    try (Stream<Path> files = Files.list(DIR)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        for (Object doc : new Yaml().loadAll(Files.readString(f))) {
          if (doc != null) {
            OBJECTS.add((Map<String, Object>) doc);
          }
        }
      }
    }
  }

  static List<Map<String, Object>> ofKind(String kind) {
    return OBJECTS.stream().filter(o -> kind.equals(o.get("kind"))).toList();
  }

  @SuppressWarnings("unchecked")
  static <T> T at(Object node, String... path) {
    Object n = node;
    for (String p : path) {
      n = n instanceof Map<?, ?> m ? m.get(p) : n instanceof List<?> l ? l.get(Integer.parseInt(p)) : null;
    }
    return (T) n;
  }

  static Config haproxyCfg() {
    String cfg = at(ofKind("ConfigMap").get(0), "data", "haproxy.cfg");
    LoadResult r = ConfigLoader.parse("configmap.yaml:haproxy.cfg", cfg);
    assertThat(r.errors()).isEmpty();
    assertThat(r.warnings()).isEmpty();
    return r.orThrow();
  }

  @Test
  void everyObjectIsWellFormed() {
    assertThat(OBJECTS).extracting(o -> (String) o.get("kind"))
        .contains("ConfigMap", "Deployment", "Service");
    for (Map<String, Object> o : OBJECTS) {
      assertThat((String) o.get("apiVersion")).as("apiVersion of %s", (Object) o.get("kind")).isIn("v1", "apps/v1");
      assertThat((String) at(o, "metadata", "name")).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    }
    for (Map<String, Object> d : ofKind("Deployment")) {
      Map<String, Object> selector = at(d, "spec", "selector", "matchLabels");
      Map<String, Object> labels = at(d, "spec", "template", "metadata", "labels");
      assertThat(labels).as("template labels of %s", (Object) at(d, "metadata", "name")).containsAllEntriesOf(selector);
      List<Map<String, Object>> containers = at(d, "spec", "template", "spec", "containers");
      assertThat(containers).isNotEmpty().allSatisfy(c -> assertThat((String) c.get("image")).isNotBlank());
    }
  }

  @Test
  void theBalancerRunsSeveralReplicasProbedOnItsMonitorUri() {
    Map<String, Object> balancer = ofKind("Deployment").stream()
        .filter(d -> "balancer".equals(at(d, "metadata", "name"))).findFirst().orElseThrow();
    assertThat((Integer) at(balancer, "spec", "replicas")).isGreaterThanOrEqualTo(2);
    Map<String, Object> container = at(balancer, "spec", "template", "spec", "containers", "0");
    Config cfg = haproxyCfg();
    String monitor = cfg.frontends().get(0).options().monitorUri().orElseThrow();
    assertThat((String) at(container, "readinessProbe", "httpGet", "path")).isEqualTo(monitor);
    assertThat((String) at(container, "livenessProbe", "httpGet", "path")).isEqualTo(monitor);
    // the probes' port is a port the frontend binds
    String portName = at(container, "readinessProbe", "httpGet", "port");
    List<Map<String, Object>> ports = at(container, "ports");
    int probed = ports.stream().filter(p -> portName.equals(p.get("name"))).map(p -> (Integer) p.get("containerPort"))
        .findFirst().orElseThrow();
    assertThat(cfg.frontends().get(0).binds()).anySatisfy(b -> assertThat(b.port()).isEqualTo(probed));
    // the ConfigMap is mounted where the image reads it
    assertThat((String) at(container, "volumeMounts", "0", "mountPath")).isEqualTo("/etc/haproxy");
    assertThat((String) at(balancer, "spec", "template", "spec", "volumes", "0", "configMap", "name"))
        .isEqualTo(at(ofKind("ConfigMap").get(0), "metadata", "name"));
    // SIGTERM's grace outlasts hard-stop-after: requests in flight finish first
    long grace = ((Integer) at(balancer, "spec", "template", "spec", "terminationGracePeriodSeconds")).longValue();
    assertThat(grace).isGreaterThan(cfg.global().hardStopAfter().orElseThrow().toSeconds());
  }

  @Test
  void everyServerIsAServiceThatSelectsADeployment() {
    Config cfg = haproxyCfg();
    List<Server> servers = cfg.backends().stream().flatMap(b -> b.servers().stream()).toList();
    assertThat(servers).isNotEmpty();
    for (Server s : servers) {
      Map<String, Object> svc = ofKind("Service").stream().filter(o -> s.host().equals(at(o, "metadata", "name")))
          .findFirst().orElseThrow(() -> new AssertionError("no Service named " + s.host()));
      List<Map<String, Object>> ports = at(svc, "spec", "ports");
      assertThat(ports).anySatisfy(p -> assertThat(p.get("port")).isEqualTo(s.port()));
    }
    for (Map<String, Object> svc : ofKind("Service")) {
      Map<String, Object> selector = at(svc, "spec", "selector");
      assertThat(ofKind("Deployment")).as("a Deployment selected by Service %s", (Object) at(svc, "metadata", "name"))
          .anySatisfy(d -> assertThat((Map<String, Object>) at(d, "spec", "template", "metadata", "labels"))
              .containsAllEntriesOf(selector));
    }
  }
}
