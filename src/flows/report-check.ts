/**
 * Reads an agent's report file and checks it: valid JSON, the schema, and identity (the task id
 * and round must be the ones asked for, so a stale report from an earlier round is rejected).
 */
import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { getErrorMessage, isNodeError } from "../errors.js";
import { formatIssues } from "../store/json-file.js";

/** A report that passed, or the exact reason it did not (fed back to the agent). */
export type ReportCheck<T> = { isValid: true; report: T } | { isValid: false; error: string };

/** Reads and checks a report file. */
export async function checkReportFile<S extends z.ZodType<{ task_id: string; round: number }>>(
  file: string,
  schema: S,
  expected: { taskId: string; round: number },
): Promise<ReportCheck<z.infer<S>>> {
  const read = await readAgentJson(file);
  if (!read.isValid) return read;
  const result = schema.safeParse(read.report);
  if (!result.success)
    return { isValid: false, error: `${file}: ${formatIssues(result.error.issues)}` };
  const report = result.data;
  if (report.task_id !== expected.taskId) {
    return {
      isValid: false,
      error: `${file}: task_id is "${report.task_id}", expected "${expected.taskId}"`,
    };
  }
  if (report.round !== expected.round) {
    return {
      isValid: false,
      error: `${file}: round is ${report.round}, expected ${expected.round} (stale report?)`,
    };
  }
  return { isValid: true, report };
}

/**
 * Reads the JSON an agent was told to write to `file` (one ``` fence around it tolerated), or
 * says exactly why it cannot: missing, unreadable, not JSON.
 */
export async function readAgentJson(file: string): Promise<ReportCheck<unknown>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") {
      return { isValid: false, error: `no report was written to ${file}` };
    }
    return { isValid: false, error: `could not read ${file}: ${getErrorMessage(error)}` };
  }
  try {
    return { isValid: true, report: JSON.parse(stripOneFence(text)) as unknown };
  } catch (error) {
    return { isValid: false, error: `${file} is not valid JSON: ${getErrorMessage(error)}` };
  }
}

/** Agents sometimes wrap JSON in one ``` fence; tolerate exactly that. */
function stripOneFence(text: string): string {
  const match = /^\s*```(?:json)?\s*\n([\s\S]*?)\n```\s*$/.exec(text);
  return match?.[1] ?? text;
}
