/**
 * The offline agent's script: for each (role, round) a list of actions — edits, shell commands,
 * a report to write — played without any model. Used by `bosun demo` and by tests.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { getErrorMessage, isNodeError } from "../../errors.js";
import { describeFsError } from "../../store/fs-errors.js";
import { formatIssues } from "../../store/json-file.js";

/** One thing the offline agent does. */
export const OfflineActionSchema = z.union([
  /** Print assistant text. */
  z.strictObject({ say: z.string() }),
  /** Create or overwrite a file (path relative to the working directory). */
  z.strictObject({ write: z.strictObject({ path: z.string(), content: z.string() }) }),
  /** Replace the first occurrence of `find` in a file. */
  z.strictObject({
    replace: z.strictObject({ path: z.string(), find: z.string(), with: z.string() }),
  }),
  /** Delete a file. */
  z.strictObject({ delete: z.string() }),
  /** Run a shell command in the working directory. */
  z.strictObject({ run: z.string() }),
  /** Write the role's report (task_id and round are filled in when missing). */
  z.strictObject({ report: z.record(z.string(), z.unknown()) }),
  /** Sleep (to simulate a slow or hung agent). */
  z.strictObject({ sleepMs: z.number().int().nonnegative() }),
  /** Print a raw line on stdout (to simulate garbage output). */
  z.strictObject({ emit: z.string() }),
  /** Exit at once with this code, without a final result (to simulate a crash). */
  z.strictObject({ exit: z.number().int() }),
]);

/** An offline action. */
export type OfflineAction = z.infer<typeof OfflineActionSchema>;

/** A script file. */
export const OfflineScriptSchema = z.strictObject({
  /** Format version. */
  version: z.literal(1),
  /** Steps; the first whose role and round match the dispatch is played. */
  steps: z.array(
    z.strictObject({
      /** Role this step plays; any role when absent. */
      role: z.enum(["worker", "reviewer"]).optional(),
      /** Round this step plays; any round when absent. */
      round: z.number().int().positive().optional(),
      /** Attempt (1 first prompt, 2 re-prompt); any when absent. */
      attempt: z.number().int().positive().optional(),
      /** What to do. */
      actions: z.array(OfflineActionSchema),
    }),
  ),
});

/** An offline script. */
export type OfflineScript = z.infer<typeof OfflineScriptSchema>;

/** A script file read and checked, or the exact reason it cannot be played. */
export type OfflineScriptRead =
  { isValid: true; script: OfflineScript } | { isValid: false; error: string };

/** Reads and validates a script file; never throws (the reason is returned, for any caller to word). */
export async function readOfflineScript(file: string): Promise<OfflineScriptRead> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const why =
      isNodeError(error) && error.code === "ENOENT" ? "not found" : describeFsError(error, file);
    return { isValid: false, error: why };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { isValid: false, error: `not valid JSON (${getErrorMessage(error)})` };
  }
  const result = OfflineScriptSchema.safeParse(data);
  if (!result.success) return { isValid: false, error: formatIssues(result.error.issues) };
  return { isValid: true, script: result.data };
}
