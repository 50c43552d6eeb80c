/**
 * The gates a team task passes on top of review's (report, noop, verify): a worker may not weaken
 * its own grader (protected tests and CI configuration), and may not write outside its worktree
 * (the user's main checkout). Both check what git measured, not what the agent said.
 */
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { readJson, writeJsonAtomic } from "../../store/json-file.js";
import type { FixItem } from "../../store/schema/reports.js";
import { runGit, runGitExact, snapshotWorkingTree, splitNulFields } from "../../workspace/git.js";
import { listChangedPaths, snapshotTreeIfChanged } from "../../workspace/overlap.js";
import {
  compareFingerprints,
  fingerprintPaths,
  type PathFingerprint,
} from "../../workspace/protected.js";
import { getAttemptDir } from "../agent-step.js";
import { getRoundFile, type RoundScope, type RunContext } from "../flow-context.js";
import type { Gate, GateOutcome } from "../round.js";
import type { WorkerProduction } from "../task-round.js";
import { scopesOverlap } from "./scopes.js";

/**
 * Files that grade the work: test files and directories, and CI configuration. A worker that
 * changes one it was not asked to (its task's scope) is rejected: it may be weakening its grader.
 */
const PROTECTED_PATTERNS: readonly RegExp[] = [
  /(^|\/)(test|tests|spec|specs|__tests__)\//,
  /\.(test|spec)\.[^/]+$/,
  /_test\.[^/]+$/,
  /(^|\/)test_[^/]+\.py$/,
  /^\.github\/workflows\//,
  /^\.ci\//,
  /^\.circleci\//,
  /^\.gitlab-ci\.yml$/,
  /^Jenkinsfile$/,
  /^azure-pipelines\.yml$/,
];

/**
 * The protected files at `commit`: tracked files matching the patterns above, plus every tracked
 * file the verify command names (`sh check.sh`, `node scripts/test.mjs`): the grader itself.
 */
