package io.llmsafety.monitor.judge;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Bounded LRU of verdicts keyed by a hash of what the judge saw. Production traffic repeats itself
 * (templates, canned refusals, retried requests), and a repeat costs a judge call otherwise. Keys
 * are the first 128 bits of SHA-256, so no text is held; a collision needs ~2^64 distinct entries.
 */
final class ContentCache {

  record Key(long high, long low) {}

  private final int capacity;
  private final Map<Key, JudgeVerdict> entries;

  ContentCache(int capacity) {
    this.capacity = capacity;
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<Key, JudgeVerdict> eldest) {
        return size() > ContentCache.this.capacity;
      }
    };
  }

  /** Length-prefixed parts, so ("ab", "c") and ("a", "bc") hash differently. */
  static Key key(String... parts) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JRE has SHA-256", e);
    }
    for (String part : parts) {
      byte[] bytes = (part == null ? "" : part).getBytes(StandardCharsets.UTF_8);
      sha.update(ByteBuffer.allocate(4).putInt(part == null ? -1 : bytes.length).array());
      sha.update(bytes);
    }
    ByteBuffer digest = ByteBuffer.wrap(sha.digest());
    return new Key(digest.getLong(), digest.getLong());
  }

  synchronized JudgeVerdict get(Key key) {
    return capacity == 0 ? null : entries.get(key);
  }

  synchronized void put(Key key, JudgeVerdict verdict) {
    if (capacity > 0) {
      entries.put(key, verdict);
    }
  }

  synchronized int size() {
    return entries.size();
  }
}
