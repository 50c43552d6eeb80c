/**
 * The pulse's status as every surface shows it — `bosun pulse status`, `bosun _ state`, the
 * dashboard's `/api/pulse` and `bosun monitor --pulse`: the daemon, the loop's memory and
 * budgets, the latest readings, the goals, the decision held for a human (each move described),
 * the workers' health, the open asks and the journal's tail. Read from the files only; works
 * with the daemon down.
 */
import { existsSync } from "node:fs";
import { listAsks } from "../../human/asks.js";
import { listGoals } from "../../human/pulse-files.js";
import { readLastReadings, readPulseJournalTail, readPulseState } from "../../store/pulse-store.js";
import { readLiveLockHolder } from "../../store/run-lock.js";
import { findHeldDecision } from "./beat.js";
import { HOUR_MS, getUtcDay } from "./beat-policy.js";
import { isDaemonStale, readDaemonInfo } from "./daemon.js";
import type { PulseEnv } from "./pulse-env.js";
import type { PulseStatus } from "./pulse-status-schema.js";

export type { PulseStatus };
import { describeAction } from "./settle.js";
import { listWorkers } from "./worker-health.js";

/** What reading the status needs of the pulse's world. */
export type PulseStatusEnv = Pick<PulseEnv, "paths" | "config" | "now">;

/** The journal lines the status carries. */
const STATUS_JOURNAL_LINES = 10;

/** Reads the status. */
export async function readPulseStatus(
  env: PulseStatusEnv,
  options: { journalLines?: number } = {},
): Promise<PulseStatus> {
  const { paths, config } = env;
  const nowMs = env.now();
  const [pid, info, state, readings, goals, held, workers, asks, journalTail] = await Promise.all([
    readLiveLockHolder(paths.pulse.daemonPidFile),
    readDaemonInfo(env),
    readPulseState(paths),
    readLastReadings(paths),
    listGoals(paths),
    findHeldDecision(env),
    listWorkers(paths, { nowMs, stuckMs: config.pulse.workerStuckSec * 1000 }),
    listAsks(paths, true),
    readPulseJournalTail(paths, options.journalLines ?? STATUS_JOURNAL_LINES),
  ]);
  const isRunning = pid !== undefined;
  const iso = (ms: number | undefined): string | null =>
    ms === undefined || ms <= nowMs ? null : new Date(ms).toISOString();
  return {
    daemon: {
      isRunning,
      pid: pid ?? null,
      startedAt: isRunning ? (info?.startedAt ?? null) : null,
      lastBeatAt: info?.lastBeatAt ?? null,
      lastBeat: info?.lastBeat ?? null,
      nextBeatAt: isRunning ? (info?.nextBeatAt ?? null) : null,
      isStale: isRunning && info !== null && isDaemonStale(info),
    },
    isPaused: existsSync(paths.pulse.pausedFile),
    approval: config.pulse.approval,
    beats: state.beats,
    brain: {
      harness: config.pulse.brain,
      callsLastHour: state.brainCallTimesMs.filter((t) => nowMs - t < HOUR_MS).length,
      callsPerHour: config.pulse.brainCallsPerHour,
      // The brain's and the workers started today: what the daily cap counts.
      spentTodayUsd:
        (state.spendUsdByDay[getUtcDay(nowMs)] ?? 0) +
        workers
          .filter((item) => item.worker.startedAt.startsWith(getUtcDay(nowMs)))
          .reduce((sum, item) => sum + item.worker.costUsd, 0),
      budgetUsdPerDay: config.pulse.budgetUsdPerDay,
      consecutiveFailures: state.consecutiveFailures,
      lastFailure: state.lastFailure?.message ?? null,
      backoffUntil: iso(state.backoffUntilMs),
      quotaResetAt: iso(state.quotaResetAtMs),
    },
    readings,
    goals,
    heldDecision:
      held === undefined
        ? null
        : {
            ...held,
            actions: held.actions.map((item) => ({
              ...item,
              description: describeAction(item.action),
            })),
          },
    workers: workers.map((item) => ({
      id: item.worker.id,
      health: item.health,
      summary: item.worker.prompt.trim().split("\n")[0]?.slice(0, 120) ?? "",
    })),
    openAsks: asks.map(({ ask }) => ({
      id: ask.id,
      question: ask.question,
      options: ask.options.map((option) => option.key),
    })),
    journalTail,
  };
}

/** The daemon in one word: `stopped`, `running`, `paused` (running, deciding nothing), `stale`. */
export type DaemonState = "stopped" | "running" | "paused" | "stale";

/** The daemon's state in one word; stale (old code) wins over paused. */
export function getDaemonState(status: Pick<PulseStatus, "daemon" | "isPaused">): DaemonState {
  if (!status.daemon.isRunning) return "stopped";
  if (status.daemon.isStale) return "stale";
  return status.isPaused ? "paused" : "running";
}
