/**
 * One beat at a time per repository: the daemon's beats, `bosun pulse once`, and a human's
 * approval (which runs the moves it approves) all take `.bosun/pulse/beat.lock`. A second
 * taker waits for the first to end; a holder killed with -9 leaves a stale lock that is taken
 * over (the pid lock checks the holder's pid and start time).
 */
import path from "node:path";
import { StateError } from "../../errors.js";
import { tryAcquireRunLock, type RunLock } from "../../store/run-lock.js";
import { waitUntil } from "../../store/wait-until.js";
import type { PulseEnv } from "./pulse-env.js";

/** How long a taker waits for a beat in progress (a brain call may take minutes). */
export const BEAT_LOCK_WAIT_MS = 15 * 60_000;

/**
 * How often a waiting taker looks again without a sign: a holder killed with -9 removes no file,
 * so no watch event would ever come for it.
 */
const STALE_HOLDER_CHECK_MS = 1_000;

/** Runs `work` holding the beat lock, waiting up to `waitMs` for it. */
export async function withBeatLock<T>(
  env: Pick<PulseEnv, "paths" | "log" | "signal">,
  work: () => Promise<T>,
  waitMs: number = BEAT_LOCK_WAIT_MS,
): Promise<T> {
  const file = env.paths.pulse.beatLockFile;
  let attempt = await tryAcquireRunLock(file);
  if (attempt.type === "held") {
    env.log(`waiting for the beat in progress (process ${attempt.holder.pid}) to end…`);
    attempt = await waitForLock(file, waitMs, env.signal);
  }
  const { lock } = attempt;
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

async function waitForLock(
  file: string,
  waitMs: number,
  signal: AbortSignal | undefined,
): Promise<{ type: "acquired"; lock: RunLock }> {
  const waited = await waitUntil({
    dirs: [path.dirname(file)],
    check: async () => {
      const attempt = await tryAcquireRunLock(file);
      return attempt.type === "acquired" ? attempt : undefined;
    },
    probeMs: STALE_HOLDER_CHECK_MS,
    timeoutMs: waitMs,
    ...(signal === undefined ? {} : { signal }),
  });
  if (waited.kind === "timeout")
    throw new StateError(
      `A beat kept ${file} for ${Math.round(waitMs / 1000)} s; see "bosun pulse status", then try again.`,
    );
  return waited.value;
}
