package dev.balancer.core.internal.balance;

import dev.balancer.config.model.HashType;

/**
 * HAProxy's hash functions ({@code src/hash.c}) and its avalanche ({@code full_hash}), all on
 * unsigned 32-bit values held in {@code int}s.
 */
public final class Hashes {

  private Hashes() {}

  /** The hash of {@code len} bytes by the backend's hash function and modifier. */
  public static int hash(HashType type, byte[] key, int off, int len) {
    int h = switch (type.function()) {
      case SDBM -> sdbm(key, off, len);
      case DJB2 -> djb2(key, off, len);
      case WT6 -> wt6(key, off, len);
      case CRC32 -> crc32(key, off, len);
      case NONE -> none(key, off, len);
    };
    return avalanche(type) ? fullHash(h) : h;
  }

  /**
   * Whether the avalanche modifier applies: when asked for, and for {@code hash-type consistent}
   * written without a function (HAProxy then applies it by default).
   */
  public static boolean avalanche(HashType type) {
    return type.avalanche();
  }

  /** sdbm: {@code h = c + (h << 6) + (h << 16) - h}, bytes read unsigned. */
  public static int sdbm(byte[] key, int off, int len) {
    int h = 0;
    for (int i = off; i < off + len; i++) {
      h = (key[i] & 0xff) + (h << 6) + (h << 16) - h;
    }
    return h;
  }

  /** djb2: {@code h = h * 33 + c}, from 5381. */
  public static int djb2(byte[] key, int off, int len) {
    int h = 5381;
    for (int i = off; i < off + len; i++) {
      h = (h << 5) + h + (key[i] & 0xff);
    }
    return h;
  }

  /** wt6, Willy Tarreau's 6-operation hash. */
  public static int wt6(byte[] key, int off, int len) {
    int h0 = 0xa53c965a;
    int h1 = 0x5ca6953a;
    int step0 = 6;
    int step1 = 18;
    for (int i = off; i < off + len; i++) {
      int t = key[i] & 0xff;
      h0 = ~(h0 ^ t);
      h1 = ~(h1 + t);
      t = (h1 << step0) | (h1 >>> (32 - step0));
      h1 = (h0 << step1) | (h0 >>> (32 - step1));
      h0 = t;
      t = ((h0 >>> 16) ^ h1) & 0xffff;
      step0 = t & 0x1F;
      step1 = t >>> 11;
    }
    return h0 ^ h1;
  }

  private static final int[] CRC_TABLE = new int[256];

  static {
    for (int n = 0; n < 256; n++) {
      int c = n;
      for (int k = 0; k < 8; k++) {
        c = (c & 1) != 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      CRC_TABLE[n] = c;
    }
  }

  /** CRC-32 (IEEE 802.3), as zlib computes it. */
  public static int crc32(byte[] key, int off, int len) {
    int c = 0xffffffff;
    for (int i = off; i < off + len; i++) {
      c = CRC_TABLE[(c ^ key[i]) & 0xff] ^ (c >>> 8);
    }
    return ~c;
  }

  /** {@code hash-type ... none}: the key's first bytes taken as a number. */
  public static int none(byte[] key, int off, int len) {
    int h = 0;
    for (int i = off; i < off + Math.min(len, 4); i++) {
      h = (h << 8) | (key[i] & 0xff);
    }
    return h;
  }

  /** Bob Jenkins' 32-bit integer hash and a multiply: HAProxy's {@code full_hash}, the avalanche. */
  public static int fullHash(int a) {
    a = (a + 0x7ed55d16) + (a << 12);
    a = (a ^ 0xc761c23c) ^ (a >>> 19);
    a = (a + 0x165667b1) + (a << 5);
    a = (a + 0xd3a2646c) ^ (a << 9);
    a = (a + 0xfd7046c5) + (a << 3);
    a = (a ^ 0xb55a4f09) ^ (a >>> 16);
    return a * 0xC0000001;
  }
}
