/**
 * `bosun review` end to end with the offline agent: the built CLI against scripted, model-free
 * agents, checking the gates, re-prompts, asks and answers, pause/resume and the read commands.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { OfflineAction } from "../../src/agents/offline/script.js";
import { formatIssues } from "../../src/store/json-file.js";
import { AnswerSchema, AskSchema } from "../../src/store/schema/asks.js";
import { RunEventSchema } from "../../src/store/schema/events.js";
import { WorkReportSchema } from "../../src/store/schema/reports.js";
import { ReviewRunSchema } from "../../src/store/schema/run.js";
import { TellSchema } from "../../src/store/schema/tells.js";
import { listRunIds } from "../../src/store/run-read.js";
import {
  type CliResult,
  createOfflineRepo,
  filterEvents,
  type OfflineRepo,
  type OfflineSteps,
  parseJsonLines,
  useOfflineRepos,
} from "../helpers/offline-repo.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";
import { waitFor } from "../helpers/wait-for.js";

const GOAL = "Add feature.txt containing the word feature.";
const BLOCKING_REASON = "feature.txt must say FEATURE in capitals";
const NOTE = "try harder";

const WRITE_FEATURE: OfflineAction = { write: { path: "feature.txt", content: "feature\n" } };
const SHOUT_FEATURE: OfflineAction = {
  replace: { path: "feature.txt", find: "feature", with: "FEATURE" },
};
const WORK_REPORT: OfflineAction = {
  report: { files_changed: ["feature.txt"], notes: "Edited feature.txt.", tests: [] },
};
const APPROVE: OfflineAction = {
  report: { decision: "approve", blocking_issues: [], non_blocking_suggestions: [] },
};
const CHANGES_REQUIRED: OfflineAction = {
  report: {
    decision: "changes_required",
    blocking_issues: [{ severity: "high", file: "feature.txt", reason: BLOCKING_REASON }],
  },
};
/** A report without task_id, written behind the offline agent's back (it would fill task_id in). */
const REPORT_WITHOUT_TASK_ID: OfflineAction = {
  run: `printf '{"round": 1}' > "$BOSUN_REPORT_FILE"`,
};

/** Round 1 makes the change, the reviewer wants more, round 2 fixes it and is approved. */
const TWO_ROUND_STEPS: OfflineSteps = [
  { role: "worker", round: 1, actions: [WRITE_FEATURE, WORK_REPORT] },
  { role: "reviewer", round: 1, actions: [CHANGES_REQUIRED] },
  { role: "worker", round: 2, actions: [SHOUT_FEATURE, WORK_REPORT] },
  { role: "reviewer", round: 2, actions: [APPROVE] },
];

/** `bosun asks --json`: asks with their answer (null while open). */
const AskListSchema = z.array(AskSchema.extend({ answer: AnswerSchema.nullable() }));
/** `bosun status --json`: run.json plus liveness and the run's tells. */
const StatusSchema = ReviewRunSchema.extend({
  isLive: z.boolean(),
  writerPid: z.number().nullable(),
  tells: z.object({ pending: z.array(TellSchema), delivered: z.array(TellSchema) }).strict(),
}).strict();

const repos = useOfflineRepos();

async function makeRepo(steps: OfflineSteps): Promise<OfflineRepo> {
  const repo = await createOfflineRepo(steps);
  repos.push(repo);
  return repo;
}

function reviewArgs(...extra: string[]): string[] {
  return ["review", "--goal", GOAL, "--worker", "offline", "--reviewer", "offline", ...extra];
}

/** The last `--json` line of a review: its result object. */
function parseReviewResult(result: CliResult): {
  run: z.infer<typeof ReviewRunSchema>;
  isPaused: boolean;
} {
  const last = parseJsonLines(result.stdout).at(-1);
  return z
    .strictObject({ type: z.literal("review.result"), run: ReviewRunSchema, isPaused: z.boolean() })
    .parse(last);
}

