/**
 * `.bosun/locks/<hash>.lock`: the one live run changing a working tree. Written once, whole, by
 * the process that takes the lock (see store/tree-lock.ts), and readable by a human.
 */
import { z } from "zod";
import { SAFE_ID_RULE, isSafeId } from "../paths.js";

/** Who holds a working tree's lock. */
export const TreeLockSchema = z.object({
  /** Format version. */
  version: z.literal(1),
  /** The holding process. */
  pid: z.number().int().positive(),
  /** Its start time in clock ticks since boot (Linux /proc), so a reused pid is not taken for it. */
  startTime: z.string().optional(),
  /** The run working in the tree, when the holder is a run. */
  runId: z.string().refine(isSafeId, SAFE_ID_RULE).optional(),
  /** The working tree, as a real path (the lock file's name is a hash of it). */
  cwd: z.string(),
});

/** A working tree's lock. */
export type TreeLock = z.infer<typeof TreeLockSchema>;
