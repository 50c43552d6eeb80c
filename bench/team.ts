/**
 * The team-run benchmarks of `npm run bench`: a real run of 200 independent tasks at
 * --max-parallel 8 (bosun's overhead per task, wall time against the ideal, bosun's CPU), bosun's
 * CPU while agents work, and the state side of a 1,000-task run (recording, resuming, reading).
 */
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { benchTeamState, type JournalTemplate } from "./team-state.js";
import {
  readTaskFigures,
  runBenchTeam,
  selectAgentCpuMs,
  sumTaskAgentMs,
  takeSample,
  type BenchTeamRun,
  type Sample,
} from "./team-run.js";
import { median, percentile, row, verdict } from "./util.js";

/** Tasks of the real run. */
const RUN_TASKS = 200;
/** --max-parallel of the real run. */
const MAX_PARALLEL = 8;
/** Default time the real run may take before the benchmark stops it (BOSUN_BENCH_TEAM_SEC). */
const RUN_BUDGET_SEC = 150;
/** Tasks of the one-at-a-time run. */
const LANE_TASKS = 10;
/** Tasks of the state benchmark. */
const STATE_TASKS = 1000;
const STATE_TASKS_LABEL = STATE_TASKS.toLocaleString("en-US");
/** Agents of the idle-CPU run, their sleep, and the window measured while all of them sleep. */
const IDLE_AGENTS = 4;
const IDLE_SLEEP_MS = 8000;
const IDLE_WINDOW_MS = 3000;
/** Time after the last agent started before the window opens (its node startup is not bosun's). */
const IDLE_SETTLE_MS = 1500;

/** Targets of the issue. */
const TARGET_OVERHEAD_MS = 100;
const TARGET_WALL_RATIO = 1.2;
const TARGET_IDLE_CPU_PCT = 2;
const TARGET_STATE_MS = 5000;
const TARGET_CLI_MS = 150;

function formatMs(ms: number): string {
  if (ms >= 120_000) return `${(ms / 60_000).toFixed(1)} min`;
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`;
}

function formatPct(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : "-";
}

/** Runs every team benchmark under `dir`, printing the table's rows as figures come in. */
export async function benchTeam(dir: string, print: (line: string) => void): Promise<void> {
  const [load1] = os.loadavg();
  print(
    `team runs · offline agents (the built agent, a node process per dispatch: main has no in-process runAgent) · tests \`true\` · load average ${load1?.toFixed(1) ?? "?"}`,
  );
  await benchIdle(path.join(dir, "idle"), print);
  await benchLane(path.join(dir, "lane"), print);
  const template = await benchRun(path.join(dir, "run"), print);
  if (template === undefined) {
    print(
      row(
        `${STATE_TASKS_LABEL}-task state`,
        "-",
        "skipped: no task of the real run merged to copy",
      ),
    );
    return;
  }
  print("");
  const state = await benchTeamState(path.join(dir, "state"), template, {
    tasks: STATE_TASKS,
    lanes: MAX_PARALLEL,
    cliRuns: 5,
  });
  print(
    `${STATE_TASKS_LABEL}-task run, state and scheduling only (no agents, no git): ${state.events} events, each task's as the real run journaled one`,
  );
  print(
    row(
      `recording it (${state.lanes} tasks at once, synced)`,
      formatMs(state.recordWallMs),
      `bosun CPU ${formatMs(state.recordCpuMs)} · target ≤ 5 s: wall ${verdict(state.recordWallMs <= TARGET_STATE_MS)}, CPU ${verdict(state.recordCpuMs <= TARGET_STATE_MS)}`,
    ),
  );
  print(
    row(
      `  of which scheduler decisions (${STATE_TASKS_LABEL})`,
      formatMs(state.decideMs),
      "every task's status from the index + findReadyTasks, per finished task",
    ),
  );
  print(
    row(
      `  of which board.json (${state.boardWrites} writes)`,
      formatMs(state.boardMs),
      "buildBoard + checked atomic write, at most once a second",
    ),
  );
  print(row("RunStore.open (a resume: read, check, index)", formatMs(state.openMs), ""));
  print(row(`buildBoard, ${STATE_TASKS_LABEL} tasks`, `${state.buildBoardMs.toFixed(1)} ms`, ""));
  print(row('node startup (node -e "")', formatMs(state.nodeMs), ""));
  for (const [label, ms] of [
    ["bosun status", state.statusMs],
    ["bosun board --json", state.boardCliMs],
  ] as const)
    print(
      row(
        `${label}, ${STATE_TASKS_LABEL} tasks`,
        formatMs(ms),
        `ratio ${(ms / state.nodeMs).toFixed(2)}x · bosun's part ${formatMs(ms - state.nodeMs)} · target ≤ 150 ms: ${verdict(ms <= TARGET_CLI_MS)}`,
      ),
    );
  print(
    row(
      "bosun board --json, no board.json (rebuilt)",
      formatMs(state.boardRebuildMs),
      `ratio ${(state.boardRebuildMs / state.nodeMs).toFixed(2)}x · after a crash: from the journal`,
    ),
  );
}

