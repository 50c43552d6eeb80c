/**
 * Carrying a decision's moves out, and settling the ones a human holds: every move is marked
 * `started` on disk before its side effect and `done`/`failed` after, so a crash mid-act is
 * found on the next beat. A half-done move that cannot safely run twice is surfaced
 * (`interrupted`, a journal line, the brain told) and never fired again; one that can (writing a
 * goal, a sensor, the playbook, a schedule) simply runs again.
 */
import { existsSync } from "node:fs";
import { StateError, UsageError, getErrorMessage } from "../../errors.js";
import { readAsk, writeAnswer } from "../../human/asks.js";
import { SAFE_ID_RULE, isSafeId } from "../../store/paths.js";
import {
  appendPulseJournal,
  readDecisionRecord,
  writeDecisionRecord,
} from "../../store/pulse-store.js";
import type { PulseAction } from "../../store/schema/pulse-decision.js";
import type { PulseActionRecord, PulseDecisionRecord } from "../../store/schema/pulse-record.js";
import { endOrphanedCommand, executeAction } from "./act.js";
import type { PulseEnv } from "./pulse-env.js";

/** Moves that leave the same world however often they run: re-run after a crash, not surfaced. */
const REPEATABLE_ACTIONS: ReadonlySet<PulseAction["type"]> = new Set([
  "noop",
  "write_goal",
  "write_sensor",
  "write_playbook",
  "write_schedule",
  "drop_schedule",
]);

/** A move in one line, for the journal, asks and status. */
export function describeAction(action: PulseAction): string {
  switch (action.type) {
    case "noop":
      return `noop${action.reason === undefined ? "" : ` (${action.reason})`}`;
    case "write_goal":
      return `write goal ${action.id}`;
    case "archive_goal":
      return `archive goal ${action.id}`;
    case "write_sensor":
      return `write sensor ${action.name}`;
    case "write_playbook":
      return "rewrite the playbook";
    case "write_schedule":
      return `schedule ${action.id} ${action.everySec === undefined ? `in ${action.inSec ?? "?"} s` : `every ${action.everySec} s`}: ${action.note}`;
    case "drop_schedule":
      return `drop schedule ${action.id}`;
    case "run_command":
      return `run \`${action.command}\``;
    case "start_run":
      return `start a ${action.flow} run: ${firstLine(action.request)}`;
    case "start_worker":
      return `start worker ${action.id}: ${firstLine(action.prompt)}`;
    case "tell_worker":
      return `tell worker ${action.worker}: ${firstLine(action.text)}`;
    case "kill_worker":
      return `stop worker ${action.worker}`;
    case "ask":
      return `ask: ${firstLine(action.question)}`;
    case "merge":
      return `merge ${action.branch} into ${action.into}`;
    case "deploy":
      return `deploy to ${action.target}: \`${action.command}\``;
    case "delete":
      return `delete ${action.path}`;
  }
}

/** The most of a move's text shown to the human asked to approve it. */
const DETAIL_MAX_CHARS = 2000;

/**
 * What a human must read before approving a move, beyond its one line: the script of a sensor,
 * the text of a playbook or goal, a worker's prompt and check, a run's request. Undefined when
 * the line says it all.
 */