/** Number of finished dispatches per "round/role/attempt". */
function countDispatches(
  events: Awaited<ReturnType<OfflineRepo["readOnlyRun"]>>["events"],
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of filterEvents(events, "dispatch.completed")) {
    const key = `${event.round}/${event.seat}/${event.attempt}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Writes a file so a watcher never sees it half-written (tmp + rename, as tools should). */
async function writeFileAtomic(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

describe("bosun review gates", () => {
  it("catches a worker that changed nothing: no review in that round, the noop item reaches the next worker", async () => {
    const repo = await makeRepo([
      {
        role: "worker",
        round: 1,
        actions: [{ report: { files_changed: ["feature.txt"], notes: "Done, trust me." } }],
      },
      { role: "worker", round: 2, actions: [WRITE_FEATURE, WORK_REPORT] },
      { role: "reviewer", actions: [APPROVE] },
    ]);

    const result = await repo.runCli(reviewArgs("--json"));

    expect(result.exitCode).toBe(0);
    expectNoInternalError(result);
    // --json stdout is JSON Lines throughout: every event, then the result.
    const lines = parseJsonLines(result.stdout);
    expect(
      lines
        .slice(0, -1)
        .every((line) => typeof line["type"] === "string" && typeof line["runId"] === "string"),
    ).toBe(true);
    expect(parseReviewResult(result)).toMatchObject({
      isPaused: false,
      run: { status: "succeeded", round: 2 },
    });
    const { runId, run, events } = await repo.readOnlyRun();
    expect(run.status).toBe("succeeded");
    expect(filterEvents(events, "checkpoint.created", { round: 1 })).toMatchObject([
      { filesChanged: [] },
    ]);
    expect(
      filterEvents(events, "gate.completed", { round: 1 }).map(({ name, passed }) => ({
        name,
        passed,
      })),
    ).toEqual([
      { name: "report", passed: true },
      { name: "noop", passed: false },
    ]);
    expect(filterEvents(events, "dispatch.started", { seat: "reviewer", round: 1 })).toEqual([]);
    expect(filterEvents(events, "round.completed", { round: 1 })).toMatchObject([
      { verdict: "fix", fixItems: 1 },
    ]);
    const fixList: unknown = JSON.parse(
      await readFile(repo.getTaskFile(runId, "rounds/1/fix_list.json"), "utf8"),
    );
    expect(fixList).toMatchObject({ round: 1, items: [{ source: "noop" }] });
    const round2Prompt = await readFile(
      repo.getTaskFile(runId, "rounds/2/worker/prompt.md"),
      "utf8",
    );
    expect(round2Prompt).toContain("## Fix list from the previous round");
    expect(round2Prompt).toContain(
      "1. Round 1 changed no file (git shows no diff). Make the change the task card asks for. — from noop",
    );
    expect(filterEvents(events, "dispatch.started", { seat: "reviewer", round: 2 })).toHaveLength(
      1,
    );
    expect(filterEvents(events, "review.completed")).toMatchObject([
      { round: 2, decision: "approve" },
    ]);
    expect(await readFile(join(repo.root, "feature.txt"), "utf8")).toBe("feature\n");
  });

  it("re-prompts a worker once with the exact error when its report is invalid, and carries on in the same round", async () => {
    const repo = await makeRepo([
      { role: "worker", round: 1, attempt: 1, actions: [WRITE_FEATURE, REPORT_WITHOUT_TASK_ID] },
      { role: "worker", round: 1, attempt: 2, actions: [WORK_REPORT] },
      { role: "reviewer", actions: [APPROVE] },
    ]);

    const result = await repo.runCli(reviewArgs());

    expect(result.exitCode).toBe(0);
    expectNoInternalError(result);
    expect(result.stderr).toContain("worker offline re-prompt (attempt 2)");
    const { runId, run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "succeeded", round: 1 });
    const reportFile = repo.getTaskFile(runId, "rounds/1/work_report.json");
    const schemaError = WorkReportSchema.safeParse({ round: 1 }).error;
    if (schemaError === undefined) throw new Error("a report without task_id must not parse");
    const exactError = `${reportFile}: ${formatIssues(schemaError.issues)}`;
    const reprompt = await readFile(repo.getTaskFile(runId, "rounds/1/worker-2/prompt.md"), "utf8");
    expect(reprompt).toContain(
      `## Your previous report was rejected\n${exactError}\nWrite a corrected report to ${reportFile}.\n`,
    );
    // The first prompt is the plain one; only the re-prompt carries the rejection.
    expect(
      await readFile(repo.getTaskFile(runId, "rounds/1/worker/prompt.md"), "utf8"),
    ).not.toContain("rejected");
    expect(
      filterEvents(events, "dispatch.completed", { seat: "worker", round: 1 }).map(
        (event) => event.attempt,
      ),
    ).toEqual([1, 2]);
    expect(
      filterEvents(events, "gate.completed", { round: 1 }).map(({ name, passed }) => ({
        name,
        passed,
      })),
    ).toEqual([
      { name: "report", passed: true },
      { name: "noop", passed: true },
    ]);
    expect(filterEvents(events, "round.started").map((event) => event.round)).toEqual([1]);
    // The change made on the rejected attempt is kept in the round's checkpoint.
    expect(filterEvents(events, "checkpoint.created")).toMatchObject([
      { round: 1, filesChanged: ["feature.txt"] },
    ]);
  });

  it("fails the report gate after two invalid reports: no review, the rejection becomes the next round's fix item", async () => {
    const repo = await makeRepo([
      { role: "worker", round: 1, actions: [WRITE_FEATURE, REPORT_WITHOUT_TASK_ID] },
      { role: "worker", round: 2, actions: [SHOUT_FEATURE, WORK_REPORT] },
      { role: "reviewer", actions: [APPROVE] },
    ]);

    const result = await repo.runCli(reviewArgs());

    expect(result.exitCode).toBe(0);
    expectNoInternalError(result);
    const { runId, run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "succeeded", round: 2 });
    expect(
      filterEvents(events, "dispatch.completed", { seat: "worker", round: 1 }).map(
        (event) => event.attempt,
      ),
    ).toEqual([1, 2]);
    const reportFile = repo.getTaskFile(runId, "rounds/1/work_report.json");
    // The report gate fails first; the noop gate is not run on top of it.
    const gates = filterEvents(events, "gate.completed", { round: 1 });
    expect(gates.map(({ name, passed }) => ({ name, passed }))).toEqual([
      { name: "report", passed: false },
    ]);
    expect(gates[0]?.detail).toMatch(new RegExp(`^${escapeRegExp(reportFile)}: task_id: `));
    expect(filterEvents(events, "dispatch.started", { seat: "reviewer", round: 1 })).toEqual([]);
    const reason = `Your work report was rejected: ${gates[0]?.detail}. Write a valid one to ${reportFile}.`;
    const fixList: unknown = JSON.parse(
      await readFile(repo.getTaskFile(runId, "rounds/1/fix_list.json"), "utf8"),
    );
    expect(fixList).toMatchObject({ round: 1, items: [{ source: "report", reason }] });
    expect(await readFile(repo.getTaskFile(runId, "rounds/2/worker/prompt.md"), "utf8")).toContain(
      `1. ${reason} — from report`,
    );
    expect(filterEvents(events, "review.completed")).toMatchObject([
      { round: 2, decision: "approve" },
    ]);
  });

  it("rejects a stale report (last round's, copied into this round) as invalid and re-prompts", async () => {
    const copyRound1Report = `cp "$(dirname "$BOSUN_REPORT_FILE")/../1/work_report.json" "$BOSUN_REPORT_FILE"`;
    const repo = await makeRepo([
      ...TWO_ROUND_STEPS.slice(0, 2),
      { role: "worker", round: 2, attempt: 1, actions: [SHOUT_FEATURE, { run: copyRound1Report }] },
      { role: "worker", round: 2, attempt: 2, actions: [WORK_REPORT] },
      { role: "reviewer", round: 2, actions: [APPROVE] },
    ]);

    const result = await repo.runCli(reviewArgs());

    expect(result.exitCode).toBe(0);
    expectNoInternalError(result);
    const { runId, run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "succeeded", round: 2 });
    const reportFile = repo.getTaskFile(runId, "rounds/2/work_report.json");
    const reprompt = await readFile(repo.getTaskFile(runId, "rounds/2/worker-2/prompt.md"), "utf8");
    expect(reprompt).toContain(
      `## Your previous report was rejected\n${reportFile}: round is 1, expected 2 (stale report?)\n`,
    );
    expect(
      filterEvents(events, "dispatch.completed", { seat: "worker", round: 2 }).map(
        (event) => event.attempt,
      ),
    ).toEqual([1, 2]);
    const report: unknown = JSON.parse(await readFile(reportFile, "utf8"));
    expect(report).toMatchObject({ task_id: "T-001", round: 2 });
  });
});

