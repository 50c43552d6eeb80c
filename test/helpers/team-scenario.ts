/**
 * Building blocks for team-run scenario tests (gates, merges, budgets, resume): a plan of any
 * shape, a team repo with extra committed files, and typed reads of what a run left behind.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Plan } from "../../src/store/schema/plan.js";
import type { RunEvent } from "../../src/store/schema/events.js";
import { runProcess } from "../../src/proc/run-process.js";
import { filterEvents, type OfflineRepo } from "./offline-repo.js";
import { createTeamRepo, type TeamSteps } from "./team-repo.js";

/** One task of a scenario plan: its id, what it waits for, the paths it may change. */
export interface ScenarioTask {
  /** Task id (its file is `<id>.txt` unless the scenario says otherwise). */
  id: string;
  /** Ids it depends on; none when absent. */
  deps?: string[];
  /** Its scope; `[<id>.txt]` when absent. */
  scope?: string[];
}

/** A plan of the tasks `tasks`, in the shape the scripted planner writes. */
export function makePlan(tasks: readonly ScenarioTask[]): Plan {
  return {
    version: 1,
    goal: "Scenario goal.",
    tasks: tasks.map((spec) => ({
      id: spec.id,
      title: `Task ${spec.id}`,
      description: `Do task ${spec.id}.`,
      role: "backend",
      depends_on: spec.deps ?? [],
      acceptance_criteria: [`task ${spec.id} is done`],
      scope: spec.scope ?? [`${spec.id}.txt`],
      priority: 1,
    })),
  };
}

/** A team repo (check.sh committed) with `files` committed on top, the offline agent playing `steps`. */
export async function createScenarioRepo(
  steps: TeamSteps,
  files: Readonly<Record<string, string>> = {},
): Promise<OfflineRepo> {
  const repo = await createTeamRepo(steps);
  const names = Object.keys(files);
  if (names.length > 0) {
    for (const name of names) await writeFile(join(repo.root, name), files[name] ?? "");
    await repo.git(["add", "--", ...names]);
    await repo.git(["commit", "-q", "-m", "scenario files"]);
  }
  return repo;
}

/** `bosun run --execute` with the offline agent in every seat, `verify` as the test command. */
export function teamArgs(verify: string, ...extra: string[]): string[] {
  return [
    "run",
    "Scenario goal.",
    "--execute",
    "--worker",
    "offline",
    "--critic",
    "offline",
    "--verify",
    verify,
    ...extra,
  ];
}

/** The integration branch of run `runId`. */
export function getIntegrationBranch(runId: string): string {
  return `bosun/${runId}/integration`;
}

/** A file as the run's integration branch holds it (git show; without its last newline). */
export async function readIntegrationFile(
  repo: OfflineRepo,
  runId: string,
  file: string,
): Promise<string> {
  return repo.git(["show", `${getIntegrationBranch(runId)}:${file}`]);
}

/** The prompt bosun gave a seat's first attempt in a round. */
export function readPrompt(
  repo: OfflineRepo,
  runId: string,
  taskId: string,
  round: number,
  seat = "worker",
): Promise<string> {
  return readFile(join(repo.paths.attemptDir(runId, taskId, round, seat, 1), "prompt.md"), "utf8");
}

/** How many `merge.completed` events each task has. */
export function countMerges(events: readonly RunEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of filterEvents(events, "merge.completed"))
    counts[event.taskId] = (counts[event.taskId] ?? 0) + 1;
  return counts;
}

/** The subjects of the merge commits made on the integration branch (first parents), oldest first. */
export async function listIntegrationMerges(repo: OfflineRepo, runId: string): Promise<string[]> {
  const out = await repo.git([
    "log",
    "--first-parent",
    "--merges",
    "--reverse",
    "--format=%s",
    getIntegrationBranch(runId),
  ]);
  return out.split("\n").filter((line) => line !== "");
}

/**
 * Runs `command` with /bin/sh on a fresh checkout of the run's integration branch; its exit code
 * (the project's tests on what the run produced).
 */
export async function runOnIntegration(
  repo: OfflineRepo,
  runId: string,
  command: string,
): Promise<{ exitCode: number | null; output: string }> {
  const dir = join(repo.home, `integration-check-${runId}`);
  await repo.git(["worktree", "add", "--quiet", "--detach", dir, getIntegrationBranch(runId)]);
  try {
    const result = await runProcess({
      command: "/bin/sh",
      args: ["-c", `exec 2>&1\n${command}`],
      cwd: dir,
      timeoutMs: 10_000,
    });
    return { exitCode: result.exitCode, output: result.stdout };
  } finally {
    await repo.git(["worktree", "remove", "--force", dir]);
  }
}
