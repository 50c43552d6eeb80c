/**
 * The pipeline flow driven in-process with a stand-in agent (no spawns): the producer's session
 * carried to its next iteration, a model's answer and a follow-up's creation cut short by a crash.
 */
import { existsSync, writeFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeDispatchResult } from "../../../test/helpers/dispatch-result.js";
import { makeGitRepo } from "../../../test/helpers/git-repo.js";
import type { AgentRunner, DispatchRequest } from "../../agents/dispatch.js";
import { AgentError } from "../../errors.js";
import { createBosunPaths, type BosunPaths } from "../../store/paths.js";
import { readRun, readRunEvents } from "../../store/run-read.js";
import { DEFAULT_CONFIG } from "../../store/schema/config.js";
import type { AuditReport, PipelineOptions, Verdict } from "../../store/schema/pipeline.js";
import { resumePipeline, startPipeline } from "./pipeline-run.js";

/** The file a (misbehaving) answerer writes in the tree. */
const ANSWERER_JUNK = "answerer-junk.txt";

/** The revised request of the audit's gap: a run whose request is it finds no gap. */
const REVISED = "REVISED: add farewell.txt too";

function makeOptions(overrides: Partial<PipelineOptions> = {}): PipelineOptions {
  return {
    pairs: ["implement"],
    maxIterations: 3,
    phaseMode: "single",
    producer: "claude",
    verifier: "codex",
    verify: "",
    isFullAutoAnswers: false,
    isGitDisabled: false,
    isFollowupEnabled: true,
    followupDepth: 3,
    timeoutSec: 60,
    ...overrides,
  };
}

/** What the stand-in agent is asked, per call. */
interface Call {
  seat: string;
  phase: string;
  round: number;
  sessionId?: string;
  prompt: string;
}

/**
 * A stand-in for the agent CLIs: producers report (the audit producer also writes audit.json,
 * with a gap unless its run's request is the revised one), verifiers give `verdicts(call)`, and
 * each call reports session `s-<seat>-<phase>-<round>`. `failResume` makes every resume fail.
 */
function makeAgent(
  calls: Call[],
  options: { verdicts?: (call: Call) => Verdict; failResume?: boolean } = {},
): AgentRunner {
  return async (request: DispatchRequest) => {
    const env = request.env ?? {};
    const call: Call = {
      seat: env["BOSUN_SEAT"] ?? "",
      phase: env["BOSUN_PHASE"] ?? "",
      round: Number(env["BOSUN_ROUND"]),
      ...(request.sessionId === undefined ? {} : { sessionId: request.sessionId }),
      prompt: request.prompt,
    };
    calls.push(call);
    if (options.failResume === true && request.sessionId !== undefined)
      throw new AgentError("claude found no session to resume", { isPermanent: true });
    const reportFile = env["BOSUN_REPORT_FILE"] ?? "";
    await mkdir(path.dirname(reportFile), { recursive: true });
    let report: unknown;
    if (call.seat === "worker") {
      if (call.phase === "audit") await writeAudit(env["BOSUN_RUN_DIR"] ?? "");
      report = { task_id: env["BOSUN_TASK_ID"], round: call.round, notes: "done", tests: [] };
    } else if (call.seat === "answerer") {
      // An answerer that edits the tree, which it must not.
      await writeFile(path.join(request.cwd, ANSWERER_JUNK), "junk\n");
      report = { answer: "per user" };
    } else report = options.verdicts?.(call) ?? { verdict: "complete", summary: "checked" };
    await writeFile(reportFile, JSON.stringify(report));
    return { ...makeDispatchResult(0), sessionId: `s-${call.seat}-${call.phase}-${call.round}` };
  };
}

async function writeAudit(runDir: string): Promise<void> {
  const request = await readFile(path.join(runDir, "request.md"), "utf8");
  const audit: AuditReport = request.includes(REVISED)
    ? { version: 1, delivered: ["everything"], gaps: [] }
    : { version: 1, delivered: ["greeting"], gaps: ["farewell"], revised_request: REVISED };
  await writeFile(path.join(runDir, "artifacts", "audit", "audit.json"), JSON.stringify(audit));
}

