/**
 * `bosun log --follow` prints a live run's events as they are written (fs.watch, no polling) and
 * stops by itself when the run completes.
 */
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { startProcess } from "../../src/proc/run-process.js";
import { listRunIds } from "../../src/store/run-read.js";
import { appendLines } from "../../src/store/jsonl.js";
import { RunStore } from "../../src/store/run-store.js";
import { waitFor } from "../helpers/wait-for.js";
import { createOfflineRepo, useOfflineRepos } from "../helpers/offline-repo.js";

const CLI_ENTRY = join(resolve(import.meta.dirname, "../.."), "dist", "cli.js");
const repos = useOfflineRepos();

describe("bosun log --follow", () => {
  it("streams events of a live run as JSON lines and exits 0 when the run completes", async () => {
    const repo = await createOfflineRepo([]);
    repos.push(repo);
    // The worker waits for this file, so the run cannot end before the follower is following.
    const gate = join(repo.home, "go");
    await repo.writeScript([
      {
        role: "worker",
        actions: [
          { run: `while [ ! -e '${gate}' ]; do sleep 0.05; done` },
          { write: { path: "feature.txt", content: "feature\n" } },
          { report: { files_changed: ["feature.txt"] } },
        ],
      },
      { role: "reviewer", actions: [{ report: { decision: "approve" } }] },
    ]);
    const review = repo.startCli([
      "review",
      "--goal",
      "add a feature",
      "--worker",
      "offline",
      "--reviewer",
      "offline",
    ]);
    const runId = await waitFor("the run to start", async () => (await listRunIds(repo.paths))[0]);
    const follow = repo.startCli(["log", runId, "--follow", "--json"]);
    await waitFor("the follower to print the history so far", () =>
      follow.stdoutLines.length > 0 ? true : undefined,
    );
    const printedBeforeTheEnd = [...follow.stdoutLines];
    await writeFile(gate, "");
    const reviewResult = await review.result;
    const followResult = await follow.result;

    expect(reviewResult.exitCode).toBe(0);
    expect(followResult.exitCode).toBe(0);
    const types = followResult.stdout
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { type: string }).type);
    // It printed the start while the worker waited; the checkpoint and all after it, it had to
    // watch for.
    expect(printedBeforeTheEnd[0]).toContain('"type":"run.created"');
    expect(printedBeforeTheEnd.join("\n")).not.toContain("checkpoint.created");
    expect(types).toContain("checkpoint.created");
    expect(types).toContain("review.completed");
    expect(types.at(-1)).toBe("run.completed");
    // It printed the whole history exactly once, no more, no less.
    const { events } = await repo.readOnlyRun();
    expect(types).toEqual(events.map((event) => event.type));
  });

  it("prints an event appended while it is still printing the history, and exits at run.completed", async () => {
    const repo = await createOfflineRepo([]);
    repos.push(repo);
    const store = await RunStore.create(repo.paths, "burst\n", {
      type: "run.created",
      version: 2,
      flow: "review",
      taskId: "T-001",
      title: "burst",
      baseCommit: (await repo.git(["rev-parse", "HEAD"])).trim(),
      options: { worker: "offline", reviewer: "offline", maxRounds: 3, verify: "", timeoutSec: 0 },
    });
    const { runId } = store;
    await store.close();
    // Far more history than a pipe holds (64 KB): bosun is still printing it, blocked on the
    // pipe, when the last event lands — before it has even started to watch the file.
    const HISTORY = 20_000;
    const ts = new Date().toISOString();
    const history = Array.from({ length: HISTORY }, (_, i) =>
      JSON.stringify({ type: "round.started", seq: i + 2, ts, round: 1, head: "h" }),
    );
    const last = { type: "run.completed", seq: HISTORY + 2, ts, status: "cancelled", reason: "x" };
    const file = repo.paths.eventsFile(runId);
    await appendLines(file, history);
    const follow = startProcess({
      command: process.execPath,
      args: [CLI_ENTRY, "log", runId, "--follow", "--json"],
      cwd: repo.root,
      env: { BOSUN_HOME: repo.home, HOME: repo.home, NO_COLOR: "1" },
      timeoutMs: 15_000,
      graceMs: 1_000,
    });
    const types: string[] = [];
    for await (const line of follow.lines()) {
      types.push((JSON.parse(line) as { type: string }).type);
      if (types.length === 2) await appendLines(file, [JSON.stringify(last)]);
    }
    const ended = await follow.result;
    expect(ended.terminationReason).toBe("exit");
    expect(ended.exitCode).toBe(0);
    expect(types).toHaveLength(HISTORY + 2);
    expect(types.at(-1)).toBe("run.completed");
  });

  it("stops following a paused run at once, and calls an empty history lost", async () => {
    const repo = await createOfflineRepo([
      {
        role: "worker",
        actions: [
          { write: { path: "feature.txt", content: "f\n" } },
          { report: { files_changed: ["feature.txt"] } },
        ],
      },
      {
        role: "reviewer",
        actions: [
          { report: { decision: "changes_required", blocking_issues: [{ reason: "more" }] } },
        ],
      },
    ]);
    repos.push(repo);
    const args = [
      "review",
      "--goal",
      "g",
      "--worker",
      "offline",
      "--reviewer",
      "offline",
      "--single-round",
    ];
    expect((await repo.runCli(args)).exitCode).toBe(0);
    const runId = (await listRunIds(repo.paths))[0] ?? "";

    const follow = await repo.runCli(["log", runId, "--follow"]);

    expect(follow.exitCode).toBe(0);
    expect(follow.stdout).toContain("⏸ paused --single-round: one round ran");
    await writeFile(repo.paths.eventsFile(runId), "");
    const empty = await repo.runCli(["log", runId]);
    expect(empty.exitCode).toBe(1);
    expect(empty.stderr).toContain(
      `Run ${runId} has no events: ${repo.paths.eventsFile(runId)} is empty or missing`,
    );
  });
});
