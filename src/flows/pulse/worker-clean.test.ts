import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { makeGitRepo, makeOutsideDir } from "../../../test/helpers/git-repo.js";
import { UsageError } from "../../errors.js";
import { createBosunPaths, type BosunPaths } from "../../store/paths.js";
import type * as PulseWorkers from "../../store/pulse-workers.js";
import { readWorkerFile, writeWorkerFile } from "../../store/pulse-workers.js";
import { DEFAULT_CONFIG, type Config } from "../../store/schema/config.js";
import type { WorkerFile, WorkerStatus } from "../../store/schema/pulse-worker.js";
import { readRef, runGit } from "../../workspace/git.js";
import { cleanWorkers } from "./worker-clean.js";
import { startWorker } from "./workers.js";

/** Runs before cleaning reads a worker's file by id: a test starts the worker again there. */
const reads = vi.hoisted(() => ({
  beforeRead: undefined as ((id: string) => Promise<void>) | undefined,
}));
vi.mock("../../store/pulse-workers.js", async (importOriginal) => {
  const actual = await importOriginal<typeof PulseWorkers>();
  return {
    ...actual,
    readWorkerFile: async (...args: Parameters<typeof actual.readWorkerFile>) => {
      await reads.beforeRead?.(args[1]);
      return actual.readWorkerFile(...args);
    },
  };
});

const CONFIG: Config = { ...DEFAULT_CONFIG, pulse: { ...DEFAULT_CONFIG.pulse, worker: "offline" } };
/** A host that does nothing: the worker stays as the test writes it. */
const NOOP_HOST = ["/bin/sh", "-c", "exit 0", "sh"];

/** A repository with its worktrees outside it, and a worker `id` with a worktree, ended. */
async function setUp(): Promise<{ repo: string; paths: BosunPaths }> {
  const repo = await makeGitRepo();
  const paths = createBosunPaths(repo, repo, { BOSUN_HOME: await makeOutsideDir() });
  return { repo, paths };
}

async function startEndedWorker(
  paths: BosunPaths,
  id: string,
  status: WorkerStatus = "done",
): Promise<WorkerFile & { worktree: NonNullable<WorkerFile["worktree"]> }> {
  const started = await startWorker(
    paths,
    CONFIG,
    { id, prompt: "Write a file.", hasWorktree: true },
    { bosunArgv: NOOP_HOST },
  );
  const worker = { ...started, status };
  await writeWorkerFile(paths, worker);
  const { worktree } = worker;
  if (worktree === undefined) throw new Error("the worker has no worktree");
  return { ...worker, worktree };
}

/** The worker's agent writing and committing `file` in its worktree. */
async function commitInWorktree(dir: string, file: string, content: string): Promise<string> {
  await writeFile(path.join(dir, file), content);
  await runGit(dir, ["add", file]);
  await runGit(dir, ["commit", "-q", "-m", `add ${file}`]);
  return (await runGit(dir, ["rev-parse", "HEAD"])).trim();
}