describe("bosun review asks a human after max rounds", () => {
  /** Runs a review that escalates after one round and returns the repo, run id and ask id. */
  async function reachNeedsHuman(): Promise<{ repo: OfflineRepo; runId: string; askId: string }> {
    const repo = await makeRepo(TWO_ROUND_STEPS);
    const result = await repo.runCli(reviewArgs("--max-rounds", "1"));
    expect(result.exitCode).toBe(3);
    expectNoInternalError(result);
    const { runId, run, events } = await repo.readOnlyRun();
    expect(run.status).toBe("needs_human");
    const askId = run.openAskIds[0];
    if (askId === undefined) throw new Error("a needs_human run must have an open ask");
    expect(result.stderr).toContain(
      `A human is needed: bosun asks, then bosun answer ${askId} more|accept|abort`,
    );
    expect(filterEvents(events, "ask.created")).toMatchObject([{ askId }]);
    expect(filterEvents(events, "dispatch.started", { round: 2 })).toEqual([]);
    return { repo, runId, askId };
  }

  it("records an ask, refuses an answer that is not an option, and resumes with more rounds and the human's note", async () => {
    const { repo, runId, askId } = await reachNeedsHuman();
    expect(existsSync(repo.paths.askFile(askId))).toBe(true);

    const listed = await repo.runCli(["asks", "--json"]);
    expect(listed.exitCode).toBe(0);
    const asks = AskListSchema.parse(JSON.parse(listed.stdout));
    expect(asks).toHaveLength(1);
    expect(asks[0]).toMatchObject({ id: askId, runId, answer: null });
    expect(asks[0]?.options.map((option) => option.key)).toEqual(["more", "accept", "abort"]);
    expect(asks[0]?.context).toContain(BLOCKING_REASON);

    const refused = await repo.runCli(["answer", askId, "nonsense"]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(
      `"nonsense" is not an answer to ${askId}. Choose one of: "more" (`,
    );
    expect(refused.stderr).toContain('"accept" (');
    expect(refused.stderr).toContain('"abort" (');
    expect(existsSync(repo.paths.answerFile(askId))).toBe(false);
    expect((await repo.readOnlyRun()).run.status).toBe("needs_human");

    const answered = await repo.runCli(["answer", askId, "more", "--note", NOTE]);

    expect(answered.exitCode).toBe(0);
    expectNoInternalError(answered);
    const { run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "succeeded", round: 2, options: { maxRounds: 2 } });
    expect(run.openAskIds[0]).toBeUndefined();
    expect(filterEvents(events, "ask.answered")).toMatchObject([
      { askId, answer: "more", extraRounds: 1 },
    ]);
    expect(filterEvents(events, "run.completed").map((event) => event.status)).toEqual([
      "needs_human",
      "succeeded",
    ]);
    const round2Prompt = await readFile(
      repo.getTaskFile(runId, "rounds/2/worker/prompt.md"),
      "utf8",
    );
    expect(round2Prompt).toContain(`A human adds: ${NOTE}`);
    expect(round2Prompt).toContain(`1. [high] ${BLOCKING_REASON} (feature.txt) — from review`);
    expect(countDispatches(events)).toEqual({
      "1/worker/1": 1,
      "1/reviewer/1": 1,
      "2/worker/1": 1,
      "2/reviewer/1": 1,
    });
    expect(AskListSchema.parse(JSON.parse((await repo.runCli(["asks", "--json"])).stdout))).toEqual(
      [],
    );
  });

  it("reports an answer file that is not an option once, stays needs_human, and takes a corrected answer", async () => {
    const { repo, runId, askId } = await reachNeedsHuman();
    // Any tool or person may write the answer file; this one is valid JSON but not an option.
    await mkdir(repo.paths.answersDir, { recursive: true });
    await writeFileAtomic(
      repo.paths.answerFile(askId),
      JSON.stringify({
        version: 1,
        askId,
        answer: "sideways",
        answeredAt: new Date().toISOString(),
        source: "script",
      }),
    );
    const eventsBefore = await readFile(repo.paths.eventsFile(runId), "utf8");

    const resumed = await repo.runCli(["review", "--resume", runId]);

    expect(resumed.exitCode).toBe(3);
    expectNoInternalError(resumed);
    const warnings = resumed.stderr.split("\n").filter((line) => line.includes("sideways"));
    expect(warnings).toEqual([
      `  warning The answer was not taken: ${repo.paths.answerFile(askId)}: "sideways" is not an answer to ${askId}. Choose one of: "more" (run up to 1 more round(s)), "accept" (accept the work as it is), "abort" (stop the run). Correct that file, or delete it and run "bosun answer ${askId} <option>".`,
    ]);
    // Only the resume itself is recorded: the bad answer is never acted on or re-asked.
    const eventsAfter = await readFile(repo.paths.eventsFile(runId), "utf8");
    expect(eventsAfter.startsWith(eventsBefore)).toBe(true);
    const added = eventsAfter.slice(eventsBefore.length).trimEnd().split("\n");
    expect(added.map((line) => RunEventSchema.parse(JSON.parse(line)).type)).toEqual([
      "run.resumed",
    ]);
    expect((await repo.readOnlyRun()).run).toMatchObject({
      status: "needs_human",
      openAskIds: [askId],
    });
    const listed = AskListSchema.parse(JSON.parse((await repo.runCli(["asks", "--json"])).stdout));
    expect(listed.map((ask) => ask.id)).toEqual([askId]);

    const answered = await repo.runCli(["answer", askId, "accept"]);

    expect(answered.exitCode).toBe(0);
    const { run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "succeeded", reason: "accepted by a human" });
    expect(filterEvents(events, "ask.answered")).toMatchObject([{ askId, answer: "accept" }]);
  });

  it("cancels the run on abort (exit 1) without running another round", async () => {
    const { repo, askId } = await reachNeedsHuman();

    const answered = await repo.runCli(["answer", askId, "abort"]);

    expect(answered.exitCode).toBe(1);
    expectNoInternalError(answered);
    const { run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "cancelled", reason: "stopped by a human", round: 1 });
    expect(filterEvents(events, "round.started").map((event) => event.round)).toEqual([1]);
  });

  it("succeeds on accept (exit 0) without running another round", async () => {
    const { repo, askId } = await reachNeedsHuman();

    const answered = await repo.runCli(["answer", askId, "accept"]);

    expect(answered.exitCode).toBe(0);
    expectNoInternalError(answered);
    const { run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "succeeded", reason: "accepted by a human", round: 1 });
    expect(filterEvents(events, "round.started").map((event) => event.round)).toEqual([1]);
    expect(await readFile(join(repo.root, "feature.txt"), "utf8")).toBe("feature\n");
  });
});

