/**
 * A real team run for the benchmark: `startTeamRun` in this process (so `process.cpuUsage()` is
 * bosun alone), the offline agent in every seat (a node process per dispatch), `true` as the
 * project's tests, and the figures read back from the journal it wrote and its gates.json files.
 */
import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { createRequire, syncBuiltinESMExports } from "node:module";
import path from "node:path";
import type { EventLoopUtilization } from "node:perf_hooks";
import { z } from "zod";
import type { OfflineScript } from "../src/agents/offline/script.js";
import type { BosunEvent } from "../src/flows/events.js";
import { startTeamRun } from "../src/flows/team/team-run.js";
import { observeQuickCommands, SHELL_LOOP } from "../src/proc/shell-runner.js";
import { loadConfig } from "../src/store/config.js";
import { readJson } from "../src/store/json-file.js";
import { createBosunPaths, type BosunPaths } from "../src/store/paths.js";
import { readRunEvents } from "../src/store/run-read.js";
import type { RunEvent } from "../src/store/schema/events.js";
import type { Plan, PlanTask } from "../src/store/schema/plan.js";
import { GatesFileSchema } from "../src/store/schema/reports.js";
import type { TeamOptions } from "../src/store/schema/run-options.js";
import { runGit } from "../src/workspace/git.js";
import { ROOT, createRepo } from "./util.js";

/** The offline agent as `npm run build` bundles it. */
const OFFLINE_AGENT = path.join(ROOT, "dist", "offline-agent.js");

/** Task ids `t0001`…: sortable; each task writes `<id>.txt`. */
export function getBenchTaskId(index: number): string {
  return `t${String(index + 1).padStart(4, "0")}`;
}

/** One independent task writing `<id>.txt` (independent: any of them may run at once). */
export function createBenchTask(id: string): PlanTask {
  return {
    id,
    title: `Write ${id}.txt`,
    description: `Create ${id}.txt holding the line "${id}".`,
    role: "backend",
    depends_on: [],
    acceptance_criteria: [`${id}.txt holds the line ${id}`],
    scope: [`${id}.txt`],
    priority: 3,
  };
}

/** A plan of `count` independent tasks. */
export function createBenchPlan(count: number): Plan {
  const tasks = Array.from({ length: count }, (_, index) => createBenchTask(getBenchTaskId(index)));
  return { version: 1, goal: `Write ${count} files.`, tasks };
}

/** The run's options: offline agents, `true` as the tests, the first round accepted. */
function createOptions(maxParallel: number): TeamOptions {
  return {
    planner: "offline",
    worker: "offline",
    critic: "offline",
    maxParallel,
    maxRepairs: 0,
    verify: "true",
    timeoutSec: 0,
    stallTimeoutSec: 300,
    isPlanGated: false,
  };
}

/**
 * The offline script: the planner reports the plan; each task's worker (after `workerSleepMs`,
 * for agents that take a while) writes its file and reports it; the critic approves.
 */
function createScript(plan: Plan, workerSleepMs: number): OfflineScript {
  const sleep = workerSleepMs > 0 ? [{ sleepMs: workerSleepMs }] : [];
  const approve = { decision: "approve", blocking_issues: [], non_blocking_suggestions: [] };
  return {
    version: 1,
    steps: [
      { seat: "planner", actions: [{ report: plan }] },
      ...plan.tasks.map((task) => ({
        seat: "worker" as const,
        task: task.id,
        actions: [
          ...sleep,
          { write: { path: `${task.id}.txt`, content: `${task.id}\n` } },
          { report: { files_changed: [`${task.id}.txt`], notes: "wrote it", tests: [] } },
        ],
      })),
      { seat: "critic", actions: [{ report: approve }] },
    ],
  };
}

/** Wall clock and CPU at one instant. */
export interface Sample {
  /** performance.now(). */
  wallMs: number;
  /** This process's CPU (user + system): bosun's own. */
  cpuMs: number;
  /** CPU of the children this process waited for (agents, git, tests); undefined off Linux. */
  childrenCpuMs: number | undefined;
  /** Processes spawned so far, by kind. */
  spawns: SpawnCounts;
  /** The main thread's busy and idle time so far (`performance.eventLoopUtilization()`). */
  eventLoop: EventLoopUtilization;
}

