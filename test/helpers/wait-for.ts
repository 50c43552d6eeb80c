/** Polling for e2e tests that watch another process's files: short interval, hard deadline. */

/**
 * How long a wait gives up after: what is waited for takes a second or two even at load 8, and
 * giving up well before vitest's 60 s test timeout still says what never came.
 */
const DEFAULT_WAIT_MS = 30_000;

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
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_WAIT_MS);
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

/** The timeouts `withTimeoutLongEnough` tries. */
export interface GrowingTimeoutOptions {
  /** The first timeout tried. */
  firstMs: number;
  /** Give up once the timeout would exceed this. */
  maxMs: number;
}

/**
 * A timeout counts from the spawn, so on a busy machine it can fire before the child got anywhere
 * (Node alone takes 130–185 ms to start at load 2–8). To test what a timeout does to a child that
 * is working, runs `attempt(timeoutMs)` with a doubling timeout until an attempt reports that the
 * child was ready before its timeout fired (by returning something other than `undefined`), and
 * returns that. Fast on an idle machine, and never a fixed bet on how busy the machine is.
 */
export async function withTimeoutLongEnough<T>(
  what: string,
  attempt: (timeoutMs: number) => Promise<T | undefined>,
  options: GrowingTimeoutOptions,
): Promise<T> {
  for (let timeoutMs = options.firstMs; timeoutMs <= options.maxMs; timeoutMs *= 2) {
    const outcome = await attempt(timeoutMs);
    if (outcome !== undefined) return outcome;
  }
  throw new Error(`${what} was never ready before a timeout of up to ${options.maxMs} ms`);
}
