/**
 * A repository and offline-agent script for team-run tests: a three-task plan (two independent
 * tasks, one depending on both), a real test command committed in the repo, and typed reads of
 * what the run left (journal, plan, the integration branch).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { OfflineAction, OfflineScript } from "../../src/agents/offline/script.js";
import type { WrittenConfig } from "../../src/store/schema/config.js";
import type { Plan } from "../../src/store/schema/plan.js";
import { createOfflineRepo, type OfflineRepo } from "./offline-repo.js";

/** The steps of an offline script. */
export type TeamSteps = OfflineScript["steps"];

/** The plan the scripted planner writes: a and b in parallel, c after both. */
export const THREE_TASK_PLAN: Plan = {
  version: 1,
  goal: "Write a.txt, b.txt and c.txt.",
  tasks: [task("a", [], ["a.txt"]), task("b", [], ["b.txt"]), task("c", ["a", "b"], ["c.txt"])],
};

function task(id: string, deps: string[], scope: string[]): Plan["tasks"][number] {
  return {
    id,
    title: `Write ${id}.txt`,
    description: `Create ${id}.txt holding the line "${id}".`,
    role: "backend",
    depends_on: deps,
    acceptance_criteria: [`${id}.txt holds the line ${id}`],
    scope,
    priority: 1,
  };
}

/** The repository's own test command: every x.txt that exists must hold the line x. */
export const CHECK_SCRIPT = `for f in a b c; do [ ! -e "$f.txt" ] || grep -qx "$f" "$f.txt" || { echo "$f.txt is wrong"; exit 1; }; done\necho ok\n`;

/** The verify command for CHECK_SCRIPT. */
export const VERIFY = "sh check.sh";

/** The planner's THREE_TASK_PLAN, then each task's worker writing its file once. */
export function planThreeTasks(): TeamSteps {
  return [
    { seat: "planner", actions: [{ report: THREE_TASK_PLAN }] },
    ...(["a", "b", "c"] as const).map((id) => ({
      seat: "worker" as const,
      task: id,
      actions: writeTaskFile(id),
    })),
  ];
}

/** A worker writing `<id>.txt` and its report. */
export function writeTaskFile(id: string, content = `${id}\n`): OfflineAction[] {
  return [
    { write: { path: `${id}.txt`, content } },
    { report: { files_changed: [`${id}.txt`], notes: `wrote ${id}.txt`, tests: [] } },
  ];
}

/** A critic approving. */
export const APPROVE: OfflineAction = {
  report: { decision: "approve", blocking_issues: [], non_blocking_suggestions: [] },
};

/** A critic asking for changes. */
export const REJECT: OfflineAction = {
  report: {
    decision: "changes_required",
    blocking_issues: [{ severity: "high", reason: "say it twice" }],
    non_blocking_suggestions: [],
  },
};

/** A repo with check.sh committed and the offline agent playing `steps`. */
export async function createTeamRepo(
  steps: TeamSteps,
  config: WrittenConfig = {},
): Promise<OfflineRepo> {
  const repo = await createOfflineRepo(steps, config);
  await writeFile(join(repo.root, "check.sh"), CHECK_SCRIPT);
  await repo.git(["add", "check.sh"]);
  await repo.git(["commit", "-q", "-m", "check.sh"]);
  return repo;
}

/** `bosun run --execute` with the offline agent in every seat. */
export const RUN_OFFLINE = [
  "run",
  THREE_TASK_PLAN.goal,
  "--execute",
  "--worker",
  "offline",
  "--critic",
  "offline",
  "--verify",
  VERIFY,
];