/** Processes bosun spawned, by kind. */
export interface SpawnCounts {
  git: number;
  agent: number;
  other: number;
}

const spawnCounts: SpawnCounts = { git: 0, agent: 0, other: 0 };

/**
 * Counts every process started while `work` runs: the commands of bosun's shell runner (git) and,
 * by wrapping child_process.spawn (proc/run-process.ts calls it), the rest; the wrapper only counts.
 */
async function withSpawnCounter<T>(agentFile: string, work: () => Promise<T>): Promise<T> {
  const childProcess = createRequire(import.meta.url)("node:child_process") as {
    spawn: (command: string, ...rest: unknown[]) => unknown;
  };
  const original = childProcess.spawn;
  const count = (command: string): void => {
    if (command === "git") spawnCounts.git += 1;
    else if (command === agentFile) spawnCounts.agent += 1;
    else spawnCounts.other += 1;
  };
  childProcess.spawn = function (this: unknown, command: string, ...rest: unknown[]) {
    // The shell runner's own shell (started once) is not a process per task.
    const args = rest[0];
    if (!(Array.isArray(args) && args[1] === SHELL_LOOP)) count(command);
    return original.call(this, command, ...rest);
  };
  // Updates the named ESM exports too, which run-process.ts imports.
  syncBuiltinESMExports();
  const stopObserving = observeQuickCommands(count);
  try {
    return await work();
  } finally {
    stopObserving();
    childProcess.spawn = original;
    syncBuiltinESMExports();
  }
}

/** Takes a sample now. */
export function takeSample(): Sample {
  const cpu = process.cpuUsage();
  return {
    wallMs: performance.now(),
    cpuMs: (cpu.user + cpu.system) / 1000,
    childrenCpuMs: readChildrenCpuMs(),
    spawns: { ...spawnCounts },
    eventLoop: performance.eventLoopUtilization(),
  };
}

/** utime + stime of the waited-for children, from /proc/self/stat; undefined off Linux. */
function readChildrenCpuMs(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync("/proc/self/stat", "utf8");
  } catch {
    // Not Linux: the children's CPU is left out.
    return undefined;
  }
  // Fields after the command name's closing parenthesis; cutime and cstime are fields 16 and 17.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[13]) + Number(fields[14]);
  // Clock ticks; USER_HZ is 100 on Linux.
  return Number.isFinite(ticks) ? ticks * 10 : undefined;
}

/** A team run to measure. */
export interface BenchTeamOptions {
  /** Tasks in the plan (independent). */
  tasks: number;
  /** --max-parallel. */
  maxParallel: number;
  /** How long each worker sleeps before its work (0: a fast agent). */
  workerSleepMs?: number;
  /** Stops the run (as Ctrl-C would) once this much time has passed since it started. */
  budgetMs?: number;
  /** Every event, as the run reports it, with a sample taken right then. */
  onEvent?: (event: BosunEvent) => void;
}

/** How a measured team run went. */
export interface BenchTeamRun {
  /** The run's repository paths. */
  paths: BosunPaths;
  /** Run id. */
  runId: string;
  /** Its final status. */
  status: string;
  /** True when the time budget stopped it. */
  isStopped: boolean;
  /** Wall time of the whole `startTeamRun` call. */
  totalWallMs: number;
  /** At the first task.status running. */
  firstStart: Sample | undefined;
  /** At each merge.completed, in order. */
  merges: Sample[];
  /** The journal. */
  journal: RunEvent[];
  /** Each agent process's own CPU (user + system) and when it exited, in that order. */
  agentCpu: AgentCpu[];
}

/** One agent process's own CPU, as the probe wrote it when the agent exited. */
export interface AgentCpu {
  /** User + system CPU of the agent process. */
  cpuMs: number;
  /** When it exited (epoch ms, the clock the journal's `ts` uses). */
  endMs: number;
}

const AgentCpuSchema = z.object({ cpuMs: z.number(), endMs: z.number() });

