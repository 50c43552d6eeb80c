/**
 * `bosun run --execute` merge queue against real git: a merge that turns green tests red is
 * reverted and the task sent back with the failure; two tasks editing the same lines conflict and
 * the second is sent back to resolve it. Both end merged, with nothing clobbered.
 */
import { describe, expect, it } from "vitest";
import { filterEvents, useOfflineRepos } from "../helpers/offline-repo.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";
import { APPROVE, VERIFY } from "../helpers/team-repo.js";
import {
  countMerges,
  createScenarioRepo,
  listIntegrationMerges,
  makePlan,
  readIntegrationFile,
  readPrompt,
  runOnIntegration,
  teamArgs,
} from "../helpers/team-scenario.js";

const repos = useOfflineRepos();

/** Shell: wait until the run's integration branch holds `pattern` in `file` (another task merged). */
function waitForIntegration(file: string, pattern: string): { run: string } {
  return {
    run: `until git show "bosun/$BOSUN_RUN_ID/integration:${file}" 2>/dev/null | grep -q '${pattern}'; do sleep 0.05; done`,
  };
}

/** Shell: merge the integration branch into the task's branch, as the fix list asks. */
const MERGE_INTEGRATION = `git merge -q --no-edit "bosun/$BOSUN_RUN_ID/integration"`;

const report = (file: string): { report: Record<string, unknown> } => ({
  report: { files_changed: [file], notes: `changed ${file}`, tests: [] },
});

describe("bosun run --execute: a merge that breaks the tests", () => {
  /** Each file passes alone; the two saying "clash" together fail. */
  const COMBO = `if grep -qsx clash a.txt && grep -qsx clash b.txt; then echo "a.txt and b.txt both say clash"; exit 1; fi\n`;
  const COMBO_VERIFY = `${VERIFY} && sh combo.sh`;

  it("reverts the merge, sends the task back with the failure, and merges its fix; the integration branch ends green", async () => {
    const repo = await createScenarioRepo(
      [
        { seat: "planner", actions: [{ report: makePlan([{ id: "a" }, { id: "b" }]) }] },
        {
          seat: "worker",
          task: "b",
          actions: [{ write: { path: "b.txt", content: "b\nclash\n" } }, report("b.txt")],
        },
        {
          // a's change is green in its worktree, but it is merged after b's: red together.
          seat: "worker",
          task: "a",
          round: 1,
          actions: [
            waitForIntegration("b.txt", "clash"),
            { write: { path: "a.txt", content: "a\nclash\n" } },
            report("a.txt"),
          ],
        },
        {
          seat: "worker",
          task: "a",
          round: 2,
          actions: [
            { run: MERGE_INTEGRATION },
            { write: { path: "a.txt", content: "a\n" } },
            report("a.txt"),
          ],
        },
        { seat: "critic", actions: [APPROVE] },
      ],
      { "combo.sh": COMBO },
    );
    repos.push(repo);

    const result = await repo.runCli(teamArgs(COMBO_VERIFY));

    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(0);
    const { runId, run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "succeeded" });
    expect(filterEvents(events, "baseline.checked")).toMatchObject([{ passed: true }]);
    // a passed its own tests in round 1, then its merge turned the tests red and was undone.
    expect(
      filterEvents(events, "gate.completed").filter(
        (event) => event.taskId === "a" && event.name === "verify",
      ),
    ).toMatchObject([
      { round: 1, passed: true },
      { round: 2, passed: true },
    ]);
    const reverted = filterEvents(events, "merge.reverted");
    expect(reverted).toMatchObject([{ taskId: "a" }]);
    expect(reverted[0]?.reason).toContain("both say clash");
    expect(countMerges(events)).toEqual({ a: 1, b: 1 });
    const merges = filterEvents(events, "merge.completed").map((event) => event.taskId);
    expect(merges).toEqual(["b", "a"]);
    // Round 2 of a was told what broke.
    const prompt = await readPrompt(repo, runId, "a", 2);
    expect(prompt).toContain("Merging your change turned the project's tests red");
    expect(prompt).toContain("both say clash");
    // Green at the end: the run's own test command passes on the integration branch.
    expect(await runOnIntegration(repo, runId, COMBO_VERIFY)).toMatchObject({ exitCode: 0 });
    expect(await readIntegrationFile(repo, runId, "a.txt")).toBe("a");
    expect(await readIntegrationFile(repo, runId, "b.txt")).toBe("b\nclash");
    // The history holds the reverted merge no more: one merge commit per task.
    expect(await listIntegrationMerges(repo, runId)).toEqual([
      "bosun: merge task b (Task b)",
      "bosun: merge task a (Task a)",
    ]);
  });
});

