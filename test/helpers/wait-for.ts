/** Polling for e2e tests that watch another process's files: short interval, hard deadline. */

/** Timing of a wait. */
export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs?: number;
  /** Time between probes. */
  intervalMs?: number;
}

/**
 * Calls `probe` until it returns something other than `undefined` and returns that. Throws after
 * `timeoutMs`, naming `what` and the probe's last error, so a stuck test says what it waited for.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  options: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      // Files being written by the process under test may be missing or partial for a moment.
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `Timed out waiting for ${what}`,
        lastError === undefined ? undefined : { cause: lastError },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}
