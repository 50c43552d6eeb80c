/**
 * The pipeline benchmark of `npm run bench`: a four-pair `bosun pipeline` run through the CLI with
 * the offline agent (plan with two phases, implement and test per phase, audit: 6 iterations), and
 * bosun's own overhead per iteration read back from its journal, beside the review round's.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { OfflineScript } from "../src/agents/offline/script.js";
import { createBosunPaths } from "../src/store/paths.js";
import { listRunIds, readRunEvents } from "../src/store/run-read.js";
import type { RunEvent } from "../src/store/schema/events.js";
import type { PhasePlan } from "../src/store/schema/pipeline.js";
import { runGit } from "../src/workspace/git.js";
import { CLI, createRepo, median, row, runCapture, time, verdict } from "./util.js";

/** Timed pipeline runs (after one warm-up run). */
const PIPELINE_RUNS = 3;

/** The plan's phases: the second depends on the first. */
const PHASE_IDS = ["p1", "p2"] as const;

/** Iterations of one run: plan, implement and test per phase, audit. */
export const PIPELINE_ITERATIONS = 2 + 2 * PHASE_IDS.length;

/** One iteration (a round) of a run, as its journal tells it. */
export interface IterationTiming {
  /** `<phase or task>#<round>`: what the round was. */
  scope: string;
  /** `round.started` → `round.completed`. */
  wallMs: number;
  /** The `durationMs` of the round's `dispatch.completed` events: the time its agents ran. */
  agentMs: number;
  /** wallMs − agentMs: bosun's own part. */
  overheadMs: number;
  /** `round.completed` of the run's previous round → this `round.started` (none for the first). */
  gapBeforeMs?: number;
}

/**
 * Every finished round of one run's journal, in the order they started. A round is keyed by its
 * task, phase and number: a pipeline's pairs each start at round 1.
 */
export function listIterationTimings(events: readonly RunEvent[]): IterationTiming[] {
  const rounds = new Map<string, { startMs?: number; endMs?: number; agentMs: number }>();
  const order: string[] = [];
  const get = (key: string): { startMs?: number; endMs?: number; agentMs: number } => {
    let round = rounds.get(key);
    if (round === undefined) {
      round = { agentMs: 0 };
      rounds.set(key, round);
    }
    return round;
  };
  for (const event of events) {
    if (
      event.type !== "round.started" &&
      event.type !== "round.completed" &&
      event.type !== "dispatch.completed"
    )
      continue;
    const key = `${event.phase ?? event.taskId}#${event.round}`;
    const round = get(key);
    if (event.type === "round.started") {
      round.startMs = Date.parse(event.ts);
      order.push(key);
    } else if (event.type === "round.completed") round.endMs = Date.parse(event.ts);
    else round.agentMs += event.durationMs;
  }
  const timings: IterationTiming[] = [];
  let previousEndMs: number | undefined;
  for (const key of order) {
    const round = rounds.get(key);
    if (round?.startMs === undefined || round.endMs === undefined) continue;
    const wallMs = round.endMs - round.startMs;
    timings.push({
      scope: key,
      wallMs,
      agentMs: round.agentMs,
      overheadMs: wallMs - round.agentMs,
      ...(previousEndMs === undefined ? {} : { gapBeforeMs: round.startMs - previousEndMs }),
    });
    previousEndMs = round.endMs;
  }
  return timings;
}

/**
 * The rounds of every run in `repo` but the first: the timed runs, without the warm-up (its first
 * node start and git calls read a cold disk cache, which no later run pays).
 */
export async function readRepoTimings(repo: string): Promise<IterationTiming[][]> {
  const paths = createBosunPaths(repo);
  const runs: Array<{ startedAt: string; timings: IterationTiming[] }> = [];
  for (const runId of await listRunIds(paths)) {
    const events = await readRunEvents(paths, runId);
    runs.push({ startedAt: events[0]?.ts ?? "", timings: listIterationTimings(events) });
  }
  runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  return runs.slice(1).map((run) => run.timings);
}

/** A valid phase plan of two phases, the second depending on the first. */
function createPhasePlan(): PhasePlan {
  return {
    version: 1,
    phases: PHASE_IDS.map((id, index) => ({
      id,
      title: `Phase ${id}`,
      scope: `append a line to ${id}.txt`,
      depends_on: index === 0 ? [] : [PHASE_IDS[index - 1] ?? ""],
      acceptance_criteria: [`${id}.txt has a new line`],
      risks: [],
      rollback: "revert the checkpoint",
    })),
  };
}

/**
 * The offline script: the plan producer writes the plan, implement and test producers each append
 * a line to a file (as the review round's worker does), the audit producer finds no gap, and every
 * verifier says complete.
 */