async function makeDrive(runAgent: AgentRunner): Promise<{
  paths: BosunPaths;
  config: typeof DEFAULT_CONFIG;
  runAgent: AgentRunner;
  onEvent: () => void;
}> {
  return {
    paths: createBosunPaths(await makeGitRepo()),
    config: DEFAULT_CONFIG,
    runAgent,
    onEvent: () => undefined,
  };
}

describe("the producer's session across iterations", () => {
  it("resumes the session its previous iteration reported, with only what is new", async () => {
    const calls: Call[] = [];
    const verdicts = (call: Call): Verdict =>
      call.round === 1
        ? { verdict: "continue", missing: ["add the farewell"], summary: "half done" }
        : { verdict: "complete", summary: "all there" };
    const drive = await makeDrive(makeAgent(calls, { verdicts }));

    const outcome = await startPipeline({
      ...drive,
      taskId: "t1",
      request: "Add greeting.",
      pipelineOptions: makeOptions(),
    });

    expect(outcome.run.status).toBe("succeeded");
    const producers = calls.filter((call) => call.seat === "worker");
    expect(producers.map((call) => [call.round, call.sessionId])).toEqual([
      [1, undefined],
      [2, "s-worker-implement/all-1"],
    ]);
    expect(producers[1]?.prompt).toMatch(/^Iteration 2 of at most 3 of the implement pair/);
    expect(producers[1]?.prompt).toContain("add the farewell");
    // The verifier never resumes anything: a fresh session each iteration.
    expect(calls.filter((call) => call.seat === "verifier").map((call) => call.sessionId)).toEqual([
      undefined,
      undefined,
    ]);
  });

  it("falls back to a fresh session with the whole context when the resume fails, journaled once", async () => {
    const calls: Call[] = [];
    const verdicts = (call: Call): Verdict =>
      call.round === 1
        ? { verdict: "continue", missing: ["add the farewell"], summary: "half done" }
        : { verdict: "complete", summary: "all there" };
    const drive = await makeDrive(makeAgent(calls, { verdicts, failResume: true }));

    const outcome = await startPipeline({
      ...drive,
      taskId: "t1",
      request: "Add greeting.",
      pipelineOptions: makeOptions(),
    });

    expect(outcome.run.status).toBe("succeeded");
    const second = calls.filter((call) => call.seat === "worker" && call.round === 2);
    expect(second.map((call) => call.sessionId)).toEqual(["s-worker-implement/all-1", undefined]);
    expect(second[1]?.prompt).toMatch(/^You are the PRODUCER of the implement pair/);
    expect(second[1]?.prompt).toContain("add the farewell");
    const completed = (await readRunEvents(drive.paths, outcome.run.id)).filter(
      (event) =>
        event.type === "dispatch.completed" && event.seat === "worker" && event.round === 2,
    );
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ isSessionResumed: false, spawns: 2 });
  });
});

describe("--full-auto-answers after a crash", () => {
  it("discards what the answerer changed when bosun was killed before it could", async () => {
    const verdicts = (call: Call): Verdict =>
      call.round === 1
        ? { verdict: "question", question: "Per user or per workspace?" }
        : { verdict: "complete", summary: "all there" };
    const drive = await makeDrive(makeAgent([], { verdicts }));
    const first = await startPipeline({
      ...drive,
      taskId: "t1",
      request: "Add settings.",
      pipelineOptions: makeOptions({ isFullAutoAnswers: true }),
    });
    expect(first.run.status).toBe("succeeded");
    const runId = first.run.id;
    // Back to the instant the answerer's call was journaled, before bosun discarded its edit
    // and took its answer: the journal ends there and the edit is in the tree.
    const journal = drive.paths.eventsFile(runId);
    const lines = (await readFile(journal, "utf8")).trimEnd().split("\n");
    const answered = lines.findIndex(
      (line) => line.includes('"type":"dispatch.completed"') && line.includes('"seat":"answerer"'),
    );
    expect(answered).toBeGreaterThan(0);
    await writeFile(journal, `${lines.slice(0, answered + 1).join("\n")}\n`);
    await rm(drive.paths.runFile(runId));
    await rm(drive.paths.answerFile(`ask-${runId}-implement-all-i1`));
    await writeFile(path.join(drive.paths.root, ANSWERER_JUNK), "junk\n");

    const outcome = await resumePipeline({ ...drive, runId });

    expect(outcome.run).toMatchObject({ id: runId, status: "succeeded" });
    expect(existsSync(path.join(drive.paths.root, ANSWERER_JUNK))).toBe(false);
  });
});

