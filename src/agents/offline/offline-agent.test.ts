import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import { AgentError } from "../../errors.js";
import { getLiveChildPids } from "../../proc/run-process.js";
import { PlanSchema } from "../../store/schema/plan.js";
import type { AgentEvent } from "../agent-event.js";
import { isTransient } from "../attempt.js";
import { dispatch, type DispatchResult, type RetryPolicy } from "../dispatch.js";
import { resolveHarness } from "../harnesses.js";
import type { OfflineScript } from "./script.js";

/** Each spawn boots tsx; give a busy machine room, without letting a hang pass. */
const TIMEOUT_MS = 60_000;

afterEach(() => {
  expect(getLiveChildPids()).toEqual([]);
});

/**
 * A test dir with the script written in it (`steps` may be built from the dir's path); `run()`
 * dispatches the real offline agent once, through bosun's own dispatch and judging.
 */
async function makeAgent(
  steps: OfflineScript["steps"] | ((dir: string) => OfflineScript["steps"]),
) {
  const dir = await makeTestDir();
  const script = path.join(dir, "script.json");
  const written = typeof steps === "function" ? steps(dir) : steps;
  await writeFile(script, JSON.stringify({ version: 1, steps: written }));
  const harness = resolveHarness("offline", { offline: { script } });
  let dispatches = 0;
  return {
    dir,
    async run(
      env: Record<string, string>,
      options: { cwd?: string; retry?: RetryPolicy } = {},
    ): Promise<DispatchResult & { events: AgentEvent[]; reportFile: string }> {
      dispatches += 1;
      const logDir = path.join(dir, "logs", String(dispatches));
      const reportFile = path.join(logDir, "report.json");
      const events: AgentEvent[] = [];
      const result = await dispatch({
        harness,
        prompt: "play\n",
        cwd: options.cwd ?? dir,
        logDir,
        timeoutMs: TIMEOUT_MS,
        graceMs: 500,
        env: { BOSUN_RUN_ID: "run-1", BOSUN_REPORT_FILE: reportFile, ...env },
        ...(options.retry === undefined ? {} : { retry: options.retry }),
        sleep: () => Promise.resolve(),
        onEvent: (event) => events.push(event),
      });
      return { ...result, events, reportFile };
    },
  };
}

function getTexts(events: readonly AgentEvent[]): string[] {
  return events.flatMap((event) => (event.type === "text" ? [event.text] : []));
}