/**
 * What the machine's cores allow: the agents' own CPU (the probe's figures) and the run's whole CPU,
 * each spread over every core. The ideal assumes `MAX_PARALLEL` agents each on a core of its own;
 * where they alone need longer than the ideal, no orchestrator could meet the wall target here.
 */
function printCpuFloor(
  print: (line: string) => void,
  figures: {
    run: BenchTeamRun;
    fromMs: number;
    untilMs: number;
    idealMs: number;
    cpuMs: number;
    childrenMs: number | undefined;
  },
): void {
  const { run, idealMs, cpuMs, childrenMs } = figures;
  const cores = os.availableParallelism();
  // Only the agents that ended first start → last merge: the ideal counts just their dispatches.
  const agentCpuMs = selectAgentCpuMs(run.agentCpu, figures.fromMs, figures.untilMs);
  const agentsCpuMs = agentCpuMs.reduce((sum, ms) => sum + ms, 0);
  const agentsFloorMs = agentsCpuMs / cores;
  print(
    row(
      `  floor: the agents alone on ${cores} cores`,
      formatMs(agentsFloorMs),
      `${formatMs(agentsCpuMs)} CPU in the ${agentCpuMs.length} agent processes that ended first start → last merge (median ${formatMs(median(agentCpuMs))}) · ${(agentsFloorMs / idealMs).toFixed(2)}x the ideal with bosun and git costing nothing`,
    ),
  );
  if (childrenMs === undefined) return;
  const runFloorMs = (cpuMs + childrenMs) / cores;
  print(
    row(
      `  floor: the run's whole CPU on ${cores} cores`,
      formatMs(runFloorMs),
      `bosun, git, tests and agents, first start → last merge · ${(runFloorMs / idealMs).toFixed(2)}x the ideal`,
    ),
  );
}

/**
 * bosun's CPU while agents work and it only waits: `IDLE_AGENTS` workers sleeping at once, a
 * window opened once the last one has started (plus its startup) and closed before any ended.
 * Polling would show here.
 */
async function benchIdle(dir: string, print: (line: string) => void): Promise<void> {
  await mkdir(dir, { recursive: true });
  let started = 0;
  let windowStart: Sample | undefined;
  let windowEnd: Sample | undefined;
  let firstDoneMs = Number.POSITIVE_INFINITY;
  await runBenchTeam(dir, {
    tasks: IDLE_AGENTS,
    maxParallel: IDLE_AGENTS,
    workerSleepMs: IDLE_SLEEP_MS,
    onEvent: (event) => {
      if (event.type === "dispatch.started" && event.seat === "worker") {
        started += 1;
        if (started === IDLE_AGENTS) {
          setTimeout(() => {
            windowStart = takeSample();
            setTimeout(() => (windowEnd = takeSample()), IDLE_WINDOW_MS);
          }, IDLE_SETTLE_MS);
        }
      }
      if (event.type === "dispatch.completed" && event.seat === "worker")
        firstDoneMs = Math.min(firstDoneMs, performance.now());
    },
  });
  if (windowStart === undefined || windowEnd === undefined || firstDoneMs < windowEnd.wallMs) {
    print(
      row(
        `bosun CPU while ${IDLE_AGENTS} agents work`,
        "-",
        "no clean window: an agent ended before it closed (machine too busy)",
      ),
    );
    return;
  }
  const wallMs = windowEnd.wallMs - windowStart.wallMs;
  const cpuMs = windowEnd.cpuMs - windowStart.cpuMs;
  const spawned =
    windowEnd.spawns.git +
    windowEnd.spawns.agent +
    windowEnd.spawns.other -
    (windowStart.spawns.git + windowStart.spawns.agent + windowStart.spawns.other);
  print(
    row(
      `bosun CPU while ${IDLE_AGENTS} agents work (it waits)`,
      formatPct(cpuMs, wallMs),
      `of one core: ${cpuMs.toFixed(0)} ms CPU in ${wallMs.toFixed(0)} ms · ${spawned} processes spawned · target ≤ 2 %: ${verdict((100 * cpuMs) / wallMs <= TARGET_IDLE_CPU_PCT)}`,
    ),
  );
}

