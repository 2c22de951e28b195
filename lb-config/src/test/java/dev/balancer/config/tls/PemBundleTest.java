package dev.balancer.config.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * HAProxy's {@code crt} files, made with openssl 3 (the fixtures in src/test/resources/tls): a key
 * in each format HAProxy reads, beside the certificate or in its own {@code .key} file, and the
 * files HAProxy 2.6 refuses, with its words (checked with {@code haproxy -c} by the issue 22
 * research: "No Private Key found in '….key'", "inconsistencies between private key and
 * certificate loaded '…'", "unable to stat SSL certificate from file '…'").
 */
class PemBundleTest {

  private static Path fixture(String name) throws URISyntaxException {
    return Path.of(PemBundleTest.class.getResource("/tls/" + name).toURI());
  }

  @Test
  void aPkcs8KeyInTheSameFile() throws Exception {
    PemBundle b = PemBundle.load(fixture("rsa-pkcs8.pem"));
    assertThat(b.key().getAlgorithm()).isEqualTo("RSA");
    assertThat(b.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=a.example");
    assertThat(b.certificate().getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))))
        .containsExactly("a.example", "*.w.example");
  }

  @Test
  void aPkcs1KeyInAFileBesideIt() throws Exception {
    PemBundle b = PemBundle.load(fixture("rsa-split.pem"));
    assertThat(b.key().getAlgorithm()).isEqualTo("RSA");
    // the same key as the PKCS#8 file's: both made from one openssl key
    assertThat(b.key().getEncoded()).isEqualTo(PemBundle.load(fixture("rsa-pkcs8.pem")).key().getEncoded());
  }

  @Test
  void aSec1EcKey() throws Exception {
    PemBundle b = PemBundle.load(fixture("ec-sec1.pem"));
    assertThat(b.key().getAlgorithm()).isEqualTo("EC");
    assertThat(b.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=b.example");
  }

  @Test
  void aKeyStoreWithTheKeyAndTheChain() throws Exception {
    KeyStore ks = PemBundle.load(fixture("ec-sec1.pem")).keyStore("b");
    assertThat(ks.isKeyEntry("b")).isTrue();
    assertThat(ks.getKey("b", new char[0]).getAlgorithm()).isEqualTo("EC");
    assertThat(List.of(ks.getCertificateChain("b"))).hasSize(1).first()
        .satisfies(c -> assertThat(((X509Certificate) c).getSubjectX500Principal().getName()).isEqualTo("CN=b.example"));
  }

  @Test
  void aCertificateWithoutItsKeyIsRefusedAsHaproxyRefusesIt() throws Exception {
    Path f = fixture("nokey.pem");
    assertThatThrownBy(() -> PemBundle.load(f)).isInstanceOf(PemBundle.Refused.class)
        .hasMessage("No Private Key found in '" + f + ".key'.");
  }

  @Test
  void aKeyOfAnotherCertificateIsRefused() throws Exception {
    Path f = fixture("mismatch.pem");
    assertThatThrownBy(() -> PemBundle.load(f)).isInstanceOf(PemBundle.Refused.class)
        .hasMessage("inconsistencies between private key and certificate loaded '" + f + "'.");
  }

  @Test
  void aMissingFileIsRefused() throws Exception {
    Path f = fixture("nokey.pem").resolveSibling("absent.pem");
    assertThatThrownBy(() -> PemBundle.load(f)).isInstanceOf(PemBundle.Refused.class)
        .hasMessage("unable to stat SSL certificate from file '" + f + "' : No such file or directory.");
  }

  @Test
  void anEncryptedKeyIsRefusedWithTheReason() throws Exception {
    assertThatThrownBy(() -> PemBundle.load(fixture("encrypted.pem"))).isInstanceOf(PemBundle.Refused.class)
        .hasMessageContaining("needs a pass phrase");
  }
}
