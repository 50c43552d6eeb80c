/**
 * What `bosun pulse status` (and `bosun _ state`) shows: the daemon, the loop's memory and
 * budgets, the latest readings, the goals, the decision held for a human, the workers' health,
 * the open asks and the journal's tail. Read from the files only; works with the daemon down.
 */
import { existsSync, statSync } from "node:fs";
import { listAsks } from "../../human/asks.js";
import { listGoals } from "../../human/pulse-files.js";
import { findHeldDecision } from "../../flows/pulse/beat.js";
import { HOUR_MS, getUtcDay } from "../../flows/pulse/beat-policy.js";
import { readDaemonInfo } from "../../flows/pulse/daemon.js";
import type { PulseEnv } from "../../flows/pulse/pulse-env.js";
import { listWorkers } from "../../flows/pulse/worker-health.js";
import { readLastReadings, readPulseJournalTail, readPulseState } from "../../store/pulse-store.js";
import { readLiveLockHolder } from "../../store/run-lock.js";
import type { PulseStatus } from "../contract/pulse-schemas.js";

/** Everything status shows, as `--json` and `bosun _ state` print it. */
export type { PulseStatus };

/** Reads the status. */
export async function readPulseStatus(env: PulseEnv): Promise<PulseStatus> {
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
    readPulseJournalTail(paths, 10),
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
      isStale: isRunning && info !== null && readMtimeMs(info.cliPath) > info.cliMtimeMs,
    },
    isPaused: existsSync(paths.pulse.pausedFile),
    approval: config.pulse.approval,
    beats: state.beats,
    brain: {
      harness: config.pulse.brain,
      callsLastHour: state.brainCallTimesMs.filter((t) => nowMs - t < HOUR_MS).length,
      callsPerHour: config.pulse.brainCallsPerHour,
      spentTodayUsd: state.spendUsdByDay[getUtcDay(nowMs)] ?? 0,
      budgetUsdPerDay: config.pulse.budgetUsdPerDay,
      consecutiveFailures: state.consecutiveFailures,
      lastFailure: state.lastFailure?.message ?? null,
      backoffUntil: iso(state.backoffUntilMs),
      quotaResetAt: iso(state.quotaResetAtMs),
    },
    readings,
    goals,
    heldDecision: held ?? null,
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

function readMtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** The status for a human. */
export function formatPulseStatus(status: PulseStatus): string {
  const lines: string[] = [];
  const { daemon, brain } = status;
  lines.push(
    daemon.isRunning
      ? `Pulse: running (process ${daemon.pid}, since ${daemon.startedAt ?? "?"})${status.isPaused ? ", PAUSED" : ""}; approval ${status.approval}`
      : `Pulse: not running${status.isPaused ? " (paused)" : ""}; "bosun pulse up" starts it`,
  );
  if (daemon.isStale)
    lines.push(
      "  warning: bosun was reinstalled after the daemon started; it runs the old code — bosun pulse restart",
    );
  if (daemon.lastBeat !== null)
    lines.push(`  last beat ${daemon.lastBeatAt ?? ""}: ${daemon.lastBeat}`);
  if (daemon.nextBeatAt !== null) lines.push(`  next beat by ${daemon.nextBeatAt}`);
  lines.push(
    `Brain: ${brain.harness}, ${brain.callsLastHour}/${brain.callsPerHour} calls this hour, $${brain.spentTodayUsd.toFixed(4)}${brain.budgetUsdPerDay > 0 ? ` of $${brain.budgetUsdPerDay.toFixed(2)}` : ""} today`,
  );
  if (brain.consecutiveFailures > 0 || brain.lastFailure !== null)
    lines.push(
      `  last failure: ${brain.lastFailure ?? "?"} (${brain.consecutiveFailures} in a row)`,
    );
  if (brain.backoffUntil !== null) lines.push(`  backing off until ${brain.backoffUntil}`);
  if (brain.quotaResetAt !== null)
    lines.push(`  provider limit: waiting until ${brain.quotaResetAt}`);
  lines.push(`Sensors (${status.readings.length}):`);
  for (const reading of status.readings)
    lines.push(
      `  ${reading.name}: ${reading.status === "ok" ? JSON.stringify(reading.signal).slice(0, 100) : `FAILED: ${reading.error}`}`,
    );
  lines.push(`Goals (${status.goals.length}):`);
  for (const goal of status.goals) lines.push(`  ${goal.id}: ${getSummaryLine(goal.text)}`);
  if (status.heldDecision !== null) {
    const held = status.heldDecision;
    lines.push(`Waiting for a human: decision ${held.id} — ${held.critique}`);
    for (const item of held.actions)
      lines.push(`  #${item.index} ${item.action.type} ${item.status}: ${item.gateReason}`);
    lines.push(`  bosun pulse approve ${held.id} [--only N,…] | bosun pulse reject ${held.id}`);
  }
  if (status.workers.length > 0) {
    lines.push(`Workers (${status.workers.length}):`);
    for (const worker of status.workers)
      lines.push(`  ${worker.id}: ${worker.health} — ${worker.summary}`);
  }
  if (status.openAsks.length > 0) {
    lines.push(`Open asks (${status.openAsks.length}):`);
    for (const ask of status.openAsks)
      lines.push(
        `  ${ask.id}: ${ask.question.slice(0, 100)}${ask.options.length > 0 ? ` [${ask.options.join("/")}]` : ""}`,
      );
  }
  if (status.journalTail.length > 0) {
    lines.push("Journal (latest):");
    for (const line of status.journalTail.slice(-5)) lines.push(`  ${line}`);
  }
  return `${lines.join("\n")}\n`;
}

/** A goal's first line that is not a heading, for a one-line listing. */
function getSummaryLine(text: string): string {
  const lines = text.split("\n").map((line) => line.trim());
  const line = lines.find((l) => l !== "" && !l.startsWith("#")) ?? lines[0] ?? "";
  return line.length > 100 ? `${line.slice(0, 97)}…` : line;
}