function createScript(): OfflineScript {
  const artifact = (pair: string, name: string): string =>
    `\${BOSUN_RUN_DIR}/artifacts/${pair}/${name}`;
  const audit = { version: 1, delivered: ["every phase"], gaps: [] };
  const producer = (phase: string, file: string): OfflineScript["steps"][number] => ({
    seat: "worker",
    phase,
    actions: [
      { run: `date +%s%N >> ${file}` },
      { report: { files_changed: [file], notes: `appended to ${file}`, tests: [] } },
    ],
  });
  return {
    version: 1,
    steps: [
      {
        seat: "worker",
        phase: "plan",
        actions: [
          {
            write: {
              path: artifact("plan", "plan.json"),
              content: JSON.stringify(createPhasePlan()),
            },
          },
          { report: { files_changed: [], notes: "planned two phases", tests: [] } },
        ],
      },
      ...PHASE_IDS.flatMap((id) => [
        producer(`implement/${id}`, `${id}.txt`),
        producer(`test/${id}`, `${id}.test.txt`),
      ]),
      {
        seat: "worker",
        phase: "audit",
        actions: [
          { write: { path: artifact("audit", "audit.json"), content: JSON.stringify(audit) } },
          { report: { files_changed: [], notes: "no gap", tests: [] } },
        ],
      },
      { seat: "verifier", actions: [{ report: { verdict: "complete", summary: "ok" } }] },
    ],
  };
}

/** What the pipeline benchmark measured. */
export interface PipelineBench {
  /** Median wall time of one whole `bosun pipeline` CLI run. */
  runMs: number;
  /** Every timed iteration. */
  iterations: IterationTiming[];
}

/** Runs `bosun pipeline` with the offline agents in a fresh repository under `dir`. */
export async function benchPipelineRuns(dir: string): Promise<PipelineBench> {
  const repo = await createRepo(dir);
  const scriptFile = path.join(dir, "pipeline-script.json");
  await writeFile(scriptFile, JSON.stringify(createScript()));
  await writeFile(
    path.join(repo, "bosun.yaml"),
    `agents:\n  offline:\n    script: ${scriptFile}\ndispatch:\n  retries: 0\n`,
  );
  await runGit(repo, ["add", "bosun.yaml"]);
  await runGit(repo, ["commit", "-q", "-m", "bosun config"]);
  let n = 0;
  const runMs = await time(PIPELINE_RUNS, async () => {
    n += 1;
    // A new intent each time: a new task, so no run carries another's request or ledger.
    const args = [CLI, "pipeline", "--intent", `bench run ${n}`];
    const { exitCode } = await runCapture(
      process.execPath,
      [...args, "--producer", "offline", "--verifier", "offline"],
      repo,
    );
    if (exitCode !== 0)
      throw new Error(`bosun pipeline exited ${exitCode} in ${repo}: see its .bosun/runs/`);
  });
  const runs = await readRepoTimings(repo);
  for (const timings of runs)
    if (timings.length !== PIPELINE_ITERATIONS)
      throw new Error(
        `a pipeline run in ${repo} has ${timings.length} iterations, not ${PIPELINE_ITERATIONS}`,
      );
  return { runMs, iterations: runs.flat() };
}

/**
 * Runs the pipeline benchmark and prints its rows, with the same figure for the review rounds the
 * review benchmark left in `reviewRepo` (one run a round).
 */
export async function benchPipeline(
  dir: string,
  reviewRepo: string,
  print: (line: string) => void,
): Promise<void> {
  const pipeline = await benchPipelineRuns(dir);
  const review = (await readRepoTimings(reviewRepo)).flat();
  const pipelineMs = median(pipeline.iterations.map((item) => item.overheadMs));
  const reviewMs = median(review.map((item) => item.overheadMs));
  const gaps = pipeline.iterations.flatMap((item) =>
    item.gapBeforeMs === undefined ? [] : [item.gapBeforeMs],
  );
  print(
    row(
      "bosun pipeline: 4 pairs, 2 phases (CLI)",
      `${pipeline.runMs.toFixed(1)} ms`,
      `offline agents; ${PIPELINE_ITERATIONS} iterations: plan, implement and test per phase, audit`,
    ),
  );
  print(
    row(
      "  bosun's overhead per pipeline iteration",
      `${pipelineMs.toFixed(1)} ms`,
      `round.started → round.completed less its agents' durationMs; median of ${pipeline.iterations.length}`,
    ),
  );
  print(
    row(
      "  the same per review round",
      `${reviewMs.toFixed(1)} ms`,
      `from the review runs above; median of ${review.length}`,
    ),
  );
  print(
    row(
      "→ pipeline / review",
      `${(pipelineMs / reviewMs).toFixed(2)}x`,
      `target: within the review round's figure: ${verdict(pipelineMs <= reviewMs)}`,
    ),
  );
  print(
    row(
      "  between pipeline iterations",
      `${median(gaps).toFixed(1)} ms`,
      "round.completed → the next round.started (not in the figure above)",
    ),
  );
}
