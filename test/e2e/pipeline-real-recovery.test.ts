/**
 * `bosun pipeline` with the real Claude Code (producer) and Codex (verifier) CLIs when a run does
 * not simply go through: a verifier's question answered with `bosun answer`, a `kill -9` of bosun
 * mid-pair and `--resume`, a folder that is not a repository (`--no-git`), and a verifier whose
 * output is invalid twice. Each run takes the implement pair alone, to stay short.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseVerdict } from "../../src/store/schema/pipeline.js";
import { createTempDir } from "../helpers/agent-env.js";
import {
  PIPELINE_BOSUN_YAML,
  assertBosunBuilt,
  describeDispatches,
  eventsOf,
  getVerdictPath,
  isPipelinePrompt,
  listRunIds,
  makeComplete,
  makeProducer,
  makeShellCall,
  makeVerifier,
  makeWriteCalls,
  readRunFiles,
  runBosunIsolated,
  startBosunIsolated,
} from "../helpers/pipeline-real.js";
import { createRealAgentWorkspace } from "../helpers/real-agent-workspace.js";
import { waitFor } from "../helpers/wait-for.js";
import type { MockContext, MockConversation, MockTurn } from "../mocks/mock-script.js";

const TASK_ID = "greet";
const INTENT = "Add greet.mjs exporting greet(name) that returns `Hello, ${name}!`.";
const GREET_SOURCE = "export const greet = (name) => `Hello, ${name}!`;\n";
const PHASE = "implement/all";

/** `bosun pipeline` over the implement pair: claude produces, codex verifies. */
const PIPELINE_ARGS = [
  "pipeline",
  "--intent",
  INTENT,
  "--task-id",
  TASK_ID,
  "--pairs",
  "implement",
  "--producer",
  "claude",
  "--verifier",
  "codex",
  "--max-iterations",
  "2",
  "--timeout",
  "60",
] as const;
const RUN_TIMEOUT_MS = 50_000;

const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => assertBosunBuilt());

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** The implement producer: writes `file` (greet.mjs unless told) and its report. */
function makeGreetProducer(
  cwd: string,
  name: string,
  iteration?: number,
  file = "greet.mjs",
): MockConversation {
  return makeProducer("claude", {
    name,
    taskId: TASK_ID,
    cwd,
    match: isPipelinePrompt("producer", PHASE, iteration),
    files: () => ({ [file]: GREET_SOURCE }),
  });
}

async function createWorkspace(scripts: {
  claude: (repo: string) => MockConversation[];
  codex: (repo: string) => MockConversation[];
}) {
  const workspace = await createRealAgentWorkspace({
    ...scripts,
    files: { "bosun.yaml": PIPELINE_BOSUN_YAML },
    message: "add bosun.yaml",
  });
  cleanups.push(() => workspace.cleanup());
  return workspace;
}

/** Processes whose command line names `text` (a marker only the test's agents use). */
function findProcessesNaming(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text)) found.push(Number(entry));
    } catch {
      // The process ended while the list was read.
    }
  }
  return found;
}