/**
 * bosun's own time per task with nothing competing for the cores: `LANE_TASKS` tasks one at a
 * time, so what is left after the agents and the tests is bosun's latency, not a queue for CPU.
 */
async function benchLane(dir: string, print: (line: string) => void): Promise<void> {
  await mkdir(dir, { recursive: true });
  const run = await runBenchTeam(dir, { tasks: LANE_TASKS, maxParallel: 1 });
  const tasks = await readTaskFigures(run.paths, run.runId, run.journal);
  const first = run.firstStart;
  const last = run.merges.at(-1);
  if (first === undefined || last === undefined || tasks.overheadMs.length === 0) {
    print(row(`${LANE_TASKS} tasks one at a time`, "-", `no task merged (run ${run.status})`));
    return;
  }
  const merged = tasks.overheadMs.length;
  const gitPerTask = (last.spawns.git - first.spawns.git) / merged;
  print(
    row(
      `bosun's overhead per task, one at a time (${merged} tasks)`,
      formatMs(median(tasks.overheadMs)),
      `median, less agents and tests · ${gitPerTask.toFixed(0)} git processes per task · agents ${formatMs(median(tasks.agentMs))} per task`,
    ),
  );
}

/**
 * The real run: `RUN_TASKS` tasks at `MAX_PARALLEL`, stopped (as Ctrl-C would) past the time
 * budget. Returns the journal and a merged task, for the state benchmark.
 */
