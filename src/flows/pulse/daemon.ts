/**
 * The pulse as a daemon: one per repository (a pid lock), beating when something wakes it and
 * otherwise sleeping — no polling. What wakes it: the interval, a schedule coming due, a file a
 * human (or the loop) edits in `.bosun/pulse/` (goals, sensors, schedules, the playbook, pause),
 * an ask opened or answered, a run's status changing, a worker's state changing, and the end of
 * a backoff. Triggers are debounced; one beat runs at a time, and a trigger during a beat earns
 * one more beat after it.
 */
import { statSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { StateError, getErrorMessage } from "../../errors.js";
import { listSchedules } from "../../human/pulse-schedules.js";
import { readJson, writeJsonAtomic } from "../../store/json-file.js";
import { readPulseState } from "../../store/pulse-store.js";
import { tryAcquireRunLock, type RunLock } from "../../store/run-lock.js";
import { listRunIds } from "../../store/run-lookup.js";
import { watchDirectory, type DirectoryWatch } from "../../store/watch-dir.js";
import { runBeat, type BeatOutcome } from "./beat.js";
import type { PulseEnv } from "./pulse-env.js";
import { listWorkers } from "./worker-health.js";
import { killWorker } from "./workers.js";
import { ENDED_WORKER_STATUSES } from "../../store/schema/pulse-worker.js";

/** Triggers closer together than this make one beat. */
const DEBOUNCE_MS = 500;

/** What the daemon says about itself beside its pid lock (`daemon.json`). */
export const DaemonInfoSchema = z.object({
  version: z.literal(1),
  pid: z.number().int().positive(),
  startedAt: z.string(),
  /** The CLI script it runs and that file's mtime then: a newer file means bosun was reinstalled. */
  cliPath: z.string(),
  cliMtimeMs: z.number().nonnegative(),
  /** The last beat: when, and what it did in one line. */
  lastBeatAt: z.string().optional(),
  lastBeat: z.string().optional(),
  /** When it will beat next if nothing wakes it sooner. */
  nextBeatAt: z.string().optional(),
});

/** What the daemon says about itself. */
export type DaemonInfo = z.infer<typeof DaemonInfoSchema>;

/** The daemon's info file (next to its pid lock). */
export function getDaemonInfoFile(env: Pick<PulseEnv, "paths">): string {
  return path.join(env.paths.pulse.dir, "daemon.json");
}

/** Reads the daemon's info, or null when it never ran. */
export function readDaemonInfo(env: Pick<PulseEnv, "paths">): Promise<DaemonInfo | null> {
  return readJson(getDaemonInfoFile(env), DaemonInfoSchema);
}

/** Takes the daemon's pid lock, or throws naming the daemon already running. */
export async function acquireDaemonLock(env: Pick<PulseEnv, "paths">): Promise<RunLock> {
  const attempt = await tryAcquireRunLock(env.paths.pulse.daemonPidFile);
  if (attempt.type === "acquired") return attempt.lock;
  throw new StateError(
    `The pulse already runs here (process ${attempt.holder.pid}, ${env.paths.pulse.daemonPidFile}); "bosun pulse restart" restarts it.`,
  );
}

/** A one-line summary of a beat, for the log and daemon.json. */
export function describeBeat(outcome: BeatOutcome): string {
  switch (outcome.kind) {
    case "paused":
      return `paused (sensed ${outcome.readings.length} sensor(s))`;
    case "skipped":
      return `no decision: ${outcome.reason}`;
    case "dry-run":
      return `dry run: ${outcome.reason}`;
    case "decided":
      return `decided ${outcome.decision.id}: ${outcome.decision.actions.map((a) => `${a.action.type} ${a.status}`).join(", ")}`;
    case "brain-failed":
      return `the brain failed: ${outcome.error}`;
  }
}

/**
 * Runs the daemon until `env.signal` aborts (SIGTERM from `bosun pulse down`), then stops every
 * worker it knows and releases its lock. The caller took the lock.
 */
export async function runPulseDaemon(env: PulseEnv & { signal: AbortSignal }): Promise<void> {
  const info: DaemonInfo = {
    version: 1,
    pid: process.pid,
    startedAt: new Date(env.now()).toISOString(),
    cliPath: env.cliPath,
    cliMtimeMs: readMtimeMs(env.cliPath),
  };
  await writeJsonAtomic(getDaemonInfoFile(env), DaemonInfoSchema, info);
  env.log(
    `pulse up (process ${process.pid}), beating every ${env.config.pulse.intervalSec} s or on a change`,
  );
  const wake = createWakeups(env);
  let timer: NodeJS.Timeout | undefined;
  try {
    for (;;) {
      if (env.signal.aborted) break;
      await reloadConfig(env);
      const outcome = await runBeat(env).catch((error: unknown): string => {
        if (env.signal.aborted) throw error;
        return `the beat failed: ${getErrorMessage(error)}`;
      });
      const line = typeof outcome === "string" ? outcome : describeBeat(outcome);
      env.log(line);
      // A file a human saved half-way (a schedule, state.json) fails the beat, never the daemon:
      // the next beat comes at the interval, and says what is wrong again.
      const nextMs = await getNextBeatMs(env).catch((error: unknown) => {
        env.log(`cannot tell when to beat next: ${getErrorMessage(error)}`);
        return env.now() + env.config.pulse.intervalSec * 1000;
      });
      info.lastBeatAt = new Date(env.now()).toISOString();
      info.lastBeat = line;
      info.nextBeatAt = new Date(nextMs).toISOString();
      await writeJsonAtomic(getDaemonInfoFile(env), DaemonInfoSchema, info);
      await wake.rearm();
      // Sleep until the next due time or a trigger, whichever is first.
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          env.signal.removeEventListener("abort", done);
          resolve();
        };
        timer = setTimeout(done, Math.max(0, nextMs - env.now()));
        wake.onNext(done);
        env.signal.addEventListener("abort", done, { once: true });
      });
    }
  } catch (error) {
    if (!env.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    wake.close();
    env.log("pulse going down: stopping its workers");
    await stopWorkers(env);
    env.log("pulse down");
  }
}

