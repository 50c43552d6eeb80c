/**
 * `bosun pulse status` for a human: the status every surface reads (flows/pulse/pulse-status.ts),
 * as lines.
 */
import { readPulseStatus, type PulseStatus } from "../../flows/pulse/pulse-status.js";

/** Everything status shows, as `--json` and `bosun _ state` print it. */
export type { PulseStatus };

/** Reads the status (the one reader every surface shares). */
export { readPulseStatus };

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
      lines.push(`  #${item.index} ${item.description} — ${item.status}: ${item.gateReason}`);
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
