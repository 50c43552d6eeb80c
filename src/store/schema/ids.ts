/** The one zod schema for ids that become file or directory names (task, run and ask ids). */
import { z } from "zod";
import { SAFE_ID_RULE, isSafeId } from "../paths.js";

/**
 * An id bosun may turn into a path segment under `.bosun/`. Built on `isSafeId`, the check
 * `createBosunPaths()` applies, so a document that passed its schema never fails later when its
 * id becomes a directory.
 */
export const SafeIdSchema = z.string().refine(isSafeId, { message: SAFE_ID_RULE });