describe("bosun review --single-round and --resume", () => {
  it("does not count files the verify command leaves behind as the worker's change", async () => {
    const repo = await makeRepo([
      {
        role: "worker",
        round: 1,
        actions: [
          { write: { path: "feature.txt", content: "feature\n" } },
          { report: { files_changed: ["feature.txt"] } },
        ],
      },
      // Round 2's worker changes nothing; only the verify command's leftover could look like a change.
      { role: "worker", round: 2, actions: [{ report: { files_changed: [] } }] },
      { role: "reviewer", actions: [{ report: { decision: "approve" } }] },
    ]);

    const result = await repo.runCli(
      reviewArgs("--max-rounds", "2", "--verify", "date > verify-output.log; exit 1"),
    );

    expect(result.exitCode).toBe(3);
    expectNoInternalError(result);
    expect(result.stderr).toContain("The verify command changed 1 file(s) (verify-output.log)");
    const { events } = await repo.readOnlyRun();
    const checkpoints = filterEvents(events, "checkpoint.created");
    expect(checkpoints.map((event) => event.filesChanged)).toEqual([["feature.txt"], []]);
    const noop = filterEvents(events, "gate.completed").filter((event) => event.name === "noop");
    expect(noop.map((event) => event.passed)).toEqual([true, false]);
    expect(existsSync(join(repo.root, "verify-output.log"))).toBe(false);
  });

  it("stops at a verify command that cannot run (exit 2) and continues with a fixed --verify", async () => {
    const repo = await makeRepo([
      {
        role: "worker",
        actions: [
          { write: { path: "feature.txt", content: "feature\n" } },
          { report: { files_changed: ["feature.txt"] } },
        ],
      },
      { role: "reviewer", actions: [{ report: { decision: "approve" } }] },
    ]);

    const first = await repo.runCli(reviewArgs("--verify", "no-such-test-runner-for-bosun"));
    expect(first.exitCode).toBe(2);
    expect(first.stderr).toContain(
      "The verify command `no-such-test-runner-for-bosun` could not run (exit 127",
    );
    expectNoInternalError(first);
    const stopped = await repo.readOnlyRun();
    expect(filterEvents(stopped.events, "round.completed")).toEqual([]);

    const resumed = await repo.runCli([
      "review",
      "--resume",
      stopped.runId,
      "--verify",
      "test -f feature.txt",
    ]);
    expect(resumed.exitCode).toBe(0);
    const { run, events } = await repo.readOnlyRun();
    expect(run.status).toBe("succeeded");
    expect(countDispatches(events)).toEqual({ "1/worker/1": 1, "1/reviewer/1": 1 });
  });

  it("applies option flags given with --resume: a run that timed out finishes with a longer --timeout", async () => {
    const repo = await makeRepo([
      {
        role: "worker",
        actions: [
          { sleepMs: 1500 },
          { write: { path: "feature.txt", content: "feature\n" } },
          { report: { files_changed: ["feature.txt"] } },
        ],
      },
      { role: "reviewer", actions: [{ report: { decision: "approve" } }] },
    ]);

    const first = await repo.runCli(reviewArgs("--timeout", "1"));
    expect(first.exitCode).toBe(1);
    expect(first.stderr).toContain("timed out after 1.0s");
    const failed = await repo.readOnlyRun();
    expect(failed.run.status).toBe("failed");

    const resumed = await repo.runCli(["review", "--resume", failed.runId, "--timeout", "30"]);
    expect(resumed.exitCode).toBe(0);
    expectNoInternalError(resumed);
    const { run, events } = await repo.readOnlyRun();
    expect(run).toMatchObject({ status: "succeeded", options: { timeoutSec: 30 } });
    expect(
      filterEvents(events, "options.changed").map((event) => event.options.timeoutSec),
    ).toEqual([30]);
  });

  it("pauses after one round (exit 0, paused) and resumes without repeating round 1's dispatches", async () => {
    const repo = await makeRepo(TWO_ROUND_STEPS);

    const first = await repo.runCli(reviewArgs("--single-round", "--json"));

    expect(first.exitCode).toBe(0);
    expectNoInternalError(first);
    expect(parseReviewResult(first)).toMatchObject({
      isPaused: true,
      run: { status: "paused", round: 1 },
    });
    const paused = await repo.readOnlyRun();
    expect(paused.run.status).toBe("paused");
    expect(filterEvents(paused.events, "run.paused")).toMatchObject([
      { reason: "--single-round: one round ran" },
    ]);
    // Listings say paused, never running, for a run no process is working on.
    const runs = await repo.runCli(["runs"]);
    expect(runs.stdout).toMatch(new RegExp(`^${paused.runId}\\s+⏸ paused\\s+round 1/`, "m"));
    const status = await repo.runCli(["status", paused.runId]);
    expect(status.stdout).toContain(
      `⏸ paused (continue with bosun review --resume ${paused.runId})`,
    );
    expect(countDispatches(paused.events)).toEqual({ "1/worker/1": 1, "1/reviewer/1": 1 });

    const resumed = await repo.runCli(["review", "--resume", paused.runId, "--json"]);

    expect(resumed.exitCode).toBe(0);
    expectNoInternalError(resumed);
    expect(parseReviewResult(resumed)).toMatchObject({
      isPaused: false,
      run: { id: paused.runId, status: "succeeded", round: 2 },
    });
    const { events } = await repo.readOnlyRun();
    expect(filterEvents(events, "run.resumed")).toHaveLength(1);
    expect(filterEvents(events, "round.started").map((event) => event.round)).toEqual([1, 2]);
    expect(countDispatches(events)).toEqual({
      "1/worker/1": 1,
      "1/reviewer/1": 1,
      "2/worker/1": 1,
      "2/reviewer/1": 1,
    });
    expect(filterEvents(events, "dispatch.started")).toHaveLength(4);
    expect(await readFile(join(repo.root, "feature.txt"), "utf8")).toBe("FEATURE\n");
  });
});