describe("the offline agent", () => {
  it("plays the step for its task and seat", { timeout: TIMEOUT_MS }, async () => {
    const agent = await makeAgent([
      { task: "T-1", seat: "critic", actions: [{ say: "critic of T-1" }] },
      { task: ["T-2", "T-3"], seat: "critic", actions: [{ say: "critic of T-2 or T-3" }] },
      { seat: "worker", actions: [{ say: "any worker" }] },
    ]);
    const [critic, worker] = await Promise.all([
      agent.run({ BOSUN_TASK_ID: "T-3", BOSUN_SEAT: "critic" }),
      agent.run({ BOSUN_TASK_ID: "T-3", BOSUN_SEAT: "worker" }),
    ]);
    expect(getTexts(critic.events)).toEqual(["critic of T-2 or T-3"]);
    expect(getTexts(worker.events)).toEqual(["any worker"]);
    await expect(agent.run({ BOSUN_TASK_ID: "T-4", BOSUN_SEAT: "critic" })).rejects.toThrow(
      "offline exited with code 1: No script step for critic of task T-4 round 1 attempt 1.",
    );
  });

  it(
    "plays a script written before seats for a bosun that sets only BOSUN_ROLE",
    { timeout: TIMEOUT_MS },
    async () => {
      const agent = await makeAgent([
        { role: "worker", actions: [{ say: "worker" }] },
        { role: "reviewer", actions: [{ say: "reviewer" }] },
      ]);
      const result = await agent.run({ BOSUN_TASK_ID: "T-1", BOSUN_ROLE: "reviewer" });
      expect(getTexts(result.events)).toEqual(["reviewer"]);
    },
  );

  it(
    "plays a `times: 1` step for exactly one of several agents started at once, in each run",
    { timeout: TIMEOUT_MS },
    async () => {
      const agent = await makeAgent([
        { seat: "critic", times: 1, actions: [{ say: "reject" }] },
        { seat: "critic", actions: [{ say: "approve" }] },
      ]);
      const critic = { BOSUN_TASK_ID: "T-1", BOSUN_SEAT: "critic" };
      const results = await Promise.all(Array.from({ length: 5 }, () => agent.run(critic)));
      const said = results.flatMap((result) => getTexts(result.events)).sort();
      expect(said).toEqual(["approve", "approve", "approve", "approve", "reject"]);
      // Another run plays the script afresh.
      const next = await agent.run({ ...critic, BOSUN_RUN_ID: "run-2" });
      expect(getTexts(next.events)).toEqual(["reject"]);
    },
  );

  it(
    "writes a planner's plan as given, and fills in task_id and round for a critic",
    { timeout: TIMEOUT_MS },
    async () => {
      const plan = {
        version: 1,
        goal: "Add sum()",
        tasks: [
          {
            id: "T-1",
            title: "sum",
            description: "Implement sum(a, b).",
            role: "backend",
            depends_on: [],
            acceptance_criteria: ["node test.js passes"],
            scope: ["math.js"],
            priority: 1,
          },
        ],
      };
      const agent = await makeAgent([
        { seat: "planner", actions: [{ report: plan }] },
        { seat: "critic", actions: [{ report: { decision: "approve" } }] },
      ]);
      const [planner, critic] = await Promise.all([
        agent.run({ BOSUN_TASK_ID: "plan", BOSUN_SEAT: "planner" }),
        agent.run({ BOSUN_TASK_ID: "T-1", BOSUN_SEAT: "critic", BOSUN_ROUND: "2" }),
      ]);
      const written: unknown = JSON.parse(await readFile(planner.reportFile, "utf8"));
      expect(written).toEqual(plan);
      expect(PlanSchema.safeParse(written).success).toBe(true);
      expect(JSON.parse(await readFile(critic.reportFile, "utf8"))).toEqual({
        task_id: "T-1",
        round: 2,
        decision: "approve",
      });
    },
  );

  it(
    "writes outside its working tree and reports every edit by absolute path",
    { timeout: TIMEOUT_MS },
    async () => {
      const agent = await makeAgent((dir) => [
        {
          actions: [
            { write: { path: "inside.txt", content: "in\n" } },
            { replace: { path: "inside.txt", find: "in", with: "In" } },
            { write: { path: path.join(dir, "outside", "escape.txt"), content: "out\n" } },
            { delete: "inside.txt" },
          ],
        },
      ]);
      const worktree = path.join(agent.dir, "worktree");
      const outside = path.join(agent.dir, "outside", "escape.txt");
      await mkdir(worktree);
      const result = await agent.run({ BOSUN_SEAT: "worker" }, { cwd: worktree });
      expect(await readFile(outside, "utf8")).toBe("out\n");
      const inside = path.join(worktree, "inside.txt");
      expect(result.events.filter((event) => event.type === "file.edit")).toEqual([
        { type: "file.edit", path: inside, kind: "add" },
        { type: "file.edit", path: inside, kind: "update" },
        { type: "file.edit", path: outside, kind: "add" },
        { type: "file.edit", path: inside, kind: "delete" },
      ]);
      expect(result.fileEdits).toEqual(["inside.txt", outside]);
    },
  );

  it(
    "fails with a provider's rate-limit line that bosun judges transient and retries",
    { timeout: TIMEOUT_MS },
    async () => {
      const message = "429 rate limit exceeded, resets in 2s";
      const agent = await makeAgent([
        { seat: "worker", times: 1, actions: [{ say: "working" }, { fail: { message } }] },
        { seat: "worker", actions: [{ say: "done" }] },
      ]);
      const worker = { BOSUN_TASK_ID: "T-1", BOSUN_SEAT: "worker" };
      const failure: unknown = await agent.run(worker).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(AgentError);
      const error = failure instanceof AgentError ? failure : new AgentError("not an AgentError");
      expect(error.message).toBe(`offline exited with code 1: ${message}`);
      expect(error.isPermanent).toBe(false);
      expect(isTransient(error.message)).toBe(true);
      // In a fresh run, dispatch retries it: the rate limit is hit once, the retry plays on.
      const retried = await agent.run(
        { ...worker, BOSUN_RUN_ID: "run-2" },
        { retry: { retries: 1, baseMs: 0, capMs: 0 } },
      );
      expect(retried.spawns).toBe(2);
      expect(getTexts(retried.events)).toEqual(["working", "done"]);
      expect(retried.events).toContainEqual({ type: "error", message, isFatal: true });
    },
  );
});
