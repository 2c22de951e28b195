package dev.balancer.config.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A certificate as HAProxy's {@code crt} reads it: one PEM file with the certificate, its chain
 * and its private key, or the key in a {@code FILE.key} beside it. Keys in PKCS#8 ({@code PRIVATE
 * KEY}), PKCS#1 ({@code RSA PRIVATE KEY}) and SEC1 ({@code EC PRIVATE KEY}) are read with the JDK
 * alone; an encrypted key is refused (HAProxy would ask for a pass phrase at start). The errors
 * say what HAProxy 2.6 says for the same file.
 */
public record PemBundle(Path file, PrivateKey key, List<X509Certificate> chain) {

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----", Pattern.DOTALL);

  public PemBundle {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(key, "key");
    chain = List.copyOf(chain);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("no certificate");
    }
  }

  /** The certificate itself (the first of the file): its names are what SNI matches. */
  public X509Certificate certificate() {
    return chain.get(0);
  }

  /** A key store in memory with one entry, {@code alias}: the key and the chain, no password. */
  public KeyStore keyStore(String alias) throws GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try {
      ks.load(null, null);
    } catch (IOException e) {
      throw new GeneralSecurityException(e);
    }
    ks.setKeyEntry(alias, key, new char[0], chain.toArray(X509Certificate[]::new));
    return ks;
  }

  /** Why a {@code crt} file cannot be used, in HAProxy's words. */
  public static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message);
    }
  }

  /** Reads {@code file} (and {@code file.key} when the key is not inside). */
  public static PemBundle load(Path file) throws Refused {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new Refused("unable to stat SSL certificate from file '" + file + "' : " + reason(e) + ".");
    }
    List<X509Certificate> chain = new ArrayList<>();
    PrivateKey key = null;
    for (Block b : blocks(text)) {
      if (b.type.equals("CERTIFICATE") || b.type.equals("TRUSTED CERTIFICATE")) {
        chain.add(certificate(file, b.der));
      } else if (b.type.endsWith("PRIVATE KEY") && key == null) {
        key = privateKey(file, b);
      }
    }
    if (chain.isEmpty()) {
      throw new Refused("unable to load certificate from file '" + file + "'.");
    }
    if (key == null) {
      Path beside = file.resolveSibling(file.getFileName() + ".key");
      if (Files.isReadable(beside)) {
        try {
          for (Block b : blocks(Files.readString(beside, StandardCharsets.US_ASCII))) {
            if (b.type.endsWith("PRIVATE KEY")) {
              key = privateKey(beside, b);
              break;
            }
          }
        } catch (IOException e) {
          throw new Refused("unable to load private key from file '" + beside + "' : " + reason(e) + ".");
        }
      }
      if (key == null) {
        throw new Refused("No Private Key found in '" + beside + "'.");
      }
    }
    if (!matches(key, chain.get(0))) {
      throw new Refused("inconsistencies between private key and certificate loaded '" + file + "'.");
    }
    return new PemBundle(file, key, chain);
  }

  private record Block(String type, byte[] der) {}

  private static List<Block> blocks(String text) {
    List<Block> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      String body = m.group(2);
      if (body.contains(":")) {
        // an RFC 1421 header (Proc-Type: 4,ENCRYPTED): a key encrypted the old OpenSSL way
        out.add(new Block("ENCRYPTED " + m.group(1), new byte[0]));
        continue;
      }
      out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(body)));
    }
    return out;
  }

  private static X509Certificate certificate(Path file, byte[] der) throws Refused {
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException e) {
      throw new Refused("unable to load certificate from file '" + file + "' : " + e.getMessage() + ".");
    }
  }

  private static PrivateKey privateKey(Path file, Block b) throws Refused {
    try {
      return switch (b.type) {
        case "PRIVATE KEY" -> pkcs8(b.der);
        case "RSA PRIVATE KEY" -> pkcs8(Der.pkcs8(Der.RSA_ENCRYPTION, null, b.der));
        case "EC PRIVATE KEY" -> pkcs8(Der.pkcs8(Der.EC_PUBLIC_KEY, Der.sec1Curve(b.der), b.der));
        default -> throw new Refused("unable to load private key from file '" + file
            + "' : an encrypted key (" + b.type + ") needs a pass phrase, which Balancer does not ask for.");
      };
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new Refused("unable to load private key from file '" + file + "' : " + e.getMessage() + ".");
    }
  }

  private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
    String algorithm = Der.pkcs8Algorithm(der);
    return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
  }

  /** Whether the key belongs to the certificate: a signature by one is verified by the other. */
  private static boolean matches(PrivateKey key, X509Certificate cert) {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> null;
    };
    if (algorithm == null || !key.getAlgorithm().equals(cert.getPublicKey().getAlgorithm())) {
      return false;
    }
    try {
      byte[] probe = "balancer".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(algorithm);
      s.initSign(key);
      s.update(probe);
      byte[] signature = s.sign();
      s.initVerify(cert.getPublicKey());
      s.update(probe);
      return s.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static String reason(IOException e) {
    return e instanceof java.nio.file.NoSuchFileException ? "No such file or directory" : e.toString();
  }

  /** The little DER the key formats need: wrap PKCS#1 and SEC1 keys into PKCS#8. */
  static final class Der {
    /** 1.2.840.113549.1.1.1 */
    static final byte[] RSA_ENCRYPTION = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
    /** 1.2.840.10045.2.1 */
    static final byte[] EC_PUBLIC_KEY = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
    private static final byte[] NULL = {0x05, 0x00};

    private Der() {}

    /** PKCS#8 PrivateKeyInfo: version 0, the algorithm (with its parameters, NULL for RSA), the key. */
    static byte[] pkcs8(byte[] algorithmOid, byte[] parameters, byte[] key) {
      byte[] algorithm = tlv(0x30, concat(algorithmOid, parameters == null ? NULL : parameters));
      return tlv(0x30, concat(new byte[] {0x02, 0x01, 0x00}, algorithm, tlv(0x04, key)));
    }

    /** The curve's OID in a SEC1 ECPrivateKey ({@code [0]} parameters): its whole TLV. */
    static byte[] sec1Curve(byte[] sec1) {
      int[] seq = header(sec1, 0);
      int at = seq[0];
      int end = seq[0] + seq[1];
      while (at < end) {
        int tag = sec1[at] & 0xff;
        int[] h = header(sec1, at);
        if (tag == 0xa0) {
          int[] oid = header(sec1, h[0]);
          return java.util.Arrays.copyOfRange(sec1, h[0], oid[0] + oid[1]);
        }
        at = h[0] + h[1];
      }
      throw new IllegalArgumentException("an EC key without its curve");
    }

    /** "RSA" or "EC", from a PKCS#8 key's algorithm OID. */
    static String pkcs8Algorithm(byte[] der) {
      int[] seq = header(der, 0);
      int[] version = header(der, seq[0]);
      int[] alg = header(der, version[0] + version[1]);
      int[] oid = header(der, alg[0]);
      byte[] tlv = java.util.Arrays.copyOfRange(der, alg[0], oid[0] + oid[1]);
      if (java.util.Arrays.equals(tlv, RSA_ENCRYPTION)) {
        return "RSA";
      }
      if (java.util.Arrays.equals(tlv, EC_PUBLIC_KEY)) {
        return "EC";
      }
      if (tlv.length == 5 && tlv[2] == 0x2b && tlv[3] == 0x65 && tlv[4] == 0x70) {
        return "Ed25519"; // 1.3.101.112
      }
      throw new IllegalArgumentException("a key of an algorithm Balancer does not read");
    }

    /** {start of the value, its length} of the TLV at {@code at}. */
    private static int[] header(byte[] der, int at) {
      if (at + 2 > der.length) {
        throw new IllegalArgumentException("a truncated key");
      }
      int length = der[at + 1] & 0xff;
      int start = at + 2;
      if (length > 0x80) {
        int n = length & 0x7f;
        length = 0;
        for (int i = 0; i < n; i++) {
          length = (length << 8) | (der[start + i] & 0xff);
        }
        start += n;
      }
      if (start + length > der.length) {
        throw new IllegalArgumentException("a truncated key");
      }
      return new int[] {start, length};
    }

    private static byte[] tlv(int tag, byte[] value) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(tag);
      int n = value.length;
      if (n < 0x80) {
        out.write(n);
      } else {
        int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
        out.write(0x80 | bytes);
        for (int i = bytes - 1; i >= 0; i--) {
          out.write((n >>> (8 * i)) & 0xff);
        }
      }
      out.writeBytes(value);
      return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (byte[] p : parts) {
        out.writeBytes(p);
      }
      return out.toByteArray();
    }
  }
}
