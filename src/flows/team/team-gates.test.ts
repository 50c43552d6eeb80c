/** The team gates that need a repository (team-gates.ts). */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeGitRepo, makeOutsideDir } from "../../../test/helpers/git-repo.js";
import { createBosunPaths } from "../../store/paths.js";
import { createRunIndex } from "../../store/run-index.js";
import { DEFAULT_CONFIG } from "../../store/schema/config.js";
import type { RoundScope, RunContext } from "../flow-context.js";
import type { WorkerProduction } from "../task-round.js";
import { readRef, snapshotWorkingTree } from "../../workspace/git.js";
import { createOutsideWriteGate, recordOutsideBefore } from "./team-gates.js";

const PRODUCTION: WorkerProduction = {
  parent: "p",
  commit: "c",
  filesChanged: [],
  report: { isValid: false, error: "not read by this gate" },
  reportFile: "work_report.json",
};

/**
 * A main checkout whose before-record was taken, then README.md written by task a's round-1
 * worker (its log names the file): what the outside gate sees after such a worker.
 */
async function makeWorkerWriteOutside(): Promise<{
  repo: string;
  ctx: RunContext;
  scope: RoundScope;
  written: string;
  original: string;
}> {
  const repo = await makeGitRepo();
  const ctx: RunContext = {
    paths: createBosunPaths(repo),
    config: DEFAULT_CONFIG,
    runId: "r1",
    state: createRunIndex(),
    record: () => Promise.reject(new Error("the gate records nothing itself")),
    emit: () => undefined,
  };
  const scope: RoundScope = {
    taskId: "a",
    round: 1,
    cwd: await makeOutsideDir(),
    harnesses: { worker: "offline", critic: "offline" },
    maxRounds: 1,
    timeoutSec: 0,
    resumeCommand: "bosun run --resume r1",
  };
  await recordOutsideBefore(ctx, scope, repo);
  const written = path.join(repo, "README.md");
  const original = await readFile(written, "utf8");
  await writeFile(written, "the worker was here\n");
  const logDir = ctx.paths.attemptDir("r1", "a", 1, "worker", 1);
  await mkdir(logDir, { recursive: true });
  await writeFile(path.join(logDir, "agent.log"), `Wrote ${written}\n`);
  return { repo, ctx, scope, written, original };
}

describe("createOutsideWriteGate", () => {
  it("undoes a worker's write into the main checkout, and still fails the round when bosun stopped before journaling that", async () => {
    const { repo, ctx, scope, written, original } = await makeWorkerWriteOutside();

    const first = await createOutsideWriteGate(ctx, scope, repo).run(PRODUCTION);
    expect(first.passed).toBe(false);
    expect(await readFile(written, "utf8")).toBe(original);

    // A new process runs the gate again (its verdict never reached the journal): the checkout is
    // clean now, yet the round wrote outside its worktree.
    const again = await createOutsideWriteGate(ctx, scope, repo).run(PRODUCTION);
    expect(again).toMatchObject({
      passed: false,
      fixItems: [{ source: "out_of_tree", file: "README.md" }],
    });
    expect(again.detail).toContain(`refs/bosun/outside/r1/a/r1`);
  });

  it("finishes an undo a killed bosun left half done, keeping the first saved copy", async () => {
    const { repo, ctx, scope, written, original } = await makeWorkerWriteOutside();
    // The first bosun saved the checkout and listed the file, then died before undoing it.
    const ref = "refs/bosun/outside/r1/a/r1";
    const saved = await snapshotWorkingTree(repo, ref, "what task a wrote");
    await writeFile(
      ctx.paths.roundFile("r1", "a", 1, "outside-undone.json"),
      JSON.stringify({ version: 1, files: ["README.md"], ref }),
    );

    const result = await createOutsideWriteGate(ctx, scope, repo).run(PRODUCTION);

    expect(result).toMatchObject({ passed: false, fixItems: [{ file: "README.md" }] });
    expect(await readFile(written, "utf8")).toBe(original);
    expect(await readRef(repo, ref)).toBe(saved);
  });
});
