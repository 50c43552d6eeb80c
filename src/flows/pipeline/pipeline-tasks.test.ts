import { describe, expect, it } from "vitest";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import { UsageError } from "../../errors.js";
import { createBosunPaths, isSafeId, type BosunPaths } from "../../store/paths.js";
import { RunStore } from "../../store/run-store.js";
import type { PipelineOptions } from "../../store/schema/pipeline.js";
import { createTaskId, listPipelineTasks, resolveTaskRequest } from "./pipeline-tasks.js";

const OPTIONS: PipelineOptions = {
  pairs: ["implement"],
  maxIterations: 2,
  phaseMode: "single",
  producer: "offline",
  verifier: "offline",
  verify: "",
  isFullAutoAnswers: false,
  isGitDisabled: true,
  isFollowupEnabled: true,
  followupDepth: 3,
  timeoutSec: 0,
};

async function createRun(
  paths: BosunPaths,
  runId: string,
  taskId: string,
  request: string,
  parentRunId?: string,
): Promise<void> {
  const store = await RunStore.create(
    paths,
    request,
    {
      type: "run.created",
      version: 2,
      flow: "pipeline",
      taskId,
      title: request,
      baseCommit: "",
      depth: parentRunId === undefined ? 0 : 1,
      ...(parentRunId === undefined ? {} : { parentRunId }),
      options: OPTIONS,
    },
    { createId: () => runId },
  );
  await store.close();
}

describe("createTaskId", () => {
  it("names the task after the intent's first words, with a hash that tells intents apart", () => {
    const id = createTaskId("Add a /health endpoint that returns {ok: true}!");
    expect(id).toMatch(/^add-a-health-endpoint-that-[0-9a-f]{6}$/);
    expect(createTaskId("Add a /health endpoint that returns 200")).not.toBe(id);
    expect(createTaskId("Add a /health endpoint that returns {ok: true}!")).toBe(id);
    expect(createTaskId("…")).toMatch(/^task-[0-9a-f]{6}$/);
    for (const intent of ["ÄÖÜ über alles", "x".repeat(500), "  --flag  "])
      expect(isSafeId(createTaskId(intent))).toBe(true);
  });
});

describe("resolveTaskRequest", () => {
  it("starts a new task from the intent, and needs one", async () => {
    const paths = createBosunPaths(await makeTestDir());
    expect(await resolveTaskRequest(paths, "t", "Do it", "preserve")).toEqual({ request: "Do it" });
    await expect(resolveTaskRequest(paths, "t", undefined, "preserve")).rejects.toThrow(
      /Task t has no runs yet/,
    );
  });

  it("takes the task's latest request as --intent-mode says, and carries that run's ledger", async () => {
    const paths = createBosunPaths(await makeTestDir());
    await createRun(paths, "20261203-080000-aaaa", "t", "First request\n");
    await createRun(paths, "20261203-080100-bbbb", "t", "Second request\n", "20261203-080000-aaaa");
    await createRun(paths, "20261203-080200-cccc", "other", "Other\n");
    const latest = { previousRunId: "20261203-080100-bbbb" };
    expect(await resolveTaskRequest(paths, "t", undefined, "preserve")).toEqual({
      request: "Second request\n",
      ...latest,
    });
    expect(await resolveTaskRequest(paths, "t", "Second request", "preserve")).toMatchObject(
      latest,
    );
    await expect(resolveTaskRequest(paths, "t", "Something else", "preserve")).rejects.toThrow(
      UsageError,
    );
    expect(await resolveTaskRequest(paths, "t", "New", "replace")).toEqual({
      request: "New",
      ...latest,
    });
    const appended = await resolveTaskRequest(paths, "t", "Also this", "append");
    expect(appended.request).toMatch(
      /^Second request\n\n## Added for run of \d{4}-\d\d-\d\d\nAlso this\n$/,
    );
    await expect(resolveTaskRequest(paths, "t", undefined, "append")).rejects.toThrow(
      /append needs/,
    );
  });

  it("lists tasks with their runs, follow-ups naming their parent", async () => {
    const paths = createBosunPaths(await makeTestDir());
    await createRun(paths, "20261203-080000-aaaa", "t", "First\n");
    await createRun(paths, "20261203-080100-bbbb", "t", "Gaps\n", "20261203-080000-aaaa");
    const tasks = await listPipelineTasks(paths);
    expect(
      tasks.map((task) => [task.taskId, task.runs.map((run) => run.parentRunId ?? "-")]),
    ).toEqual([["t", ["-", "20261203-080000-aaaa"]]]);
  });
});