describe("bosun review on a dirty tree", () => {
  it("refuses to start (exit 2, naming the files and --allow-dirty), and starts with --allow-dirty", async () => {
    const repo = await makeRepo([
      { role: "worker", actions: [WRITE_FEATURE, WORK_REPORT] },
      { role: "reviewer", actions: [APPROVE] },
    ]);
    await writeFile(join(repo.root, "scratch.txt"), "untracked\n");
    await writeFile(join(repo.root, "README.md"), "# test repo, edited\n");

    const refused = await repo.runCli(reviewArgs());

    expect(refused.exitCode).toBe(2);
    expectNoInternalError(refused);
    expect(refused.stderr).toContain("README.md");
    expect(refused.stderr).toContain("scratch.txt");
    expect(refused.stderr).toContain("--allow-dirty");
    expect(await listRunIds(repo.paths)).toEqual([]);

    const allowed = await repo.runCli(reviewArgs("--allow-dirty"));

    expect(allowed.exitCode).toBe(0);
    expectNoInternalError(allowed);
    const { run, events } = await repo.readOnlyRun();
    expect(run.status).toBe("succeeded");
    // The user's uncommitted changes join the first checkpoint.
    expect(filterEvents(events, "checkpoint.created")[0]?.filesChanged.toSorted()).toEqual([
      "README.md",
      "feature.txt",
      "scratch.txt",
    ]);
  });
});