/**
 * The CPU of the agents that exited in `(fromMs, untilMs]`: the window the wall and the ideal are
 * taken over (the planner, which exits before the first task starts, is not in the ideal either).
 */
export function selectAgentCpuMs(
  agents: readonly AgentCpu[],
  fromMs: number,
  untilMs: number,
): number[] {
  return agents
    .filter((agent) => agent.endMs > fromMs && agent.endMs <= untilMs)
    .map((agent) => agent.cpuMs);
}

/**
 * A script node preloads into each agent: as the agent exits, one line with its own CPU goes to
 * `file` (appends of one short line from separate processes do not interleave).
 */
function createAgentCpuProbe(file: string): string {
  return [
    'const { appendFileSync } = require("node:fs");',
    'process.on("exit", () => {',
    "  const { user, system } = process.cpuUsage();",
    `  appendFileSync(${JSON.stringify(file)}, JSON.stringify({ cpuMs: (user + system) / 1000, endMs: Date.now() }) + "\\n");`,
    "});",
    "",
  ].join("\n");
}

/** The agents' CPU figures written by the probe; none if no agent ran. */
async function readAgentCpu(file: string): Promise<AgentCpu[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    // No agent exited.
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => AgentCpuSchema.parse(JSON.parse(line)));
}

/**
 * Runs a team of independent tasks in a new repository under `dir`, with BOSUN_HOME (and so the
 * worktrees) under `dir` too.
 */
export async function runBenchTeam(dir: string, options: BenchTeamOptions): Promise<BenchTeamRun> {
  const repo = await createRepo(dir);
  const plan = createBenchPlan(options.tasks);
  const scriptFile = path.join(dir, "script.json");
  await writeFile(scriptFile, JSON.stringify(createScript(plan, options.workerSleepMs ?? 0)));
  // The built agent, as the `bosun` command runs it (from tsx, bosun would run the agent's .ts
  // source through tsx: seconds of agent time that no user sees). `exec`: the agent is node itself,
  // preloading a probe that appends its own CPU to agent-cpu.jsonl as it exits.
  const agentFile = path.join(dir, "offline-agent.sh");
  const agentCpuFile = path.join(dir, "agent-cpu.jsonl");
  const probeFile = path.join(dir, "agent-cpu-probe.cjs");
  await writeFile(probeFile, createAgentCpuProbe(agentCpuFile));
  await writeFile(
    agentFile,
    `#!/bin/sh\nexec "${process.execPath}" --require "${probeFile}" "${OFFLINE_AGENT}" "$@"\n`,
    { mode: 0o755 },
  );
  const config = [
    "agents:",
    "  offline:",
    `    script: ${scriptFile}`,
    `    command: ${agentFile}`,
  ];
  await writeFile(path.join(repo, "bosun.yaml"), `${config.join("\n")}\ndispatch:\n  retries: 0\n`);
  await runGit(repo, ["add", "bosun.yaml"]);
  await runGit(repo, ["commit", "-q", "-m", "bosun config"]);
  const previousHome = process.env["BOSUN_HOME"];
  process.env["BOSUN_HOME"] = path.join(dir, "home");
  const stop = new AbortController();
  const timer =
    options.budgetMs === undefined ? undefined : setTimeout(() => stop.abort(), options.budgetMs);
  try {
    const paths = createBosunPaths(repo);
    const { config: resolved } = await loadConfig(repo);
    let firstStart: Sample | undefined;
    const merges: Sample[] = [];
    const startedAt = performance.now();
    const outcome = await withSpawnCounter(agentFile, () =>
      startTeamRun({
        paths,
        config: resolved,
        goal: plan.goal,
        title: plan.goal,
        teamOptions: createOptions(options.maxParallel),
        signal: stop.signal,
        onEvent: (event) => {
          if (event.type === "task.status" && event.status === "running")
            firstStart ??= takeSample();
          if (event.type === "merge.completed") merges.push(takeSample());
          options.onEvent?.(event);
        },
      }),
    );
    const totalWallMs = performance.now() - startedAt;
    return {
      paths,
      runId: outcome.run.id,
      status: outcome.run.status,
      isStopped: stop.signal.aborted,
      totalWallMs,
      firstStart,
      merges,
      journal: await readRunEvents(paths, outcome.run.id),
      agentCpu: await readAgentCpu(agentCpuFile),
    };
  } finally {
    clearTimeout(timer);
    if (previousHome === undefined) delete process.env["BOSUN_HOME"];
    else process.env["BOSUN_HOME"] = previousHome;
  }
}