describe("a follow-up whose creation a crash cut short", () => {
  /**
   * A run whose audit found a gap and whose follow-up ran; then the state a kill during the
   * follow-up's creation leaves: the parent's journal ends at followup.started, and the child is
   * `childLeft` (what of it was on disk).
   */
  async function crashDuringFollowup(
    childLeft: "folder" | "first event",
  ): Promise<{ drive: Awaited<ReturnType<typeof makeDrive>>; parentId: string; childId: string }> {
    const drive = await makeDrive(makeAgent([]));
    const first = await startPipeline({
      ...drive,
      taskId: "t1",
      request: "Add greeting.",
      pipelineOptions: makeOptions({ pairs: ["audit"] }),
    });
    const childId = first.run.id;
    const parentId = first.run.parentRunId ?? "";
    expect(parentId).not.toBe("");
    const parentJournal = drive.paths.eventsFile(parentId);
    const lines = (await readFile(parentJournal, "utf8")).trimEnd().split("\n");
    expect(lines.at(-1)).toContain('"type":"run.completed"');
    expect(lines.at(-2)).toContain('"type":"followup.started"');
    await writeFile(parentJournal, `${lines.slice(0, -1).join("\n")}\n`);
    await rm(drive.paths.runFile(parentId));
    const childJournal = drive.paths.eventsFile(childId);
    const childLines = (await readFile(childJournal, "utf8")).split("\n");
    if (childLeft === "folder") await rm(childJournal);
    else await writeFile(childJournal, `${childLines[0]}\n`);
    await rm(drive.paths.runFile(childId));
    await rm(drive.paths.rawPhaseLogFile(childId), { force: true });
    return { drive, parentId, childId };
  }

  it("creates it on resume when only its folder was made", async () => {
    const { drive, parentId, childId } = await crashDuringFollowup("folder");

    const outcome = await resumePipeline({ ...drive, runId: parentId });

    expect(outcome.run).toMatchObject({ id: childId, status: "succeeded", parentRunId: parentId });
    expect(await readRun(drive.paths, parentId)).toMatchObject({
      status: "succeeded",
      followupRunId: childId,
    });
    const childEvents = await readRunEvents(drive.paths, childId);
    expect(childEvents.filter((event) => event.type === "run.created")).toHaveLength(1);
    expect(await readFile(drive.paths.requestFile(childId), "utf8")).toBe(`${REVISED}\n`);
  });

  it("drives it on resume when its first event was written but not its run.json", async () => {
    const { drive, parentId, childId } = await crashDuringFollowup("first event");

    const outcome = await resumePipeline({ ...drive, runId: parentId });

    expect(outcome.run).toMatchObject({ id: childId, status: "succeeded", parentRunId: parentId });
    const childEvents = await readRunEvents(drive.paths, childId);
    expect(childEvents.filter((event) => event.type === "run.created")).toHaveLength(1);
    expect(childEvents.at(-1)).toMatchObject({ type: "run.completed", status: "succeeded" });
  });
});

describe("a human's change between two stages", () => {
  it("stops the next stage's first iteration instead of crediting its producer with the change", async () => {
    const calls: Call[] = [];
    const drive = await makeDrive(makeAgent(calls));
    const onEvent = (event: { type: string; phase?: string }): void => {
      // A human edits the tree right after the implement pair ends, before test starts.
      if (event.type === "round.completed" && event.phase === "implement/all")
        writeFileSync(path.join(drive.paths.root, "human.txt"), "mine\n");
    };

    const started = startPipeline({
      ...drive,
      onEvent,
      taskId: "t1",
      request: "Add greeting.",
      pipelineOptions: makeOptions({ pairs: ["implement", "test"] }),
    });

    await expect(started).rejects.toThrow(
      /uncommitted changes bosun did not make \(human\.txt\); round 1's worker must not be credited/,
    );
    expect(calls.filter((call) => call.phase === "test/all")).toEqual([]);
  });
});
