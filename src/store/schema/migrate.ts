/**
 * Upgrades what older bosun versions wrote, on read; files on disk are never rewritten, so a run
 * started by an older bosun resumes under this one and its journal stays a faithful record.
 *
 * Journal version 1 → 2. Every version 1 run is a review of one task, so each round-scoped line
 * gets that task's id (from run.created); a dispatch's `role` was its seat (worker or reviewer),
 * and a review.completed was always the reviewer's. Lines a resumed run appended later are
 * already version 2 and pass through untouched: the upgrade is per line and idempotent.
 *
 * run.json's upgrade is in migrate-run.ts, apart, so reading a snapshot does not build the
 * journal's schemas.
 */
import { z } from "zod";
import { RunEventSchema, type RunEvent } from "./events.js";

export { RunFileReadSchema } from "./migrate-run.js";

/** Event types that belong to one task's round (they carry `taskId` from version 2 on). */
const ROUND_SCOPED = new Set([
  "round.started",
  "dispatch.started",
  "dispatch.completed",
  "dispatch.failed",
  "dispatch.cancelled",
  "head.moved",
  "checkpoint.started",
  "checkpoint.created",
  "gate.completed",
  "review.completed",
  "round.completed",
]);

/**
 * The schema to read one journal's lines with, in file order: each line is upgraded to the
 * current format, then checked. Stateful (it remembers the run's task from run.created), so make
 * one per journal read, and keep it for lines appended later to the same journal.
 */
export function createJournalLineSchema(): z.ZodType<RunEvent> {
  let taskId: unknown;
  const upgrade = (line: unknown): unknown => {
    if (!isRecord(line)) return line;
    if (line["type"] === "run.created") {
      taskId = line["taskId"];
      return line["version"] === undefined ? { ...line, version: 2 } : line;
    }
    return upgradeLine(line, taskId);
  };
  return z.preprocess(upgrade, RunEventSchema);
}

function upgradeLine(line: Record<string, unknown>, taskId: unknown): Record<string, unknown> {
  const type = line["type"];
  const isVersion1 = typeof type === "string" && ROUND_SCOPED.has(type) && !("taskId" in line);
  if (!isVersion1) {
    // Asks of a version 1 run were about its one task.
    if ((type === "ask.created" || type === "ask.answered") && !("taskId" in line))
      return taskId === undefined ? line : { ...line, taskId };
    return line;
  }
  const upgraded: Record<string, unknown> = { ...line, taskId };
  if (typeof type === "string" && type.startsWith("dispatch.") && !("seat" in line)) {
    upgraded["seat"] = line["role"];
    delete upgraded["role"];
  }
  if (type === "review.completed" && !("seat" in line)) upgraded["seat"] = "reviewer";
  return upgraded;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
