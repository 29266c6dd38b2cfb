package io.llmsafety.monitor.judge;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/** A semaphore whose waiters get a future instead of a blocked thread; first come, first served. */
final class AsyncPermits {

  private final int max;
  private final ArrayDeque<CompletableFuture<Void>> waiting = new ArrayDeque<>();
  private int inUse;

  AsyncPermits(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be >= 1, got " + max);
    }
    this.max = max;
  }

  CompletableFuture<Void> acquire() {
    synchronized (this) {
      if (inUse < max) {
        inUse++;
        return CompletableFuture.completedFuture(null);
      }
      CompletableFuture<Void> ticket = new CompletableFuture<>();
      waiting.add(ticket);
      return ticket;
    }
  }

  void release() {
    CompletableFuture<Void> next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        inUse--;
      }
    }
    if (next != null) {
      next.complete(null); // hands the permit over; completed outside the lock
    }
  }

  synchronized int inUse() {
    return inUse;
  }
}