async function benchRun(
  dir: string,
  print: (line: string) => void,
): Promise<JournalTemplate | undefined> {
  const fromEnv = Number(process.env["BOSUN_BENCH_TEAM_SEC"] ?? RUN_BUDGET_SEC);
  // 0 runs all the tasks however long they take.
  const budgetSec = Number.isFinite(fromEnv) && fromEnv >= 0 ? fromEnv : RUN_BUDGET_SEC;
  const run = await runBenchTeam(dir, {
    tasks: RUN_TASKS,
    maxParallel: MAX_PARALLEL,
    ...(budgetSec > 0 ? { budgetMs: budgetSec * 1000 } : {}),
  });
  const { journal, firstStart } = run;
  const lastMerge = run.merges.at(-1);
  const firstStartEvent = journal.find(
    (event) => event.type === "task.status" && event.status === "running",
  );
  const merges = journal.filter((event) => event.type === "merge.completed");
  const lastMergeEvent = merges.at(-1);
  if (
    firstStart === undefined ||
    lastMerge === undefined ||
    firstStartEvent === undefined ||
    lastMergeEvent === undefined
  ) {
    print(row(`team run, ${RUN_TASKS} tasks`, "-", `no task merged (run ${run.status})`));
    return undefined;
  }
  const tasks = await readTaskFigures(run.paths, run.runId, journal);
  const merged = merges.length;
  // The window: the first task's start to the last merge, both from the journal's clock.
  const windowMs = Date.parse(lastMergeEvent.ts) - Date.parse(firstStartEvent.ts);
  const agentMs = sumTaskAgentMs(journal, Date.parse(lastMergeEvent.ts));
  const idealMs = agentMs / MAX_PARALLEL;
  const cpuMs = lastMerge.cpuMs - firstStart.cpuMs;
  const sampledMs = lastMerge.wallMs - firstStart.wallMs;
  const childrenMs =
    lastMerge.childrenCpuMs === undefined || firstStart.childrenCpuMs === undefined
      ? undefined
      : lastMerge.childrenCpuMs - firstStart.childrenCpuMs;
  const overhead = median(tasks.overheadMs);
  print(
    row(
      `tasks merged, --max-parallel ${MAX_PARALLEL}`,
      `${merged}/${RUN_TASKS}`,
      run.isStopped
        ? `stopped by the bench's ${budgetSec} s budget (BOSUN_BENCH_TEAM_SEC); all ${RUN_TASKS} ≈ ${formatMs((windowMs / merged) * RUN_TASKS)} here now`
        : `run ${run.status} in ${formatMs(run.totalWallMs)} (planner, baseline and summary included)`,
    ),
  );
  print(
    row(
      "agent time per task (worker + critic)",
      formatMs(median(tasks.agentMs)),
      "median Σ dispatch.completed.durationMs: node start + script",
    ),
  );
  print(
    row(
      "→ bosun overhead per task",
      formatMs(overhead),
      `median · p90 ${formatMs(percentile(tasks.overheadMs, 90))} · worktree → merged, less agents and tests · target ≤ 100 ms: ${verdict(overhead <= TARGET_OVERHEAD_MS)}`,
    ),
  );
  print(
    row(
      "  of which waiting in the merge queue",
      formatMs(median(tasks.mergeWaitMs)),
      "median: task.status accepted → merge.started",
    ),
  );
  // Per task at a steady pace: from the merge a quarter in to the last (the first tasks' start-up
  // and, in a stopped run, the unfinished tasks' processes would blur a plain average).
  const quarter = Math.floor((merged - 1) / 4);
  const isPaced = merged - 1 - quarter > 0;
  const from = (isPaced ? run.merges[quarter] : undefined) ?? firstStart;
  const paced = isPaced ? merged - 1 - quarter : merged;
  const perTask = (kind: keyof Sample["spawns"]): number =>
    (lastMerge.spawns[kind] - from.spawns[kind]) / paced;
  const [git, agents, other] = [perTask("git"), perTask("agent"), perTask("other")];
  print(
    row(
      "processes spawned per task",
      `${(git + agents + other).toFixed(1)}`,
      `${git.toFixed(1)} git · ${agents.toFixed(1)} agents · ${other.toFixed(1)} tests (over the last ${paced} merges)`,
    ),
  );
  const childrenPerTask =
    lastMerge.childrenCpuMs === undefined || from.childrenCpuMs === undefined
      ? undefined
      : (lastMerge.childrenCpuMs - from.childrenCpuMs) / paced;
  print(
    row(
      "CPU per task: bosun's own process",
      formatMs((lastMerge.cpuMs - from.cpuMs) / paced),
      `${childrenPerTask === undefined ? "" : `its children (agents, git, tests) ${formatMs(childrenPerTask)} · `}over the same merges`,
    ),
  );
  print(
    row(
      `wall vs ideal (agent time × tasks / ${MAX_PARALLEL})`,
      formatMs(windowMs),
      `ideal ${formatMs(idealMs)} · ratio ${(windowMs / idealMs).toFixed(2)}x · target ≤ 1.2x: ${verdict(windowMs / idealMs <= TARGET_WALL_RATIO)}`,
    ),
  );
  printCpuFloor(print, {
    run,
    fromMs: Date.parse(firstStartEvent.ts),
    untilMs: Date.parse(lastMergeEvent.ts),
    idealMs,
    cpuMs,
    childrenMs,
  });
  print(
    row(
      "bosun CPU, first start → last merge",
      formatPct(cpuMs, sampledMs),
      `of one core: ${formatMs(cpuMs)} CPU${childrenMs === undefined ? "" : ` · its children (agents, git, tests) ${formatMs(childrenMs)}`}`,
    ),
  );
  const busy = performance.eventLoopUtilization(lastMerge.eventLoop, firstStart.eventLoop);
  print(
    row(
      "bosun's main thread busy, first start → last merge",
      formatPct(busy.utilization, 1),
      "event-loop utilization: near 100 % means bosun's one thread (its spawns included) sets the pace",
    ),
  );
  const completed = journal.find((event) => event.type === "run.completed");
  if (completed !== undefined)
    print(
      row(
        "end of run (summary, evidence)",
        formatMs(Date.parse(completed.ts) - Date.parse(lastMergeEvent.ts)),
        "last merge → run.completed",
      ),
    );
  print(
    row(
      `a real ${STATE_TASKS_LABEL}-task run here`,
      formatMs((windowMs / merged) * STATE_TASKS),
      "estimated from this run's pace: not run; its state side is measured below",
    ),
  );
  return { runId: run.runId, journal, taskId: lastMergeEvent.taskId };
}