/**
 * bosun.yaml read again before each beat: an edit (or `bosun pulse improve --apply N`) takes
 * effect without a restart. A config that no longer loads keeps the last good one, and says so.
 */
async function reloadConfig(env: PulseEnv): Promise<void> {
  if (env.loadConfig === undefined) return;
  try {
    env.config = await env.loadConfig();
  } catch (error) {
    env.log(`bosun.yaml does not load, the last good config stays: ${getErrorMessage(error)}`);
  }
}

/** True when bosun's CLI file changed after the daemon started: it runs the old code. */
export function isDaemonStale(info: DaemonInfo): boolean {
  return readMtimeMs(info.cliPath) > info.cliMtimeMs;
}

function readMtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** When the next beat is due with no trigger: the interval, a schedule, a look back, a backoff's end. */
async function getNextBeatMs(env: PulseEnv): Promise<number> {
  const nowMs = env.now();
  const candidates = [nowMs + env.config.pulse.intervalSec * 1000];
  const [state, schedules] = await Promise.all([
    readPulseState(env.paths),
    listSchedules(env.paths),
  ]);
  for (const schedule of schedules) candidates.push(schedule.nextAtMs);
  for (const due of [state.redecideAtMs, state.backoffUntilMs, state.quotaResetAtMs])
    if (due !== undefined) candidates.push(due);
  return Math.max(nowMs, Math.min(...candidates));
}

/** The daemon's triggers: folder watches, debounced into one wake-up. */
interface Wakeups {
  /** Calls `resolve` once at the next trigger (after the debounce). */
  onNext(resolve: () => void): void;
  /** Watches what the world now holds (new runs and workers appear between beats). */
  rearm(): Promise<void>;
  close(): void;
}

/**
 * Files directly in `.bosun/pulse/` whose change wakes the loop: what a human edits. Everything
 * else there is the loop's own (its state, journal, lock and their temp files): a change to
 * those must never wake it, or each beat would wake the next.
 */
const WAKING_FILES = new Set(["PLAYBOOK.md", "paused"]);