describe("bosun run --execute: two tasks editing the same lines", () => {
  const SHARED = "top\nmiddle\nbottom\n";
  const edit = (by: string): { write: { path: string; content: string } } => ({
    write: { path: "shared.txt", content: `top\nfrom ${by}\nbottom\n` },
  });
  const BOTH = "top\nfrom a\nfrom b\nbottom\n";

  it("sends the second to its worker with the conflict; the worker resolves it; both merge, nothing clobbered", async () => {
    const scope = ["shared.txt"];
    const repo = await createScenarioRepo(
      [
        {
          seat: "planner",
          actions: [
            {
              report: makePlan([
                { id: "a", scope },
                { id: "b", scope },
              ]),
            },
          ],
        },
        { seat: "worker", task: "b", actions: [edit("b"), report("shared.txt")] },
        {
          // a edits the same line, on the base it started from, once b is merged: a conflict.
          seat: "worker",
          task: "a",
          round: 1,
          actions: [waitForIntegration("shared.txt", "from b"), edit("a"), report("shared.txt")],
        },
        {
          seat: "worker",
          task: "a",
          round: 2,
          actions: [
            // The merge stops on the conflict; the worker writes the resolution and commits it.
            {
              run: `${MERGE_INTEGRATION} || { printf '${BOTH.replaceAll("\n", "\\n")}' > shared.txt && git add shared.txt && git commit -q --no-edit; }`,
            },
            report("shared.txt"),
          ],
        },
        { seat: "critic", actions: [APPROVE] },
      ],
      { "shared.txt": SHARED },
    );
    repos.push(repo);

    const result = await repo.runCli(teamArgs(VERIFY));

    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(0);
    const { runId, run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "succeeded" });
    // Both ran in parallel from the same base.
    const worktrees = filterEvents(events, "worktree.created");
    expect(new Set(worktrees.map((event) => event.base)).size).toBe(1);
    expect(filterEvents(events, "merge.conflicted")).toMatchObject([
      { taskId: "a", files: ["shared.txt"] },
    ]);
    const prompt = await readPrompt(repo, runId, "a", 2);
    expect(prompt).toContain("conflicts with the integration branch");
    expect(prompt).toContain("shared.txt");
    expect(countMerges(events)).toEqual({ a: 1, b: 1 });
    expect(filterEvents(events, "merge.completed").map((event) => event.taskId)).toEqual([
      "b",
      "a",
    ]);
    // Nothing clobbered: both edits are in.
    expect(await readIntegrationFile(repo, runId, "shared.txt")).toBe(BOTH.trimEnd());
    expect(await listIntegrationMerges(repo, runId)).toEqual([
      "bosun: merge task b (Task b)",
      "bosun: merge task a (Task a)",
    ]);
  });
});

describe("bosun run --execute: the integration branch moved by someone else", () => {
  it("merges on top of the outside commit (the compare-and-swap catches bosun's stale head), losing neither", async () => {
    // b's worker, after a is merged, puts a commit of its own onto the integration branch, as a
    // human could: bosun's remembered head is stale when b merges.
    const moveIntegration = [
      `ref="refs/heads/bosun/$BOSUN_RUN_ID/integration"`,
      `tree=$(git rev-parse "$ref^{tree}")`,
      `blob=$(echo outside | git hash-object -w --stdin)`,
      `tree=$( (git ls-tree "$tree"; printf '100644 blob %s\\toutside.txt\\n' "$blob") | git mktree)`,
      `commit=$(git commit-tree "$tree" -p "$ref" -m "an outside commit")`,
      `git update-ref "$ref" "$commit"`,
    ].join(" && ");
    const repo = await createScenarioRepo([
      {
        seat: "planner",
        actions: [{ report: makePlan([{ id: "a" }, { id: "b", deps: ["a"] }]) }],
      },
      {
        seat: "worker",
        task: "a",
        actions: [{ write: { path: "a.txt", content: "a\n" } }, report("a.txt")],
      },
      {
        seat: "worker",
        task: "b",
        actions: [
          { run: moveIntegration },
          { write: { path: "b.txt", content: "b\n" } },
          report("b.txt"),
        ],
      },
      { seat: "critic", actions: [APPROVE] },
    ]);
    repos.push(repo);

    const result = await repo.runCli(teamArgs(VERIFY));

    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(0);
    const { runId, events } = await repo.readOnlyRun();
    expect(countMerges(events)).toEqual({ a: 1, b: 1 });
    expect(await readIntegrationFile(repo, runId, "outside.txt")).toBe("outside");
    expect(await readIntegrationFile(repo, runId, "a.txt")).toBe("a");
    expect(await readIntegrationFile(repo, runId, "b.txt")).toBe("b");
    // b's merge went onto the outside commit, not onto the head bosun remembered.
    const [bMerge] = filterEvents(events, "merge.started")
      .filter((event) => event.taskId === "b")
      .slice(-1);
    const subject = await repo.git(["log", "-1", "--format=%s", bMerge?.expectedOld ?? ""]);
    expect(subject.trim()).toBe("an outside commit");
  });
});
