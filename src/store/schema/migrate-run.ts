/**
 * Upgrades a run.json an older bosun wrote, on read (the file is never rewritten). Apart from the
 * journal's upgrade (migrate.ts) so that reading a snapshot needs only the run's schema.
 *
 * run.json version 1 → 2: `openAskId` became `openAskIds`.
 */
import { z } from "zod";
import { RunSchema } from "./run.js";

/** The schema to read run.json with: a version 1 file is upgraded first (see the file comment). */
export const RunFileReadSchema = z.preprocess((value) => {
  if (!isRecord(value) || value["version"] !== 1) return value;
  const { openAskId, ...rest } = value;
  return { ...rest, version: 2, openAskIds: typeof openAskId === "string" ? [openAskId] : [] };
}, RunSchema);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
