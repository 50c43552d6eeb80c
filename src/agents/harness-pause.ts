/**
 * A pause per harness, shared by every dispatch in this process: when a provider limits one call,
 * the harness waits for all of them until the limit resets, instead of N parallel tasks retrying
 * into the same 429 together. One timer per pause; waiting is abortable.
 */
import { CancelledError } from "../errors.js";
import { AgentRateLimitError } from "./rate-limit.js";

/** One harness paused by a provider limit. */
export interface HarnessPause {
  /** The harness name. */
  harness: string;
  /** When it may be used again. */
  until: Date;
  /** The provider's message. */
  reason: string;
}

/** What a provider's limit said, for `HarnessPauses.pause`. */
export interface RateLimitReport {
  /** When the limit resets (epoch ms), if the provider said. */
  resetAtMs?: number | undefined;
  /** The provider's message. */
  reason: string;
}

/** The pauses of a run (or any group of dispatches that share providers). */
export interface HarnessPauses {
  /** The harness's pause while it lasts, else undefined. */
  getPause(harness: string): HarnessPause | undefined;
  /**
   * Pauses a harness after a limit: until the reset when the report gives one, else for an
   * exponential backoff with jitter. A report during a pause, without a later reset time, joins
   * it (a call that started before the pause). `isNew` is true when this report started or
   * extended the pause, so exactly one caller journals it.
   */
  pause(harness: string, report: RateLimitReport): { pause: HarnessPause; isNew: boolean };
  /**
   * Takes over a pause recorded earlier (by a process that died or stopped) while it lasts: the
   * harness waits until `pause.until` as if the limit had just been reported with that reset
   * time. True when it still lasts (and now holds here); false when it is over.
   */
  restore(pause: HarnessPause): boolean;
  /** A call of the harness succeeded: the next pause without a reset time starts small again. */
  clearBackoff(harness: string): void;
  /**
   * Resolves once the harness is not paused (at once when it is not). Throws CancelledError when
   * `signal` aborts, and AgentRateLimitError when the pause ends further away than `maxWaitMs`.
   */
  waitForResume(harness: string, signal?: AbortSignal): Promise<void>;
}

/** Tuning, mostly for tests. */
export interface HarnessPauseOptions {
  /** First backoff when the provider gives no reset time. */
  baseMs?: number;
  /** Longest backoff. */
  capMs?: number;
  /** Longest pause a call waits out; a longer one fails the call, saying when it ends. */
  maxWaitMs?: number;
  /** Clock (epoch ms). */
  now?: () => number;
  /** Random number in [0, 1), for the jitter. */
  random?: () => number;
}

/**
 * 30 s doubling to 15 min: CLIs retry 429s themselves (Claude Code about ten times) before they
 * give up, so by the time one fails the limit has already lasted a while.
 */
export const DEFAULT_PAUSE_BASE_MS = 30_000;
/** Longest backoff without a reset time. */
export const DEFAULT_PAUSE_CAP_MS = 900_000;
/** 6 hours covers Claude's 5-hour session limit; a weekly limit fails the call instead. */
export const DEFAULT_MAX_PAUSE_WAIT_MS = 6 * 3_600_000;

/** setTimeout's longest delay; a longer pause re-arms its timer when it fires early. */
const MAX_TIMER_MS = 2_147_483_647;

interface PauseEntry {
  untilMs: number;
  reason: string;
  timer: NodeJS.Timeout | undefined;
  /** Wakes each waiting call. */
  waiters: Set<() => void>;
}

