/**
 * The two readable files of a pipeline run that humans and later prompts read:
 * - `decisions.md`, the clarification ledger: every question a verifier asked and its answer
 *   (a human's or, with --full-auto-answers, a model's), carried into the task's later runs;
 * - `raw_phase_log.md`, the story of every iteration, one line per journaled step, appended as
 *   it happens.
 * Both are append-only and written after the journal, which stays the source of truth. A ledger
 * entry is never written twice (each is marked, and a resumed run re-appends only what is
 * missing); the story is only a story: a crash between the journal and it loses that line.
 */
import { appendFile, readFile, writeFile } from "node:fs/promises";
import { isNodeError } from "../../errors.js";
import type { BosunPaths } from "../../store/paths.js";
import type { RunEvent } from "../../store/schema/events.js";

/** The ledger's text ("" before the first entry). */
export async function readLedger(paths: BosunPaths, runId: string): Promise<string> {
  return readTextOrEmpty(paths.decisionsFile(runId));
}

/** Starts a run's ledger with what the task's earlier run decided (its ledger, carried over). */
export async function writeCarriedLedger(
  paths: BosunPaths,
  runId: string,
  fromRunId: string,
): Promise<void> {
  const carried = (await readLedger(paths, fromRunId)).trim();
  if (carried === "") return;
  await writeFile(
    paths.decisionsFile(runId),
    `<!-- carried over from run ${fromRunId} -->\n${carried}\n\n<!-- run ${runId} -->\n`,
  );
}

/** Appends a verifier's question to the ledger, once. */
export async function appendLedgerQuestion(
  paths: BosunPaths,
  runId: string,
  entry: { askId: string; phase: string; iteration: number; question: string },
): Promise<void> {
  const marker = `<!-- question ${entry.askId} -->`;
  if ((await readLedger(paths, runId)).includes(marker)) return;
  await appendFile(
    paths.decisionsFile(runId),
    `\n${marker}\n### ${entry.phase}, iteration ${entry.iteration} (${entry.askId})\n**Question:** ${entry.question.trim()}\n`,
  );
}

/** Appends the answer to a question in the ledger, once. */
export async function appendLedgerAnswer(
  paths: BosunPaths,
  runId: string,
  entry: { askId: string; answer: string; note?: string; by: string },
): Promise<void> {
  const marker = `<!-- answer ${entry.askId} -->`;
  if ((await readLedger(paths, runId)).includes(marker)) return;
  const note = entry.note === undefined ? "" : `\n**Note:** ${entry.note.trim()}`;
  await appendFile(
    paths.decisionsFile(runId),
    `${marker}\n**Answer** (${entry.by}): ${entry.answer.trim()}${note}\n`,
  );
}

/** Appends one journaled event's line to raw_phase_log.md (nothing for events it does not tell). */
export async function appendPhaseLog(
  paths: BosunPaths,
  runId: string,
  event: RunEvent,
): Promise<void> {
  const line = formatPhaseLogLine(event);
  if (line !== undefined) await appendFile(paths.rawPhaseLogFile(runId), `${line}\n`);
}

/** The story line of an event, or undefined. */
export function formatPhaseLogLine(event: RunEvent): string | undefined {
  const at = event.ts.slice(11, 19);
  switch (event.type) {
    case "run.created":
      return event.flow === "pipeline"
        ? `# Pipeline run, task ${event.taskId}\n\n${event.ts} created: ${event.options.pairs.join(" → ")}, producer ${event.options.producer}, verifier ${event.options.verifier}${event.parentRunId === undefined ? "" : `, follow-up of ${event.parentRunId}`}`
        : undefined;
    case "run.resumed":
      return `\n${event.ts} resumed (pid ${event.pid})`;
    case "run.paused":
      return `${at} paused: ${event.reason}`;
    case "phases.planned":
      return `\n${at} phases planned: ${event.phaseIds.join(" → ")}`;
    case "round.started":
      return `\n## ${event.phase ?? event.taskId} · iteration ${event.round}\n\n${at} started at ${event.head === "" ? "(no git)" : event.head.slice(0, 12)}`;
    case "dispatch.started":
      return `${at} ${event.seat === "worker" ? "producer" : event.seat} ${event.harness} started${event.attempt > 1 ? ` (re-prompt, attempt ${event.attempt})` : ""}`;
    case "dispatch.completed":
      return `${at} ${event.seat === "worker" ? "producer" : event.seat} finished in ${formatSeconds(event.durationMs)}, $${event.costUsd}${event.sessionId === undefined ? "" : `, session ${event.sessionId}`}`;
    case "dispatch.failed":
      return `${at} ${event.seat === "worker" ? "producer" : event.seat} failed: ${event.message}`;
    case "dispatch.cancelled":
      return `${at} ${event.seat === "worker" ? "producer" : event.seat} stopped`;
    case "checkpoint.created":
      return event.commit === ""
        ? `${at} no checkpoint (--no-git)`
        : `${at} checkpoint ${event.commit.slice(0, 12)}: ${event.filesChanged.length} file(s) changed${event.filesChanged.length === 0 ? "" : ` (${event.filesChanged.slice(0, 8).join(", ")}${event.filesChanged.length > 8 ? ", …" : ""})`}`;
    case "gate.completed":
      return `${at} gate ${event.name}: ${event.passed ? "passed" : "FAILED"} — ${event.detail}`;
    case "verdict.recorded":
      return `${at} verdict **${event.verdict}**: ${event.detail}`;
    case "round.completed":
      return `${at} iteration ${event.round} ended: ${event.verdict}${event.reason === undefined ? "" : ` (${event.reason})`}`;
    case "ask.created":
      return `${at} asked ${event.askId}: ${event.question}`;
    case "ask.answered":
      return `${at} answered ${event.askId}: ${event.answer}`;
    case "followup.started":
      return `\n${at} follow-up run ${event.childRunId} started for ${event.gaps} gap(s)`;
    case "run.completed":
      return `\n${event.ts} **${event.status}**: ${event.reason}`;
    default:
      return undefined;
  }
}

/** 0.4 s, 12 s: tenths below ten seconds. */
function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

async function readTextOrEmpty(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return "";
    throw error;
  }
}