describe("cleaning pulse workers", () => {
  it("removes an ended worker's worktree and deletes its branch once the change is merged", async () => {
    const { repo, paths } = await setUp();
    const worker = await startEndedWorker(paths, "w1");
    await commitInWorktree(worker.worktree.path, "a.txt", "a\n");
    // Squashed into main by hand: merged by content, not by history.
    await writeFile(path.join(repo, "a.txt"), "a\n");
    await runGit(repo, ["add", "a.txt"]);
    await runGit(repo, ["commit", "-q", "-m", "squash of w1"]);
    const cleaned = await cleanWorkers(paths, { isForced: false });
    expect(cleaned.workers).toEqual([
      { workerId: "w1", worktree: "removed", isBranchDeleted: true },
    ]);
    expect(cleaned.target).toBe((await runGit(repo, ["rev-parse", "HEAD"])).trim());
    expect(existsSync(worker.worktree.path)).toBe(false);
    expect(await readRef(repo, `refs/heads/${worker.worktree.branch}`)).toBeNull();
    // Its record stays, and a later clean has nothing more to say about it.
    expect((await readWorkerFile(paths, "w1"))?.status).toBe("done");
    expect((await cleanWorkers(paths, { isForced: false })).workers).toEqual([]);
  });

  it("refuses unmerged work; forced, it saves uncommitted work to a ref and keeps the branch", async () => {
    const { repo, paths } = await setUp();
    const worker = await startEndedWorker(paths, "w1", "failed");
    const tip = await commitInWorktree(worker.worktree.path, "a.txt", "a\n");
    await writeFile(path.join(worker.worktree.path, "draft.txt"), "not committed\n");
    const refused = await cleanWorkers(paths, { ids: ["w1"], isForced: false });
    expect(refused.workers[0]).toMatchObject({ worktree: "refused", isBranchDeleted: false });
    expect(refused.workers[0]?.reason).toContain("not in");
    expect(existsSync(path.join(worker.worktree.path, "draft.txt"))).toBe(true);
    const forced = await cleanWorkers(paths, { ids: ["w1"], isForced: true });
    const [result] = forced.workers;
    expect(result).toMatchObject({ worktree: "removed", isBranchDeleted: false });
    expect(result?.reason).toContain("is kept");
    expect(existsSync(worker.worktree.path)).toBe(false);
    expect(await readRef(repo, `refs/heads/${worker.worktree.branch}`)).toBe(tip);
    const snapshotRef = result?.snapshotRef ?? "";
    expect(await runGit(repo, ["show", `${snapshotRef}:draft.txt`])).toBe("not committed");
  });

  it("never touches a worker that has not ended, and says how to stop it", async () => {
    const { paths } = await setUp();
    const worker = await startEndedWorker(paths, "w1", "running");
    const cleaned = await cleanWorkers(paths, { ids: ["w1"], isForced: true });
    expect(cleaned.workers[0]).toMatchObject({ worktree: "refused", isBranchDeleted: false });
    expect(cleaned.workers[0]?.reason).toContain("bosun _ worker kill w1");
    expect(existsSync(worker.worktree.path)).toBe(true);
    // Left out when cleaning every ended worker.
    expect((await cleanWorkers(paths, { isForced: true })).workers).toEqual([]);
  });

  it("judges against --into, and reports a worker without a worktree, an unknown one and a bad ref", async () => {
    const { repo, paths } = await setUp();
    const worker = await startEndedWorker(paths, "w1");
    const tip = await commitInWorktree(worker.worktree.path, "a.txt", "a\n");
    await runGit(repo, ["branch", "release", tip]);
    await writeWorkerFile(paths, { ...worker, id: "w2", worktree: undefined, cwd: repo });
    const cleaned = await cleanWorkers(paths, {
      ids: ["w1", "w2"],
      into: "release",
      isForced: false,
    });
    expect(cleaned.workers).toEqual([
      { workerId: "w1", worktree: "removed", isBranchDeleted: true },
      { workerId: "w2", worktree: "none", isBranchDeleted: false },
    ]);
    await expect(cleanWorkers(paths, { ids: ["w9"], isForced: false })).rejects.toThrow(UsageError);
    await expect(cleanWorkers(paths, { into: "nowhere", isForced: false })).rejects.toThrow(
      /not a branch or commit/,
    );
  });

  it("keeps the branch when no other branch holds the target: --into itself, or HEAD detached at its tip", async () => {
    const { repo, paths } = await setUp();
    const worker = await startEndedWorker(paths, "w1");
    const tip = await commitInWorktree(worker.worktree.path, "a.txt", "a\n");
    const own = await cleanWorkers(paths, { into: worker.worktree.branch, isForced: false });
    expect(own.workers[0]).toMatchObject({ worktree: "removed", isBranchDeleted: false });
    expect(own.workers[0]?.reason).toContain("no other branch or tag holds");
    expect(await readRef(repo, `refs/heads/${worker.worktree.branch}`)).toBe(tip);
    // The user looks at the work in the main checkout: HEAD holds it, no branch but its own.
    await runGit(repo, ["checkout", "-q", "--detach", tip]);
    const detached = await cleanWorkers(paths, { isForced: false });
    expect(detached.workers[0]).toMatchObject({ worktree: "absent", isBranchDeleted: false });
    expect(await readRef(repo, `refs/heads/${worker.worktree.branch}`)).toBe(tip);
    // Once another branch holds it, the branch goes.
    await runGit(repo, ["branch", "release", tip]);
    expect((await cleanWorkers(paths, { isForced: false })).workers[0]).toMatchObject({
      isBranchDeleted: true,
    });
  });

  it("cleans only a worker's own branch: a worker.json naming another is refused", async () => {
    const { repo, paths } = await setUp();
    const worker = await startEndedWorker(paths, "w1");
    const mainTip = await readRef(repo, "refs/heads/main");
    // Hand-edited to name main, with a branch that holds main so main would look merged.
    await runGit(repo, ["branch", "copy", "main"]);
    await writeWorkerFile(paths, { ...worker, worktree: { ...worker.worktree, branch: "main" } });
    const cleaned = await cleanWorkers(paths, { ids: ["w1"], isForced: true });
    expect(cleaned.workers[0]).toMatchObject({ worktree: "refused", isBranchDeleted: false });
    expect(cleaned.workers[0]?.reason).toContain("bosun/pulse/w1");
    expect(await readRef(repo, "refs/heads/main")).toBe(mainTip);
    expect(existsSync(worker.worktree.path)).toBe(true);
  });

  it("reads each worker again right before its turn: one started again meanwhile is refused", async () => {
    const { paths } = await setUp();
    await startEndedWorker(paths, "w1");
    const second = await startEndedWorker(paths, "w2");
    // While w1 is cleaned, w2 is started again in its worktree.
    reads.beforeRead = async (id) => {
      if (id !== "w2") return;
      reads.beforeRead = undefined;
      await writeWorkerFile(paths, {
        ...second,
        status: "running",
        startedAt: new Date(Date.parse(second.startedAt) + 1000).toISOString(),
      });
    };
    try {
      const cleaned = await cleanWorkers(paths, { isForced: true });
      expect(cleaned.workers.map((worker) => worker.workerId)).toEqual(["w1", "w2"]);
      expect(cleaned.workers[1]).toMatchObject({ worktree: "refused", isBranchDeleted: false });
      expect(cleaned.workers[1]?.reason).toContain("started again");
      expect(existsSync(second.worktree.path)).toBe(true);
    } finally {
      reads.beforeRead = undefined;
    }
  });

  it("cleans only a worker's own worktree: a worker.json naming another worker's is refused", async () => {
    const { paths } = await setUp();
    const worker = await startEndedWorker(paths, "w1");
    const other = await startEndedWorker(paths, "w2", "running");
    await commitInWorktree(other.worktree.path, "b.txt", "w2 is still at it\n");
    // Hand-edited to name w2's worktree, which a forced clean would remove.
    await writeWorkerFile(paths, {
      ...worker,
      worktree: { ...worker.worktree, path: other.worktree.path },
    });
    const cleaned = await cleanWorkers(paths, { ids: ["w1"], isForced: true });
    expect(cleaned.workers[0]).toMatchObject({ worktree: "refused", isBranchDeleted: false });
    expect(cleaned.workers[0]?.reason).toContain(other.worktree.path);
    expect(existsSync(other.worktree.path)).toBe(true);
  });
});