export function describeActionDetail(action: PulseAction): string | undefined {
  const text = ((): string | undefined => {
    switch (action.type) {
      case "write_sensor":
        return action.script;
      case "write_playbook":
      case "write_goal":
        return action.text;
      case "start_worker":
        return `${action.prompt}${action.verify === undefined ? "" : `\n(done when \`${action.verify}\` passes)`}`;
      case "start_run":
        return action.request;
      case "run_command":
      case "delete":
        return action.reason;
      default:
        return undefined;
    }
  })();
  if (text === undefined || text.trim() === "") return undefined;
  const cut =
    text.length > DETAIL_MAX_CHARS
      ? `${text.slice(0, DETAIL_MAX_CHARS)}\n[… ${text.length - DETAIL_MAX_CHARS} more characters in the decision file]`
      : text;
  return cut
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}

/** A text's first line, cut to 120 characters, for one-line listings. */
export function firstLine(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > 120 ? `${line.slice(0, 117)}…` : line;
}

/**
 * Runs every move of the record that may run now (`pending`, or `approved` by a human), in
 * order, up to the first one still held for a human, writing the record around each. Returns
 * the record as it ends.
 */
export async function runReadyActions(
  env: PulseEnv,
  record: PulseDecisionRecord,
): Promise<PulseDecisionRecord> {
  for (const item of record.actions) {
    // Moves run in the order the brain gave them: one held for a human holds the ones after it
    // (they may depend on it) until it is approved or rejected.
    if (item.status === "awaiting") break;
    if (item.status !== "pending" && item.status !== "approved") continue;
    if (env.signal?.aborted === true) break;
    item.status = "started";
    item.startedAt = new Date(env.now()).toISOString();
    await writeDecisionRecord(env.paths, record);
    try {
      item.result = await executeAction(env, item.action, {
        decisionId: record.id,
        index: item.index,
      });
      item.status = "done";
    } catch (error) {
      item.status = "failed";
      item.error = getErrorMessage(error);
    }
    item.finishedAt = new Date(env.now()).toISOString();
    await writeDecisionRecord(env.paths, record);
    const outcome = item.status === "done" ? `done: ${item.result}` : `FAILED: ${item.error}`;
    env.log(`${record.id} #${item.index} ${describeAction(item.action)} — ${outcome}`);
    await appendPulseJournal(
      env.paths,
      [`${record.id} #${item.index} ${describeAction(item.action)} — ${outcome}`],
      new Date(env.now()),
    );
  }
  return record;
}

/**
 * After a crash: moves left `started` by a process that died. Repeatable ones go back to
 * `pending` and run again; the others become `interrupted`, journaled, never re-fired. Moves the
 * crash cut off before they started (`pending`, `approved`) run now: the beat lock, held here,
 * is held by whoever acts on a record, from its write to its last move, so a record still
 * holding such moves is one whose process died. Returns the lines the brain should hear (the
 * last failure).
 */
export async function recoverStartedActions(
  env: PulseEnv,
  open: readonly PulseDecisionRecord[],
): Promise<string[]> {
  const notes: string[] = [];
  for (const record of open) {
    const started = record.actions.filter((item) => item.status === "started");
    const isCutOff = record.actions.some(
      (item) => item.status === "pending" || item.status === "approved",
    );
    if (started.length === 0 && !isCutOff) continue;
    // This record's lines only: each half-done move is journaled once.
    const recordNotes: string[] = [];
    for (const item of started) {
      if (REPEATABLE_ACTIONS.has(item.action.type)) {
        item.status = "pending";
        continue;
      }
      item.status = "interrupted";
      const wasRunning =
        (item.action.type === "run_command" || item.action.type === "deploy") &&
        (await endOrphanedCommand(env, { decisionId: record.id, index: item.index }));
      item.error = `bosun stopped while this move was under way; it was not run again${wasRunning ? " (its command was still running and was stopped)" : ""}`;
      item.finishedAt = new Date(env.now()).toISOString();
      recordNotes.push(
        `${record.id} #${item.index} ${describeAction(item.action)} was interrupted half-done; check its effect before deciding it again`,
      );
    }
    await writeDecisionRecord(env.paths, record);
    if (recordNotes.length > 0)
      await appendPulseJournal(
        env.paths,
        recordNotes.map((note) => `INTERRUPTED ${note}`),
        new Date(env.now()),
      );
    notes.push(...recordNotes);
    await runReadyActions(env, record);
  }
  return notes;
}

/** What a human decided about a decision's held moves. */
export interface ApprovalInput {
  decisionId: string;
  /** True: reject; false: approve. */
  isReject: boolean;
  /** 1-based indexes of the held moves meant; absent: every held move. */
  only?: readonly number[];
  /** Who, through which channel (`cli`, `contract`, `dashboard`, `ask-answer`). */
  by: string;
}

/**
 * Approves or rejects held moves of a decision, then runs the approved ones. The caller holds
 * the beat lock. When no move of it is held any more, its ask is answered (if nobody answered
 * it yet), so a client waiting on asks sees it settled.
 */
export async function settleHeldActions(
  env: PulseEnv,
  input: ApprovalInput,
): Promise<PulseDecisionRecord> {
  if (!isSafeId(input.decisionId))
    throw new UsageError(
      `Invalid decision id ${JSON.stringify(input.decisionId)}: ${SAFE_ID_RULE}. "bosun pulse status" shows the held one.`,
    );
  const record = await readDecisionRecord(env.paths, input.decisionId);
  if (record === null)
    throw new UsageError(
      `No decision ${input.decisionId} in ${env.paths.pulse.decisionsDir}; "bosun pulse status" lists the held ones.`,
    );
  const held = record.actions.filter((item) => item.status === "awaiting");
  const chosen = pickHeld(record, held, input.only);
  const verb = input.isReject ? "rejected" : "approved";
  for (const item of chosen) {
    item.status = input.isReject ? "rejected" : "approved";
    item.decidedBy = input.by;
  }
  await writeDecisionRecord(env.paths, record);
  await appendPulseJournal(
    env.paths,
    chosen.map(
      (item) =>
        `${record.id} #${item.index} ${describeAction(item.action)} — ${verb} (${input.by})`,
    ),
    new Date(env.now()),
  );
  if (!record.actions.some((item) => item.status === "awaiting"))
    await answerApprovalAsk(env, record);
  return runReadyActions(env, record);
}

function pickHeld(
  record: PulseDecisionRecord,
  held: PulseActionRecord[],
  only: readonly number[] | undefined,
): PulseActionRecord[] {
  if (held.length === 0)
    throw new StateError(
      `Decision ${record.id} holds no move for a human: ${record.actions.map((item) => `#${item.index} ${item.status}`).join(", ")}.`,
    );
  if (only === undefined) return held;
  const chosen: PulseActionRecord[] = [];
  for (const index of only) {
    const item = record.actions.find((candidate) => candidate.index === index);
    if (item === undefined)
      throw new UsageError(
        `Decision ${record.id} has no move #${index} (it has ${record.actions.length}).`,
      );
    if (item.status !== "awaiting")
      throw new StateError(
        `Move #${index} of ${record.id} is ${item.status}, not waiting for a human; held: ${held.map((h) => `#${h.index}`).join(", ")}.`,
      );
    chosen.push(item);
  }
  return chosen;
}

/** Answers the decision's ask for whoever settled its moves another way (a verb, the page). */
async function answerApprovalAsk(env: PulseEnv, record: PulseDecisionRecord): Promise<void> {
  // No ask to answer: its writer died before writing it (the next beat would ask it again).
  if (record.askId === undefined || !existsSync(env.paths.askFile(record.askId))) return;
  const current = await readAsk(env.paths, record.askId);
  if (current.answer !== null && current.answerProblem === undefined) return;
  const isAnyApproved = record.actions.some(
    (item) => item.decidedBy !== undefined && item.status !== "rejected",
  );
  const summary = record.actions
    .filter((item) => item.decidedBy !== undefined)
    .map((item) => `#${item.index} ${item.status === "rejected" ? "rejected" : "approved"}`)
    .join(", ");
  try {
    await writeAnswer(env.paths, record.askId, isAnyApproved ? "approve" : "reject", {
      note: summary,
      source: "pulse",
    });
  } catch (error) {
    // Answered by someone else a moment ago: their answer stands, and the moves are settled.
    if (!(error instanceof StateError)) throw error;
  }
}

/**
 * Held moves whose ask a human answered through the mailbox (`bosun _ answer`, `bosun answer`,
 * the page): approve settles every held move of the decision, reject drops them.
 */
export async function settleAnsweredAsks(
  env: PulseEnv,
  open: readonly PulseDecisionRecord[],
): Promise<number> {
  let settled = 0;
  for (const record of open) {
    if (record.askId === undefined) continue;
    if (!record.actions.some((item) => item.status === "awaiting")) continue;
    const { answer, answerProblem } = await readAsk(env.paths, record.askId);
    if (answer === null || answerProblem !== undefined) continue;
    await settleHeldActions(env, {
      decisionId: record.id,
      isReject: answer.answer !== "approve",
      by: `answer to ${record.askId} (${answer.source})`,
    });
    settled += 1;
  }
  return settled;
}