/** Per merged task: its agents' time, bosun's overhead, its wait in the merge queue. */
export interface TaskFigures {
  /** Σ the task's dispatch.completed durationMs. */
  agentMs: number[];
  /** bosun's overhead (see `readTaskFigures`). */
  overheadMs: number[];
  /** task.status accepted → merge.started. */
  mergeWaitMs: number[];
}

/**
 * Per merged task, from the journal's timestamps and the rounds' gates.json:
 *
 *   overhead = (merge.completed.ts − first task.status "running".ts)
 *            − Σ its dispatch.completed.durationMs   (its agents, spawn to exit)
 *            − Σ its rounds' verify gate durationMs   (the project's tests, from gates.json)
 *
 * What is left is bosun's: the worktree, prompts, synced journal appends, the checkpoint commit,
 * the other gates, the early-conflict checks, the merge queue (its wait included) and the test run
 * after the merge, which the journal does not time apart (with `true` as the tests, a spawn).
 */
export async function readTaskFigures(
  paths: BosunPaths,
  runId: string,
  journal: readonly RunEvent[],
): Promise<TaskFigures> {
  const startMs = new Map<string, number>();
  const acceptedMs = new Map<string, number>();
  const agentMsById = new Map<string, number>();
  const lastRound = new Map<string, number>();
  const figures: TaskFigures = { agentMs: [], overheadMs: [], mergeWaitMs: [] };
  for (const event of journal) {
    const tsMs = Date.parse(event.ts);
    switch (event.type) {
      case "task.status":
        if (event.status === "running" && !startMs.has(event.taskId))
          startMs.set(event.taskId, tsMs);
        if (event.status === "accepted") acceptedMs.set(event.taskId, tsMs);
        break;
      case "round.started":
        lastRound.set(event.taskId, event.round);
        break;
      case "dispatch.completed":
        agentMsById.set(event.taskId, (agentMsById.get(event.taskId) ?? 0) + event.durationMs);
        break;
      case "merge.started": {
        const accepted = acceptedMs.get(event.taskId);
        if (accepted !== undefined) figures.mergeWaitMs.push(tsMs - accepted);
        break;
      }
      case "merge.completed": {
        const started = startMs.get(event.taskId);
        if (started === undefined) break;
        const agentMs = agentMsById.get(event.taskId) ?? 0;
        const verifyMs = await readVerifyMs(
          paths,
          runId,
          event.taskId,
          lastRound.get(event.taskId),
        );
        figures.agentMs.push(agentMs);
        figures.overheadMs.push(tsMs - started - agentMs - verifyMs);
        break;
      }
      default:
        break;
    }
  }
  return figures;
}

/** Σ the verify gate's durationMs over a task's rounds 1..`rounds`. */
async function readVerifyMs(
  paths: BosunPaths,
  runId: string,
  taskId: string,
  rounds = 0,
): Promise<number> {
  let sum = 0;
  for (let round = 1; round <= rounds; round += 1) {
    const file = paths.roundFile(runId, taskId, round, "gates.json");
    const gates = await readJson(file, GatesFileSchema);
    for (const gate of gates?.gates ?? []) if (gate.name === "verify") sum += gate.durationMs ?? 0;
  }
  return sum;
}

/** Σ durationMs of the dispatches journaled as completed at or before `untilMs` (task seats only). */
export function sumTaskAgentMs(journal: readonly RunEvent[], untilMs: number): number {
  let sum = 0;
  for (const event of journal)
    if (event.type === "dispatch.completed" && event.taskId !== "plan")
      if (Date.parse(event.ts) <= untilMs) sum += event.durationMs;
  return sum;
}
