/**
 * `bosun log --follow` prints a live run's events as they are written (fs.watch, no polling) and
 * stops by itself when the run completes.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { listRunIds } from "../../src/store/run-read.js";
import { waitFor } from "../helpers/wait-for.js";
import { assertCliBuilt, createOfflineRepo, type OfflineRepo } from "../helpers/offline-repo.js";

const repos: OfflineRepo[] = [];
beforeAll(() => assertCliBuilt());
afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.cleanup();
});

describe("bosun log --follow", () => {
  it("streams events of a live run as JSON lines and exits 0 when the run completes", async () => {
    const repo = await createOfflineRepo([
      {
        role: "worker",
        actions: [
          { sleepMs: 1500 },
          { write: { path: "feature.txt", content: "feature\n" } },
          { report: { files_changed: ["feature.txt"] } },
        ],
      },
      { role: "reviewer", actions: [{ report: { decision: "approve" } }] },
    ]);
    repos.push(repo);
    const review = repo.startCli([
      "review",
      "--goal",
      "add a feature",
      "--worker",
      "offline",
      "--reviewer",
      "offline",
    ]);
    // Follow only once the run exists; by then the worker is still sleeping.
    const runId = await waitFor("the run to start", async () => (await listRunIds(repo.paths))[0]);
    const follow = await repo.runCli(["log", runId, "--follow", "--json"]);
    const reviewResult = await review.result;

    expect(reviewResult.exitCode).toBe(0);
    expect(follow.exitCode).toBe(0);
    // It was started while the worker slept, so it had to wait for the rest to be written.
    expect(follow.durationMs).toBeGreaterThan(800);
    const types = follow.stdout
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types[0]).toBe("run.created");
    expect(types).toContain("checkpoint.created");
    expect(types).toContain("review.completed");
    expect(types.at(-1)).toBe("run.completed");
    // It printed the whole history exactly once, no more, no less.
    const { events } = await repo.readOnlyRun();
    expect(types).toEqual(events.map((event) => event.type));
  });
});