function createWakeups(env: PulseEnv): Wakeups {
  const { paths } = env;
  let pending: (() => void) | undefined;
  let isTriggered = false;
  let debounce: NodeJS.Timeout | undefined;
  const watches = new Map<string, DirectoryWatch>();
  /** Last seen `status` by watched file, so a rewrite that changes nothing wakes no one. */
  const lastStatus = new Map<string, string>();
  const trigger = (why: string): void => {
    if (env.signal?.aborted === true) return;
    if (debounce !== undefined) return;
    debounce = setTimeout(() => {
      debounce = undefined;
      isTriggered = true;
      env.log(`woken: ${why}`);
      const resolve = pending;
      pending = undefined;
      if (resolve !== undefined) {
        isTriggered = false;
        resolve();
      }
    }, DEBOUNCE_MS);
  };
  const watch = (dir: string, onChange: (name: string | undefined) => void): void => {
    if (watches.has(dir)) return;
    try {
      watches.set(
        dir,
        watchDirectory(dir, {
          onChange,
          onError: (error) => {
            env.log(`stopped watching ${dir}: ${error.message}`);
            watches.delete(dir);
          },
        }),
      );
    } catch (error) {
      env.log(`cannot watch ${dir}: ${getErrorMessage(error)}`);
    }
  };
  const onStatusFile = (file: string, why: string): void => {
    readFile(file, "utf8").then(
      (text) => {
        const status = /"status"\s*:\s*"([^"]+)"/.exec(text)?.[1] ?? "";
        if (lastStatus.get(file) === status) return;
        const isFirst = !lastStatus.has(file);
        lastStatus.set(file, status);
        if (!isFirst) trigger(`${why} is ${status}`);
      },
      () => undefined,
    );
  };
  watch(paths.pulse.dir, (name) => {
    if (name !== undefined && WAKING_FILES.has(name)) trigger(`.bosun/pulse/${name} changed`);
  });
  for (const dir of [paths.pulse.goalsDir, paths.pulse.sensorsDir, paths.pulse.schedulesDir])
    watch(dir, (name) => trigger(`${path.relative(paths.pulse.dir, dir)}/${name ?? ""} changed`));
  watch(paths.asksDir, (name) => {
    if (name !== "answers") trigger(`ask ${name ?? ""} changed`);
  });
  watch(path.join(paths.asksDir, "answers"), (name) => trigger(`answer ${name ?? ""} written`));
  watch(paths.runsDir, (name) => trigger(`run ${name ?? ""} appeared`));
  watch(paths.pulse.workersDir, (name) => trigger(`worker ${name ?? ""} appeared`));
  return {
    onNext(resolve) {
      if (isTriggered) {
        isTriggered = false;
        resolve();
        return;
      }
      pending = resolve;
    },
    async rearm() {
      // The newest runs' and every worker's status file: a status change is a trigger.
      const runIds = (await listRunIds(paths)).slice(-10);
      const runDirs = new Set(runIds.map((runId) => path.dirname(paths.runFile(runId))));
      // Runs that fell out of the newest ten are not watched any more.
      for (const [dir, handle] of watches)
        if (path.dirname(dir) === paths.runsDir && !runDirs.has(dir)) {
          handle.close();
          watches.delete(dir);
        }
      for (const runId of runIds) {
        const file = paths.runFile(runId);
        watch(path.dirname(file), (name) => {
          if (name === undefined || name === path.basename(file))
            onStatusFile(file, `run ${runId}`);
        });
        onStatusFile(file, `run ${runId}`);
      }
      const workerIds = await listWorkerIds(paths.pulse.workersDir);
      for (const workerId of workerIds) {
        const file = path.join(paths.pulse.workerDir(workerId), "worker.json");
        watch(path.dirname(file), (name) => {
          if (name === undefined || name === "worker.json")
            onStatusFile(file, `worker ${workerId}`);
        });
        onStatusFile(file, `worker ${workerId}`);
      }
    },
    close() {
      clearTimeout(debounce);
      for (const handle of watches.values()) handle.close();
      watches.clear();
    },
  };
}

async function listWorkerIds(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/**
 * Stops every worker still going: the daemon as it goes down, and `bosun pulse down` once the
 * daemon is gone (the daemon's own exit deadline can cut its stopping short on a busy machine;
 * stopping a worker that has ended already does nothing).
 */
export async function stopWorkers(
  env: Pick<PulseEnv, "paths" | "config" | "now" | "log">,
): Promise<string[]> {
  const workers = await listWorkers(env.paths, {
    nowMs: env.now(),
    stuckMs: env.config.pulse.workerStuckSec * 1000,
  }).catch(() => []);
  // Not only the live ones: a dead host's agent may still run (killWorker stops it from its pid
  // file), and its worker.json would say "running" for ever.
  const going = workers.filter((item) => !ENDED_WORKER_STATUSES.has(item.worker.status));
  const stopped = await Promise.all(
    going.map((item) =>
      killWorker(env.paths, item.worker.id, {
        graceMs: env.config.dispatch.graceSec * 1000,
        reason: "the pulse went down",
      }).then(
        // Not running any more by the time it was reached (it ended by itself): not stopped here.
        ({ wasRunning }) => (wasRunning ? [item.worker.id] : []),
        (error: unknown) => {
          env.log(`could not stop worker ${item.worker.id}: ${getErrorMessage(error)}`);
          return [];
        },
      ),
    ),
  );
  return stopped.flat();
}
