/**
 * Offline-agent scripts and on-disk reads for e2e tests of `bosun pipeline`: producers that write
 * the plan and the audit where bosun asks for them, verifiers that give a verdict, and the runs a
 * pipeline (and its follow-ups) left, read back typed.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { OfflineAction } from "../../src/agents/offline/script.js";
import { listRunIds, readRun, readRunEvents } from "../../src/store/run-read.js";
import type { RunEvent } from "../../src/store/schema/events.js";
import type { AuditReport, Phase, PhasePlan, Verdict } from "../../src/store/schema/pipeline.js";
import type { PipelineRun } from "../../src/store/schema/run.js";
import { createOfflineRepo, type OfflineRepo, type OfflineSteps } from "./offline-repo.js";

/**
 * A pipeline call makes two dispatches an iteration, each a Node process: on a loaded 2-core
 * machine a four-pair run takes over 30 s, the default kill switch of a CLI call.
 */
export const PIPELINE_CLI_TIMEOUT_MS = 120_000;

/** A vitest timeout for tests that make several pipeline calls, above the CLI's own. */
export const PIPELINE_TEST_TIMEOUT_MS = 240_000;

/** An offline repo for pipeline calls (the longer CLI timeout), cleaned up by `repos`' owner. */
export async function createPipelineRepo(
  repos: OfflineRepo[],
  steps: OfflineSteps,
): Promise<OfflineRepo> {
  const repo = await createOfflineRepo(steps, {}, { cliTimeoutMs: PIPELINE_CLI_TIMEOUT_MS });
  repos.push(repo);
  return repo;
}

/** The request the pipeline tests give. */
export const INTENT = "Add greeting.txt and a test that reads it.";

/** Where a plan producer writes the plan (the offline agent expands `${BOSUN_RUN_DIR}`). */
export const PLAN_FILE = "${BOSUN_RUN_DIR}/artifacts/plan/plan.json";

/** Where an audit producer writes the audit. */
export const AUDIT_FILE = "${BOSUN_RUN_DIR}/artifacts/audit/audit.json";

/** `bosun pipeline` with the offline agent in both seats, plus `extra` flags. */
export function pipelineArgs(...extra: string[]): string[] {
  return ["pipeline", "--producer", "offline", "--verifier", "offline", ...extra];
}

/** `pipelineArgs` with the test intent. */
export function pipelineIntentArgs(...extra: string[]): string[] {
  return pipelineArgs("--intent", INTENT, ...extra);
}

/** A phase of the plan with the fields the schema asks for. */
export function makePhase(id: string, dependsOn: string[] = []): Phase {
  return {
    id,
    title: `Phase ${id}`,
    scope: `everything of ${id}`,
    depends_on: dependsOn,
    acceptance_criteria: [`${id} works`],
    risks: [],
    rollback: `revert ${id}`,
  };
}

/** p2 depends on p1 but is listed first: the order implement and test take must come from depends_on. */
export const TWO_PHASE_PLAN: PhasePlan = {
  version: 1,
  phases: [makePhase("p2", ["p1"]), makePhase("p1")],
};

/** An audit that finds nothing missing. */
export const CLEAN_AUDIT: AuditReport = { version: 1, delivered: ["greeting.txt"], gaps: [] };

/** Writes `value` as JSON to `file` (a plan, an audit, anything a producer is told to write). */
export function writeJson(file: string, value: unknown): OfflineAction {
  return { write: { path: file, content: `${JSON.stringify(value, null, 2)}\n` } };
}

/** A producer's work report (task_id and round are filled in by the offline agent). */
export function workReport(filesChanged: string[] = []): OfflineAction {
  return { report: { files_changed: filesChanged, notes: "did the work", tests: [] } };
}

/** A verifier's verdict.json, written exactly as given (also an invalid one). */
export function verdict(value: Verdict | Record<string, unknown>): OfflineAction {
  return { report: value };
}

/** The verdict that ends a pair. */
export const COMPLETE = verdict({ verdict: "complete", summary: "checked every criterion" });