describe("bosun review with a manual reviewer", () => {
  /** Starts a review with a manual reviewer and waits until bosun asks for the review. */
  async function startManualReview(): Promise<{
    repo: OfflineRepo;
    bosun: ReturnType<OfflineRepo["startCli"]>;
    reportFile: string;
    isExited: () => boolean;
  }> {
    const repo = await makeRepo([{ role: "worker", actions: [WRITE_FEATURE, WORK_REPORT] }]);
    const bosun = repo.startCli([
      "review",
      "--goal",
      GOAL,
      "--worker",
      "offline",
      "--reviewer",
      "manual",
    ]);
    let hasExited = false;
    const onExit = (): void => {
      hasExited = true;
    };
    bosun.result.then(onExit, onExit);
    const runId = await waitFor("the manual reviewer's prompt", async () => {
      if (hasExited) throw new Error(`bosun exited early:\n${(await bosun.result).stderr}`);
      const [id] = await listRunIds(repo.paths);
      return id !== undefined && existsSync(repo.getTaskFile(id, "rounds/1/reviewer/prompt.md"))
        ? id
        : undefined;
    });
    const promptFile = repo.getTaskFile(runId, "rounds/1/reviewer/prompt.md");
    const reportFile = repo.getTaskFile(runId, "rounds/1/review_report.json");
    expect(await readFile(promptFile, "utf8")).toContain("+feature");
    // The prompt is written just before the message; wait for the message rather than race it.
    const stderr = await waitFor("the manual reviewer message", async () => {
      const text = await bosun.readStderr();
      return text.includes("bosun is waiting for it") ? text : undefined;
    });
    expect(stderr).toContain(`reviewer is manual: read ${promptFile}`);
    expect(stderr).toContain(`write ${reportFile}`);
    return { repo, bosun, reportFile, isExited: () => hasExited };
  }

  const approval = `${JSON.stringify({ task_id: "T-001", round: 1, decision: "approve", blocking_issues: [] })}\n`;

  it("waits for the report file a person writes, then finishes the run", async () => {
    const { repo, bosun, reportFile } = await startManualReview();

    await writeFileAtomic(reportFile, approval);
    const result = await bosun.result;

    expect(result.exitCode).toBe(0);
    expectNoInternalError(result);
    const { run, events } = await repo.readOnlyRun();
    expect(run.status).toBe("succeeded");
    expect(filterEvents(events, "dispatch.completed", { seat: "reviewer" })).toMatchObject([
      { harness: "manual", round: 1 },
    ]);
    expect(filterEvents(events, "review.completed")).toMatchObject([
      { round: 1, decision: "approve" },
    ]);
  });

  it("warns about an invalid report file and keeps waiting until a valid one is written", async () => {
    const { repo, bosun, reportFile, isExited } = await startManualReview();

    await writeFileAtomic(
      reportFile,
      `${JSON.stringify({ task_id: "T-001", round: 1, decision: "looks fine" })}\n`,
    );
    const warned = await waitFor("the not-accepted warning", async () => {
      const text = await bosun.readStderr();
      return text.includes("Manual report not accepted yet") ? text : undefined;
    });
    expect(warned).toMatch(
      new RegExp(`warning Manual report not accepted yet: ${escapeRegExp(reportFile)}: decision: `),
    );
    expect(isExited()).toBe(false);
    // run.json is a throttled snapshot (RUN_JSON_INTERVAL_MS): the step it waits at lands within ~1 s.
    const waiting = await waitFor("run.json at the manual reviewer's step", async () => {
      const { run } = await repo.readOnlyRun();
      return run.step === "reviewer.started" ? run : undefined;
    });
    expect(waiting).toMatchObject({ status: "running", step: "reviewer.started" });
    expect(isExited()).toBe(false);

    await writeFileAtomic(reportFile, approval);
    const result = await bosun.result;

    expect(result.exitCode).toBe(0);
    expectNoInternalError(result);
    expect((await repo.readOnlyRun()).run.status).toBe("succeeded");
  });
});

