/**
 * A snapshot file rewritten at most once per interval however often its source changes: the
 * pattern run.json follows inside RunStore, as a small helper for the other snapshots of a run
 * (board.json). The snapshot is built when it is written, not when it is scheduled, so a burst of
 * events costs one build.
 */

/** How a throttled writer writes and keeps time. */
export interface ThrottledWriterOptions {
  /** Builds and writes the snapshot (atomically); called at most once per `intervalMs`. */
  write(): Promise<void>;
  /** Minimum time between the starts of two writes. */
  intervalMs: number;
  /** Told of a failed write made by the timer (the write is retried by the next schedule or flush). */
  onError?(error: unknown): void;
  /** The clock, in ms (default `Date.now`). */
  nowMs?(): number;
}

/** A snapshot kept up to date lazily. */
export interface ThrottledWriter {
  /**
   * Marks the snapshot out of date. It is written on the next tick when the interval has passed
   * since the last write, else once when it has: one trailing write however many calls.
   */
  schedule(): void;
  /** Writes now if anything is out of date, after any write in flight; rejects if that write fails. */
  flush(): Promise<void>;
}

/** Creates a throttled writer (see `ThrottledWriter`); its timer never keeps the process alive. */
export function createThrottledWriter(options: ThrottledWriterOptions): ThrottledWriter {
  const nowMs = (): number => options.nowMs?.() ?? Date.now();
  let isDirty = false;
  let lastWriteMs = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | null = null;
  // Writes are chained so two never overlap (two renames of one file could land out of order).
  let chain: Promise<void> = Promise.resolve();

  const writeIfDirty = async (): Promise<void> => {
    if (!isDirty) return;
    isDirty = false;
    lastWriteMs = nowMs();
    try {
      await options.write();
    } catch (error) {
      isDirty = true;
      throw error;
    }
  };

  const flush = (): Promise<void> => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const write = chain.then(writeIfDirty);
    chain = write.catch(() => undefined);
    return write;
  };

  return {
    schedule(): void {
      isDirty = true;
      if (timer !== null) return;
      const waitMs = Math.max(0, lastWriteMs + options.intervalMs - nowMs());
      timer = setTimeout(() => {
        // Without onError a failed write is only retried: it stays due, and the next schedule()
        // or the owner's flush() writes it again and reports what still fails.
        flush().catch((error: unknown) => options.onError?.(error));
      }, waitMs);
      // The owner flushes on close; a pending snapshot must not keep the process alive.
      timer.unref();
    },
    flush,
  };
}