describe("bosun pipeline with real agent CLIs: questions, crashes, no git, bad verdicts", () => {
  it("a verifier's question stops the run (exit 3); bosun answer continues it, the answer reaches the producer, whose lost session falls back to a fresh one", async () => {
    const answer = "Keep the name as given; no trimming.";
    const question = "Should greet() trim spaces around the name?";
    const workspace = await createWorkspace({
      claude: (repo) => [
        makeGreetProducer(repo, "implement-1", 1),
        makeGreetProducer(repo, "implement-2", 2, "greet-untrimmed.mjs"),
      ],
      codex: () => [
        makeVerifier("codex", {
          name: "verify-1",
          match: isPipelinePrompt("verifier", PHASE, 1),
          verdict: () => ({ verdict: "question", question, options: ["trim", "keep"] }),
        }),
        makeVerifier("codex", {
          name: "verify-2",
          match: isPipelinePrompt("verifier", PHASE, 2),
          verdict: () => makeComplete(),
        }),
      ],
    });
    const { repo, env, anthropic, responses } = workspace;

    const asked = await runBosunIsolated(["--json", ...PIPELINE_ARGS], {
      cwd: repo,
      env,
      timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(asked.exitCode, `stderr:\n${asked.stderr}`).toBe(3);
    const [runId = ""] = await listRunIds(repo);
    const waiting = await readRunFiles(repo, runId);
    expect(waiting.run).toMatchObject({ status: "needs_human" });
    const [askId = ""] = waiting.run["openAskIds"] as string[];
    expect(askId).toBe(`ask-${runId}-implement-all-i1`);
    expect(await readFile(join(waiting.dir, "decisions.md"), "utf8")).toContain(question);

    // While the run waits for a human, Claude Code's session store goes (another machine, a
    // cleaned HOME): the producer's session cannot be resumed when the run goes on.
    const firstSession = eventsOf(waiting.events, "dispatch.completed")[0]?.["sessionId"];
    expect(firstSession).toMatch(/^[0-9a-f-]{36}$/);
    await rm(join(env["HOME"] ?? "", ".claude", "projects"), { recursive: true, force: true });

    const answered = await runBosunIsolated(["--json", "answer", askId, answer], {
      cwd: repo,
      env,
      timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(answered.exitCode, `stderr:\n${answered.stderr}`).toBe(0);
    expect(anthropic.unmatched).toEqual([]);
    expect(responses.unmatched).toEqual([]);
    const { run, events, dir } = await readRunFiles(repo, runId);
    expect(run).toMatchObject({ status: "succeeded", openAskIds: [] });
    expect(eventsOf(events, "ask.answered")).toMatchObject([{ askId, answer }]);
    expect(describeDispatches(events, "dispatch.completed")).toEqual([
      `${PHASE}#1 worker claude`,
      `${PHASE}#1 verifier codex`,
      `${PHASE}#2 worker claude`,
      `${PHASE}#2 verifier codex`,
    ]);
    // bosun asked the CLI to resume the first session; the CLI had none, so bosun said so and
    // the same attempt ran a fresh session with the whole context, journaled and costed once.
    const [, , secondStarted] = eventsOf(events, "dispatch.started");
    expect(secondStarted).toMatchObject({
      round: 2,
      seat: "worker",
      resumeSessionId: firstSession,
    });
    const secondCompleted = eventsOf(events, "dispatch.completed")[2];
    expect(secondCompleted).toMatchObject({ round: 2, seat: "worker", isSessionResumed: false });
    expect(secondCompleted?.["sessionId"]).not.toBe(firstSession);
    expect(answered.stdout).toContain(`Could not resume claude session ${String(firstSession)}`);
    const costs = (await readFile(join(repo, ".bosun", "costs.jsonl"), "utf8")).trim().split("\n");
    expect(costs).toHaveLength(4);
    // The ledger holds question and answer, and the producer's next prompt (the whole context,
    // in a fresh session) carried both.
    const ledger = await readFile(join(dir, "decisions.md"), "utf8");
    expect(ledger).toContain(`**Answer** (a human, via cli): ${answer}`);
    const nextRequests = anthropic.requests.filter((r) => r.conversation === "implement-2");
    expect(nextRequests.length).toBeGreaterThan(0);
    for (const request of nextRequests) {
      expect(request.prompt).toMatch(
        /^You are the PRODUCER of the implement pair of a bosun pipeline, iteration 2 of at most 2 on phase all\./,
      );
      expect(request.prompt).toContain(question);
      expect(request.prompt).toContain(answer);
      expect(request.promptTurnIndex).toBe(request.turnIndex);
      expect(request.headers["x-claude-code-session-id"]).toBe(secondCompleted?.["sessionId"]);
    }
    // Only what came after the answer saw it.
    for (const request of anthropic.requests.filter((r) => r.conversation === "implement-1"))
      expect(request.prompt).not.toContain(answer);
  }, 110_000);

  it("kill -9 of bosun while the verifier works, then --resume: the finished producer is not run again and the run completes", async () => {
    const scratch = await createTempDir("bosun-kill-marker-");
    cleanups.push(() => rm(scratch, { recursive: true, force: true }));
    const marker = join(scratch, "verifier-started");
    // The first verifier signals that it runs, then works on until bosun is killed under it;
    // the verifier of the resumed run finds the marker and gives its verdict.
    const verifier: MockConversation = {
      name: "verify",
      match: isPipelinePrompt("verifier", PHASE, 1),
      isCountedFromPrompt: true,
      turns: [
        (ctx: MockContext): MockTurn =>
          existsSync(marker)
            ? {
                toolCalls: makeWriteCalls("codex", {
                  [getVerdictPath(ctx.prompt)]: JSON.stringify(makeComplete()),
                }),
              }
            : { toolCalls: [makeShellCall("codex", `touch '${marker}' && sleep 60`)] },
        { text: "Verified." },
      ],
    };
    const workspace = await createWorkspace({
      claude: (repo) => [makeGreetProducer(repo, "implement")],
      codex: () => [verifier],
    });
    const { repo, env, anthropic, responses } = workspace;

    const bosun = await startBosunIsolated(["--json", ...PIPELINE_ARGS], {
      cwd: repo,
      env,
      timeoutMs: RUN_TIMEOUT_MS,
    });
    await Promise.race([
      waitFor("the verifier's marker", () => (existsSync(marker) ? true : undefined), {
        timeoutMs: RUN_TIMEOUT_MS,
      }),
      bosun.done.then((ended) => {
        throw new Error(`bosun exited (${String(ended.exitCode)}) first:\n${ended.stderr}`);
      }),
    ]);
    process.kill(bosun.pid, "SIGKILL");
    const killed = await bosun.done;
    expect(killed.exitCode).toBeNull();
    const producerRequests = anthropic.requests.filter((r) => r.conversation === "implement");
    const producerTurns = producerRequests.length;
    expect(producerTurns).toBeGreaterThan(0);

    const resumed = await runBosunIsolated(["--json", "pipeline", "--resume"], {
      cwd: repo,
      env,
      timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(resumed.exitCode, `stderr:\n${resumed.stderr}`).toBe(0);
    expect(anthropic.unmatched).toEqual([]);
    expect(responses.unmatched).toEqual([]);
    const [runId = "", ...others] = await listRunIds(repo);
    expect(others).toEqual([]);
    const { run, events } = await readRunFiles(repo, runId);
    expect(run).toMatchObject({ status: "succeeded" });
    expect(eventsOf(events, "run.resumed")).toHaveLength(1);
    // The producer ran once, before the kill; only the verifier cut short ran again.
    expect(describeDispatches(events, "dispatch.started")).toEqual([
      `${PHASE}#1 worker claude`,
      `${PHASE}#1 verifier codex`,
      `${PHASE}#1 verifier codex`,
    ]);
    expect(describeDispatches(events, "dispatch.completed")).toEqual([
      `${PHASE}#1 worker claude`,
      `${PHASE}#1 verifier codex`,
    ]);
    expect(eventsOf(events, "checkpoint.created")).toHaveLength(1);
    expect(anthropic.requests.filter((r) => r.conversation === "implement")).toHaveLength(
      producerTurns,
    );
    // The verifier the killed bosun left working was ended by the resume.
    expect(findProcessesNaming(marker)).toEqual([]);
  }, 110_000);

  it("--no-git runs in a folder that is not a repository", async () => {
    const folder = await createTempDir("bosun-plain-");
    cleanups.push(() => rm(folder, { recursive: true, force: true }));
    const workspace = await createWorkspace({
      claude: () => [makeGreetProducer(folder, "implement")],
      codex: () => [
        makeVerifier("codex", {
          name: "verify",
          match: isPipelinePrompt("verifier", PHASE),
          verdict: () => makeComplete("Read greet.mjs in the folder."),
        }),
      ],
    });
    const { env, anthropic, responses } = workspace;
    await writeFile(join(folder, "bosun.yaml"), PIPELINE_BOSUN_YAML);

    const outcome = await runBosunIsolated(["--json", ...PIPELINE_ARGS, "--no-git"], {
      cwd: folder,
      env,
      timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(outcome.exitCode, `stderr:\n${outcome.stderr}`).toBe(0);
    expect(anthropic.unmatched).toEqual([]);
    expect(responses.unmatched).toEqual([]);
    expect(existsSync(join(folder, ".git"))).toBe(false);
    expect(await readFile(join(folder, "greet.mjs"), "utf8")).toBe(GREET_SOURCE);
    const [runId = ""] = await listRunIds(folder);
    const { run, events } = await readRunFiles(folder, runId);
    expect(run).toMatchObject({
      status: "succeeded",
      baseCommit: "",
      options: { isGitDisabled: true },
    });
    expect(eventsOf(events, "checkpoint.created")).toMatchObject([
      { commit: "", filesChanged: [] },
    ]);
    // The verifier was told there is no git diff, and to read the folder.
    const verifierPrompts = responses.requests
      .filter((request) => request.conversation === "verify")
      .map((request) => request.prompt ?? "");
    expect(verifierPrompts.length).toBeGreaterThan(0);
    for (const prompt of verifierPrompts)
      expect(prompt).toContain("No git (--no-git): read the files in the working directory.");
  }, 80_000);

  it("an invalid verdict is re-prompted once with the exact error, and a second one fails the run clearly (exit 1)", async () => {
    const invalid = { verdict: "done", summary: "looks fine" };
    const parsed = parseVerdict(invalid);
    if (parsed.ok) throw new Error("the invalid verdict parsed");
    const workspace = await createWorkspace({
      claude: (repo) => [makeGreetProducer(repo, "implement")],
      codex: () => [
        makeVerifier("codex", {
          name: "verify",
          match: isPipelinePrompt("verifier", PHASE),
          verdict: () => invalid,
        }),
      ],
    });
    const { repo, env, anthropic, responses } = workspace;

    const outcome = await runBosunIsolated([...PIPELINE_ARGS], {
      cwd: repo,
      env,
      timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(outcome.exitCode, `stderr:\n${outcome.stderr}`).toBe(1);
    expect(anthropic.unmatched).toEqual([]);
    expect(responses.unmatched).toEqual([]);
    const [runId = ""] = await listRunIds(repo);
    const { run, events } = await readRunFiles(repo, runId);

    // Two verifier sessions: the second was told exactly what was wrong with the first verdict.
    const phaseDir = join(repo, ".bosun", "runs", runId, "artifacts", "implement", "phases", "all");
    const prompts = [
      ...new Set(
        responses.requests
          .filter((request) => request.conversation === "verify")
          .map((request) => request.prompt ?? ""),
      ),
    ];
    expect(prompts).toHaveLength(2);
    const [first = "", second = ""] = prompts;
    const file = getVerdictPath(first);
    expect(file.startsWith(phaseDir)).toBe(true);
    const rejection = `## Your previous report was rejected\n${file}: ${parsed.error}\n`;
    expect(first).not.toContain("## Your previous report was rejected");
    expect(second).toContain(rejection);
    expect(describeDispatches(events, "dispatch.completed")).toEqual([
      `${PHASE}#1 worker claude`,
      `${PHASE}#1 verifier codex`,
      `${PHASE}#1 verifier codex`,
    ]);
    expect(eventsOf(events, "verdict.recorded")).toEqual([]);
    // The run failed, saying why and what to do.
    const reason = `${PHASE}, iteration 1: the verifier gave no valid verdict after a re-prompt: ${file}: ${parsed.error}`;
    expect(run).toMatchObject({ status: "failed", reason });
    expect(outcome.stderr).toContain(reason);
    // A resume would derive the same failure: the way on is a new run of the task.
    expect(outcome.stderr).toContain(
      "Resuming cannot change that; start a new run of the task: bosun pipeline --task-id greet",
    );
  }, 80_000);
});