describe("bosun review keeps the reviewer's hands off the tree", () => {
  it("discards what the reviewer edited, with a warning, and keeps the worker's checkpoint", async () => {
    const repo = await makeRepo([
      { role: "worker", actions: [WRITE_FEATURE, WORK_REPORT] },
      {
        role: "reviewer",
        actions: [
          { write: { path: "review-notes.txt", content: "scratch\n" } },
          { replace: { path: "feature.txt", find: "feature", with: "reviewer was here" } },
          APPROVE,
        ],
      },
    ]);

    const result = await repo.runCli(reviewArgs());

    expect(result.exitCode).toBe(0);
    expectNoInternalError(result);
    expect(result.stderr).toContain("warning The reviewer changed 2 file(s)");
    expect(result.stderr).toContain("bosun discarded those changes");
    expect(existsSync(join(repo.root, "review-notes.txt"))).toBe(false);
    // Nothing is discarded without a copy: the reviewer's edits are saved under a ref first.
    const ref = /saved as (refs\/bosun\/discarded\/\S+):/.exec(result.stderr)?.[1];
    expect(ref).toBeDefined();
    expect(await repo.git(["show", `${ref}:review-notes.txt`])).toBe("scratch");
    expect(await repo.git(["show", `${ref}:feature.txt`])).toBe("reviewer was here");
    expect(await readFile(join(repo.root, "feature.txt"), "utf8")).toBe("feature\n");
    expect(await repo.git(["status", "--porcelain"])).toBe("");
    const { run, events } = await repo.readOnlyRun();
    const checkpoint = filterEvents(events, "checkpoint.created")[0];
    expect(checkpoint?.filesChanged).toEqual(["feature.txt"]);
    expect((await repo.git(["rev-parse", "HEAD"])).trim()).toBe(checkpoint?.commit);
    expect(run.headCommit).toBe(checkpoint?.commit);
    expect(await repo.git(["log", "-1", "--format=%s"])).toBe(
      "bosun: T-001 round 1 (worker checkpoint)",
    );
    expect(await repo.git(["show", "HEAD:feature.txt"])).toBe("feature");
  });

  it("discards a commit the reviewer made, too", async () => {
    const repo = await makeRepo([
      { role: "worker", actions: [WRITE_FEATURE, WORK_REPORT] },
      {
        role: "reviewer",
        actions: [
          {
            run: "echo scratch > review-notes.txt && git add -A && git commit -q -m 'reviewer commit'",
          },
          APPROVE,
        ],
      },
    ]);

    const result = await repo.runCli(reviewArgs());

    expect(result.exitCode).toBe(0);
    expectNoInternalError(result);
    expect(result.stderr).toContain("review-notes.txt");
    expect(result.stderr).toContain("bosun discarded those changes");
    expect(existsSync(join(repo.root, "review-notes.txt"))).toBe(false);
    const { events } = await repo.readOnlyRun();
    const checkpoint = filterEvents(events, "checkpoint.created")[0];
    expect((await repo.git(["rev-parse", "HEAD"])).trim()).toBe(checkpoint?.commit);
  });
});

