/**
 * Byte-exact snapshots of a directory tree (files, directories, symlinks), to prove a command
 * changed nothing already recorded, and to put a damaged tree back the way it was. Synchronous
 * on purpose: trees are small and a test takes thousands of snapshots; the thread pool's round
 * trips would cost more than the reads.
 */
import {
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";

/** One entry: a file's bytes, a directory, or a symlink's target. */
export type TreeEntry =
  { kind: "file"; bytes: Buffer } | { kind: "dir" } | { kind: "symlink"; target: string };

/** Entries by path relative to the snapshot's root, parents before children. */
export type TreeSnapshot = Map<string, TreeEntry>;

/** Reads every entry under `root` (an absent root is an empty snapshot), but top-level names ignored. */
export function readTreeSnapshot(
  root: string,
  ignore: readonly string[] | ((name: string) => boolean) = [],
): TreeSnapshot {
  const isIgnored = typeof ignore === "function" ? ignore : (name: string) => ignore.includes(name);
  const snapshot: TreeSnapshot = new Map();
  const walk = (rel: string): void => {
    const abs = path.join(root, rel);
    let stat;
    try {
      stat = lstatSync(abs);
    } catch {
      // An absent root: nothing to record.
      return;
    }
    if (stat.isSymbolicLink()) {
      snapshot.set(rel, { kind: "symlink", target: readlinkSync(abs) });
    } else if (stat.isDirectory()) {
      if (rel !== "") snapshot.set(rel, { kind: "dir" });
      for (const name of readdirSync(abs).sort()) {
        if (rel === "" && isIgnored(name)) continue;
        walk(path.join(rel, name));
      }
    } else {
      snapshot.set(rel, { kind: "file", bytes: readFileSync(abs) });
    }
  };
  walk("");
  return snapshot;
}

/** What differs between two snapshots, one line per path ("changed x", "added y", …). */
export function diffTreeSnapshots(before: TreeSnapshot, after: TreeSnapshot): string[] {
  const changes: string[] = [];
  for (const [rel, entry] of before) {
    const now = after.get(rel);
    if (now === undefined) changes.push(`removed ${rel}`);
    else if (!isSameEntry(entry, now)) changes.push(`changed ${rel}`);
  }
  for (const rel of after.keys()) if (!before.has(rel)) changes.push(`added ${rel}`);
  return changes;
}

/** True when `after` only appended bytes to the file `rel` (or left it alone). */
export function isAppendOnly(before: TreeSnapshot, after: TreeSnapshot, rel: string): boolean {
  const old = before.get(rel);
  const now = after.get(rel);
  if (old?.kind !== "file" || now?.kind !== "file") return old?.kind === now?.kind;
  return now.bytes.subarray(0, old.bytes.length).equals(old.bytes);
}

/**
 * Puts the tree under `root` back to `pristine`, given what it is now (`current`): removes what
 * is extra or different, then recreates what is missing. Ignored top-level names are untouched.
 */
export function restoreTreeSnapshot(
  root: string,
  pristine: TreeSnapshot,
  current: TreeSnapshot,
): void {
  for (const [rel, entry] of [...current].reverse()) {
    const wanted = pristine.get(rel);
    if (wanted === undefined || !isSameEntry(wanted, entry))
      rmSync(path.join(root, rel), { recursive: true, force: true });
  }
  for (const [rel, entry] of pristine) {
    const now = current.get(rel);
    if (now !== undefined && isSameEntry(entry, now)) continue;
    const abs = path.join(root, rel);
    if (entry.kind === "dir") mkdirSync(abs, { recursive: true });
    else {
      mkdirSync(path.dirname(abs), { recursive: true });
      if (entry.kind === "file") writeFileSync(abs, entry.bytes);
      else symlinkSync(entry.target, abs);
    }
  }
}

function isSameEntry(a: TreeEntry, b: TreeEntry): boolean {
  if (a.kind === "file" && b.kind === "file") return a.bytes.equals(b.bytes);
  if (a.kind === "symlink" && b.kind === "symlink") return a.target === b.target;
  return a.kind === b.kind;
}
