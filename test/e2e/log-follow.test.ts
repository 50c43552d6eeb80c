/**
 * `bosun log --follow` prints a live run's events as they are written (fs.watch, no polling) and
 * stops by itself when the run completes.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
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
});