describe("reading a finished run", () => {
  it("status, runs, log and diff agree with each other and with the run's files", async () => {
    const repo = await makeRepo(TWO_ROUND_STEPS);
    const baseCommit = (await repo.git(["rev-parse", "HEAD"])).trim();
    expect((await repo.runCli(reviewArgs())).exitCode).toBe(0);
    const { runId, run, events } = await repo.readOnlyRun();
    const headCommit = (await repo.git(["rev-parse", "HEAD"])).trim();

    const statusJson = await repo.runCli(["status", "--json"]);
    expect(statusJson.exitCode).toBe(0);
    const status = StatusSchema.parse(JSON.parse(statusJson.stdout));
    expect(status).toEqual({
      ...run,
      isLive: false,
      writerPid: null,
      tells: { pending: [], delivered: [] },
    });
    expect(status).toMatchObject({
      id: runId,
      status: "succeeded",
      taskId: "T-001",
      title: GOAL,
      round: 2,
      step: "run.completed",
      baseCommit,
      headCommit,
      eventCount: events.length,
      options: { worker: "offline", reviewer: "offline", maxRounds: 3 },
    });
    expect(status.headCommit).toBe(
      filterEvents(events, "checkpoint.created", { round: 2 })[0]?.commit,
    );

    const statusText = await repo.runCli(["status", runId.slice(0, 12)]);
    expect(statusText.exitCode).toBe(0);
    expect(statusText.stdout).toContain(`run      ${runId}  ✔ succeeded`);
    expect(statusText.stdout).toContain("round    2 of 3 · last step run.completed");

    const runs = await repo.runCli(["runs", "--json"]);
    expect(runs.exitCode).toBe(0);
    expect(
      z
        .array(ReviewRunSchema.extend({ isLive: z.boolean() }).strict())
        .parse(JSON.parse(runs.stdout)),
    ).toEqual([{ ...run, isLive: false }]);

    const log = await repo.runCli(["log", runId, "--json"]);
    expect(log.exitCode).toBe(0);
    expect(parseJsonLines(log.stdout).map((line) => RunEventSchema.parse(line))).toEqual(events);
    const logText = await repo.runCli(["log"]);
    expect(logText.stdout).toContain("round 1 → fix (1 item(s) to fix)");
    expect(logText.stdout).toContain("review approve");
    expect(logText.stdout).toContain("✔ succeeded approved by the reviewer in round 2");

    const round1 = await repo.runCli(["diff", "--round", "1"]);
    expect(round1.exitCode).toBe(0);
    expect(round1.stdout).toContain("+++ b/feature.txt");
    expect(round1.stdout).toContain("+feature");
    expect(round1.stdout).not.toContain("FEATURE");
    const round2 = await repo.runCli(["diff", runId, "--round", "2"]);
    expect(round2.stdout).toContain("-feature");
    expect(round2.stdout).toContain("+FEATURE");
    const whole = await repo.runCli(["diff"]);
    expect(whole.stdout).toContain("+FEATURE");
    expect(whole.stdout).not.toContain("-feature");
    expect(whole.stdout).toBe(
      await repo.git(["diff", "--no-color", "--stat", "--patch", baseCommit, headCommit]),
    );
    const missing = await repo.runCli(["diff", "--round", "3"]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`Invalid --round 3: run ${runId} has rounds 1 to 2.`);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
