/**
 * Protected files: a fingerprint of each protected path at a commit (git's own blob ids from
 * `git ls-tree`, so exact and with no hashing here), and what changed between two fingerprints.
 */
import { UsageError } from "../errors.js";
import { runGitExact, splitNulFields } from "./git.js";

/** One path's fingerprint: the object git stores for it, and its mode. */
export interface PathFingerprint {
  /** Blob id (commit id for a submodule). */
  objectId: string;
  /** Git mode: `100644`, `100755` (executable), `120000` (symlink), `160000` (submodule). */
  mode: string;
}

/** Path (from the repository root) → fingerprint. */
export type Fingerprints = ReadonlyMap<string, PathFingerprint>;

/** What changed among protected paths between two fingerprints. Each list sorted. */
export interface FingerprintChanges {
  /** In both, with other content or mode. */
  changed: string[];
  /** Only in the first. */
  removed: string[];
  /** Only in the second. */
  added: string[];
}

/**
 * Fingerprints every file at `commit` under `paths`: each is a path from the repository root, a
 * file or a directory (everything below it), taken literally: `app/[id]/page.test.tsx` is that
 * file, and `*.lock` would be a file named so (never a pattern).
 */
export async function fingerprintPaths(
  repo: string,
  commit: string,
  pathspecs: readonly string[],
): Promise<Fingerprints> {
  if (pathspecs.length === 0) return new Map();
  if (commit.startsWith("-"))
    throw new UsageError(`"${commit}" is not a commit; pass an object id or a ref.`);
  if (pathspecs.includes(""))
    throw new UsageError(
      "A protected path is empty. Name files or directories from the repository root.",
    );
  const out = await runGitExact(repo, [
    "--literal-pathspecs",
    "ls-tree",
    "-r",
    "-z",
    "--full-tree",
    commit,
    "--",
    ...pathspecs,
  ]);
  const fingerprints = new Map<string, PathFingerprint>();
  for (const entry of splitNulFields(out)) {
    // `<mode> SP <type> SP <object> TAB <path>`; the path may hold anything but NUL.
    const tab = entry.indexOf("\t");
    const [mode = "", , objectId = ""] = entry.slice(0, tab).split(" ");
    fingerprints.set(entry.slice(tab + 1), { objectId, mode });
  }
  return fingerprints;
}

/** The protected paths that changed, went away or appeared between `before` and `after`. */
export function compareFingerprints(before: Fingerprints, after: Fingerprints): FingerprintChanges {
  const changes: FingerprintChanges = { changed: [], removed: [], added: [] };
  for (const [file, old] of before) {
    const next = after.get(file);
    if (next === undefined) changes.removed.push(file);
    else if (next.objectId !== old.objectId || next.mode !== old.mode) changes.changed.push(file);
  }
  for (const file of after.keys()) if (!before.has(file)) changes.added.push(file);
  changes.changed.sort();
  changes.removed.sort();
  changes.added.sort();
  return changes;
}