export async function listProtectedFiles(
  repo: string,
  commit: string,
  verifyCommand = "",
): Promise<string[]> {
  // -z: names exactly as stored (a quote or a newline in one would come back quoted otherwise).
  const out = await runGitExact(repo, [
    "ls-tree",
    "-r",
    "-z",
    "--name-only",
    "--full-tree",
    commit,
  ]);
  const tracked = splitNulFields(out);
  const named = new Set(
    verifyCommand
      .split(/[\s;&|()<>"']+/)
      .map((token) => token.replace(/^\.\//, ""))
      .filter((token) => token !== ""),
  );
  return tracked.filter(
    (file) => named.has(file) || PROTECTED_PATTERNS.some((pattern) => pattern.test(file)),
  );
}

/**
 * Rejects a round whose worker changed or removed a protected file outside its scope. A change
 * that came in by merging the integration branch (the worker resolving a conflict) is no change
 * of the worker's: the file then equals the integration head's.
 */
export function createProtectedGate(options: {
  /** Protected files, taken from the run's base commit when it was planned. */
  files: readonly string[];
  /** The task's scope: protected files in it are the task's to change. */
  scope: readonly string[];
  /** The integration head now. */
  readIntegrationHead(): Promise<string>;
  /** The task's fork point: every round is compared from here (a change made in an earlier round counts). */
  base: string;
  /** The task's worktree. */
  cwd: string;
}): Gate<WorkerProduction> {
  const guarded = options.files.filter((file) => !scopesOverlap([file], options.scope));
  return {
    name: "protected",
    run: async (production) => {
      if (guarded.length === 0)
        return { passed: true, detail: "no protected file outside the scope", fixItems: [] };
      // Which guarded files differ at all: one git call, and in most rounds the answer.
      const differing = splitNulFields(
        await runGitExact(options.cwd, [
          // Paths as named, never as patterns (a test file may be called "a[1].test.js").
          "--literal-pathspecs",
          "diff",
          "--name-only",
          "-z",
          "--no-renames",
          options.base,
          production.commit,
          "--",
          ...guarded,
        ]),
      );
      const suspects =
        differing.length === 0 ? [] : guarded.filter((file) => differing.includes(file));
      const [before, after, integration] = await Promise.all([
        fingerprintPaths(options.cwd, options.base, suspects),
        fingerprintPaths(options.cwd, production.commit, suspects),
        suspects.length === 0
          ? new Map<string, PathFingerprint>()
          : options
              .readIntegrationHead()
              .then((head) => fingerprintPaths(options.cwd, head, suspects)),
      ]);
      const changes = compareFingerprints(before, after);
      const touched = [...changes.changed, ...changes.removed].filter((file) => {
        const mine = after.get(file);
        const theirs = integration.get(file);
        return mine?.objectId !== theirs?.objectId || mine?.mode !== theirs?.mode;
      });
      if (touched.length === 0)
        return {
          passed: true,
          detail: `${guarded.length} protected file(s) untouched`,
          fixItems: [],
        };
      const list = touched.slice(0, 10).join(", ");
      return {
        passed: false,
        detail: `changed protected file(s) outside the task's scope: ${list}`,
        fixItems: touched.map((file): FixItem => ({
          source: "protected",
          file,
          reason: `You changed ${file}, a test or CI file outside your task's scope: the tests grade your work and must not be weakened. Restore it ("git checkout ${production.parent.slice(0, 12)} -- ${file}") and make the change pass the tests as they are.`,
        })),
      };
    },
  };
}

/** What the main checkout held before the round's worker ran (outside-before.json). */
const OutsideBeforeSchema = z.object({
  /** Format version. */
  version: z.literal(1),
  /** The main checkout's content (uncommitted work included) as a git tree. */
  tree: z.string(),
});

/**
 * Records the main checkout's content before the round's worker runs (once per round: a resumed
 * round keeps the first record, taken before any worker attempt).
 */
export async function recordOutsideBefore(
  ctx: RunContext,
  scope: RoundScope,
  mainRoot: string,
): Promise<void> {
  const file = getRoundFile(ctx, scope, "outside-before.json");
  if (existsSync(file)) return;
  await writeJsonAtomic(file, OutsideBeforeSchema, {
    version: 1,
    tree: await snapshotTreeIfChanged(mainRoot),
  });
}

/**
 * Rejects a round whose worker wrote into the user's main checkout. A path counts as the
 * worker's when it changed during the round and the worker's own log names it (its edit and
 * shell tools print the paths they write): bosun never undoes what the user changed meanwhile.
 * The worker's writes are saved under refs/bosun/outside/ first, then undone.
 */
export function createOutsideWriteGate(
  ctx: RunContext,
  scope: RoundScope,
  mainRoot: string,
): Gate<WorkerProduction> {
  return {
    name: "outside",
    run: async () => {
      const file = getRoundFile(ctx, scope, "outside-before.json");
      const before = await readJson(file, OutsideBeforeSchema);
      if (before === null)
        return {
          passed: true,
          detail: "no record of the main checkout before the worker",
          fixItems: [],
        };
      const now = await snapshotTreeIfChanged(mainRoot);
      const changed = now === before.tree ? [] : await listChangedPaths(mainRoot, before.tree, now);
      const logs = await readWorkerLogs(ctx, scope);
      // Only the absolute path counts: a worker naming its own worktree's relative path (the same
      // name) must not get a user's edit of that file undone.
      const written = changed.filter((file) => logs.includes(path.join(mainRoot, file)));
      const undoneFile = ctx.paths.roundFile(
        ctx.runId,
        scope.taskId,
        scope.round,
        "outside-undone.json",
      );
      // An earlier bosun saved the checkout and began the undo, then stopped before it
      // journaled the verdict: its ref holds the worker's writes, so no new snapshot may
      // overwrite it; what it did not get to undo is undone now, and the round fails as before.
      const undone = await readJson(undoneFile, OutsideUndoneSchema);
      if (undone !== null) {
        const left = written.filter((file) => undone.files.includes(file));
        if (left.length > 0) await restorePaths(mainRoot, before.tree, left);
        return createOutsideFailure(mainRoot, scope, undone.files, undone.ref);
      }
      if (written.length === 0) {
        const note =
          changed.length === 0 ? "" : ` (${changed.length} changed by someone else, left alone)`;
        return {
          passed: true,
          detail: `nothing written outside the worktree${note}`,
          fixItems: [],
        };
      }
      const ref = `refs/bosun/outside/${ctx.runId}/${scope.taskId}/r${scope.round}`;
      await snapshotWorkingTree(
        mainRoot,
        ref,
        `bosun: what task ${scope.taskId} wrote outside its worktree`,
      );
      // Before the undo: after it, only this file remembers what the worker did.
      await writeJsonAtomic(undoneFile, OutsideUndoneSchema, { version: 1, files: written, ref });
      await restorePaths(mainRoot, before.tree, written);
      ctx.emit({
        type: "warning",
        runId: ctx.runId,
        taskId: scope.taskId,
        message: `Task ${scope.taskId}'s worker wrote into the main checkout (${written.slice(0, 5).join(", ")}); bosun undid it (saved as ${ref}).`,
      });
      return createOutsideFailure(mainRoot, scope, written, ref);
    },
  };
}

/** What the outside gate undid in a round (outside-undone.json), written before the undo. */
const OutsideUndoneSchema = z.object({
  /** Format version. */
  version: z.literal(1),
  /** The main checkout's paths the worker wrote, put back as they were. */
  files: z.array(z.string()).min(1),
  /** Where the checkout was saved, with the worker's writes, before the undo. */
  ref: z.string(),
});

function createOutsideFailure(
  mainRoot: string,
  scope: RoundScope,
  written: readonly string[],
  ref: string,
): GateOutcome {
  return {
    passed: false,
    detail: `wrote outside its worktree: ${written.slice(0, 10).join(", ")} (undone; saved as ${ref})`,
    fixItems: written.map((file): FixItem => ({
      source: "out_of_tree",
      file,
      reason: `You wrote ${path.join(mainRoot, file)}, in the main checkout, outside your worktree; bosun undid it. Make every change inside ${scope.cwd}.`,
    })),
  };
}

/** The raw logs of the round's worker attempts (what its tools did, in the vendor's words). */
async function readWorkerLogs(ctx: RunContext, scope: RoundScope): Promise<string> {
  const logs: string[] = [];
  for (const attempt of [1, 2]) {
    const dir = getAttemptDir(ctx, scope, "worker", attempt);
    try {
      logs.push(await readFile(path.join(dir, "agent.log"), "utf8"));
    } catch {
      // That attempt did not run.
    }
  }
  return logs.join("\n");
}

/** Puts `files` back as they were in `tree` (removing those it did not hold), in `root`'s files only. */
async function restorePaths(root: string, tree: string, files: readonly string[]): Promise<void> {
  const listed = await runGitExact(root, [
    // Paths as named, never as patterns; -z: names exactly as stored.
    "--literal-pathspecs",
    "ls-tree",
    "-r",
    "-z",
    "--name-only",
    "--full-tree",
    tree,
    "--",
    ...files,
  ]);
  const inTree = new Set(splitNulFields(listed));
  const restore = files.filter((file) => inTree.has(file));
  if (restore.length > 0)
    await runGit(root, ["restore", `--source=${tree}`, "--worktree", "--", ...restore]);
  for (const file of files.filter((name) => !inTree.has(name)))
    await rm(path.join(root, file), { force: true });
}