/**
 * The steps every pair ends on, after a test's own steps: the plan producer writes `plan`, the
 * audit producer `audit`, every other producer only reports, and every verifier says complete.
 */
export function makeHappySteps(
  plan: PhasePlan = TWO_PHASE_PLAN,
  audit: AuditReport = CLEAN_AUDIT,
): OfflineSteps {
  return [
    { seat: "worker", phase: "plan", actions: [writeJson(PLAN_FILE, plan), workReport()] },
    { seat: "worker", phase: "audit", actions: [writeJson(AUDIT_FILE, audit), workReport()] },
    { seat: "worker", actions: [workReport()] },
    { seat: "verifier", actions: [COMPLETE] },
  ];
}

/** A pipeline run as it is on disk. */
export interface PipelineRunOnDisk {
  /** Run id. */
  runId: string;
  /** run.json. */
  run: PipelineRun;
  /** events.jsonl, in order. */
  events: RunEvent[];
}

/** Every pipeline run of the repository, oldest first (a follow-up after its parent). */
export async function readPipelineRuns(
  repo: Pick<OfflineRepo, "paths">,
): Promise<PipelineRunOnDisk[]> {
  const runs: PipelineRunOnDisk[] = [];
  for (const runId of await listRunIds(repo.paths)) {
    const run = await readRun(repo.paths, runId);
    if (run?.flow !== "pipeline") throw new Error(`run ${runId} is not a pipeline run`);
    runs.push({ runId, run, events: await readRunEvents(repo.paths, runId) });
  }
  // Run ids only count seconds: two runs of one second sort by their random suffix.
  return runs.sort((a, b) => a.run.createdAt.localeCompare(b.run.createdAt));
}

/** The repository's one pipeline run; throws unless there is exactly one. */
export async function readOnlyPipelineRun(
  repo: Pick<OfflineRepo, "paths">,
): Promise<PipelineRunOnDisk> {
  const runs = await readPipelineRuns(repo);
  const only = runs[0];
  if (runs.length !== 1 || only === undefined)
    throw new Error(`expected exactly one pipeline run, found ${runs.length}`);
  return only;
}

/** A file under the run's directory (`.bosun/runs/<id>/<rel>`). */
export function getRunFile(repo: Pick<OfflineRepo, "paths">, runId: string, rel: string): string {
  return join(repo.paths.runDir(runId), rel);
}

/** Reads a file under the run's directory. */
export function readRunFile(
  repo: Pick<OfflineRepo, "paths">,
  runId: string,
  rel: string,
): Promise<string> {
  return readFile(getRunFile(repo, runId, rel), "utf8");
}

/** The prompt of one attempt of a seat: `artifacts/<pair>[/phases/<phase>]/rounds/<n>/<seat>[-<attempt>]/prompt.md`. */
export function readPromptFile(
  repo: Pick<OfflineRepo, "paths">,
  runId: string,
  where: { phase: string; iteration: number; seat: string; attempt?: number },
): Promise<string> {
  const [pair = "", phaseId] = where.phase.split("/", 2);
  const attempt = where.attempt ?? 1;
  return readFile(
    join(
      repo.paths.pairArtifactDir(runId, pair, phaseId),
      "rounds",
      String(where.iteration),
      attempt === 1 ? where.seat : `${where.seat}-${attempt}`,
      "prompt.md",
    ),
    "utf8",
  );
}

/** Finished dispatches per `phase/iteration/seat/attempt` (a resume must never repeat one). */
export function countCompletedDispatches(events: readonly RunEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) {
    if (event.type !== "dispatch.completed") continue;
    const key = `${event.phase ?? "-"}/${event.round}/${event.seat}/${event.attempt}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The stages in the order their iterations started: `plan#1`, `implement/p1#1`, … */
export function listStartedIterations(events: readonly RunEvent[]): string[] {
  return events.flatMap((event) =>
    event.type === "round.started" ? [`${event.phase ?? "-"}#${event.round}`] : [],
  );
}