/** Creates the pauses for one run; share the object with every dispatch of the run. */
export function createHarnessPauses(options: HarnessPauseOptions = {}): HarnessPauses {
  const baseMs = options.baseMs ?? DEFAULT_PAUSE_BASE_MS;
  const capMs = options.capMs ?? DEFAULT_PAUSE_CAP_MS;
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_PAUSE_WAIT_MS;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const entries = new Map<string, PauseEntry>();
  /** Pauses in a row without a reset time, per harness: the backoff exponent. */
  const levels = new Map<string, number>();

  const getActive = (harness: string): PauseEntry | undefined => {
    const entry = entries.get(harness);
    return entry !== undefined && entry.untilMs > now() ? entry : undefined;
  };
  const toPause = (harness: string, entry: PauseEntry): HarnessPause => ({
    harness,
    until: new Date(entry.untilMs),
    reason: entry.reason,
  });
  const arm = (harness: string, entry: PauseEntry): void => {
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    const delayMs = Math.min(MAX_TIMER_MS, Math.max(0, entry.untilMs - now()));
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (entry.untilMs > now()) {
        arm(harness, entry);
        return;
      }
      entries.delete(harness);
      for (const wake of [...entry.waiters]) wake();
    }, delayMs);
    // Only a waiting call keeps bosun alive; an idle pause must not hold the process open.
    if (entry.waiters.size === 0) entry.timer.unref();
  };

  const pause = (
    harness: string,
    report: RateLimitReport,
  ): { pause: HarnessPause; isNew: boolean } => {
    const active = getActive(harness);
    let untilMs: number;
    if (report.resetAtMs !== undefined) {
      if (active !== undefined && active.untilMs >= report.resetAtMs)
        return { pause: toPause(harness, active), isNew: false };
      untilMs = report.resetAtMs;
    } else {
      if (active !== undefined) return { pause: toPause(harness, active), isNew: false };
      const level = (levels.get(harness) ?? 0) + 1;
      levels.set(harness, level);
      const ceilingMs = Math.min(capMs, baseMs * 2 ** (level - 1));
      // Equal jitter: never less than half the backoff, so callers that were limited together
      // do not come back together.
      untilMs = now() + Math.round(ceilingMs / 2 + (random() * ceilingMs) / 2);
    }
    const entry = entries.get(harness) ?? {
      untilMs,
      reason: report.reason,
      timer: undefined,
      waiters: new Set(),
    };
    entry.untilMs = untilMs;
    entry.reason = report.reason;
    entries.set(harness, entry);
    arm(harness, entry);
    return { pause: toPause(harness, entry), isNew: true };
  };

  return {
    getPause(harness) {
      const entry = getActive(harness);
      return entry === undefined ? undefined : toPause(harness, entry);
    },

    pause,

    restore(restored) {
      if (restored.until.getTime() <= now()) return false;
      pause(restored.harness, { resetAtMs: restored.until.getTime(), reason: restored.reason });
      return true;
    },

    clearBackoff(harness) {
      levels.delete(harness);
    },

    async waitForResume(harness, signal) {
      for (;;) {
        if (signal?.aborted === true) throw createCancelled(harness);
        const entry = getActive(harness);
        if (entry === undefined) return;
        const remainingMs = entry.untilMs - now();
        if (remainingMs > maxWaitMs) {
          throw new AgentRateLimitError(
            `${harness} is paused until ${new Date(entry.untilMs).toISOString()} by a provider limit (${entry.reason}), more than ${formatHours(maxWaitMs)} away. Continue the run after that time, or give this step another harness.`,
            { resetAtMs: entry.untilMs },
          );
        }
        await new Promise<void>((resolve, reject) => {
          const cleanup = (): void => {
            entry.waiters.delete(wake);
            signal?.removeEventListener("abort", onAbort);
            if (entry.waiters.size === 0) entry.timer?.unref();
          };
          const wake = (): void => {
            cleanup();
            resolve();
          };
          const onAbort = (): void => {
            cleanup();
            reject(createCancelled(harness));
          };
          entry.waiters.add(wake);
          entry.timer?.ref();
          signal?.addEventListener("abort", onAbort, { once: true });
        });
        // Woken: the pause ended, or was extended meanwhile; look again.
      }
    },
  };
}

/** A pause as a run's journal records it (`harness.paused`): its end as an ISO time. */
export interface RecordedPause {
  /** The harness. */
  harness: string;
  /** ISO time it may be used again. */
  until: string;
  /** The provider's message. */
  reason: string;
}

/**
 * Seeds a resumed run's pauses with those its journal recorded (the index keeps each harness's
 * last one), so a restart does not send the provider the calls it just refused. Returns the ones
 * that still last, to tell the user.
 */
export function restoreHarnessPauses(
  pauses: HarnessPauses,
  recorded: Iterable<RecordedPause>,
): HarnessPause[] {
  const restored: HarnessPause[] = [];
  for (const { harness, until, reason } of recorded) {
    const untilMs = Date.parse(until);
    // Not a time (a hand-edited journal): there is nothing to wait for.
    if (Number.isNaN(untilMs)) continue;
    const pause = { harness, until: new Date(untilMs), reason };
    if (pauses.restore(pause)) restored.push(pause);
  }
  return restored;
}

function createCancelled(harness: string): CancelledError {
  return new CancelledError(`${harness} cancelled while paused by a provider limit.`);
}

function formatHours(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 1 ? `${Number(hours.toFixed(1))} h` : `${Math.round(ms / 60_000)} min`;
}
