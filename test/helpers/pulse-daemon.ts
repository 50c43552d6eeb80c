/**
 * A repository whose pulse runs through the built CLI with a fixture brain (a custom harness
 * printing the decision the test wrote, and counting its calls) and a fixture worker; reads of
 * what the daemon leaves under `.bosun/pulse/`; and bosun started in the background with its
 * stderr in a file the test can wait on.
 */
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startProcess, type ProcessHandle } from "../../src/proc/run-process.js";
import { listDecisionIds, readDecisionRecord } from "../../src/store/pulse-store.js";
import type { WrittenConfig } from "../../src/store/schema/config.js";
import type { PulseAction } from "../../src/store/schema/pulse-decision.js";
import type { PulseDecisionRecord } from "../../src/store/schema/pulse-record.js";
import { createTempDir } from "./agent-env.js";
import { listProcessesWithHome } from "./process-list.js";
import { createReviewRepo, getBosunPaths } from "./review-repo.js";
import {
  BOSUN_CLI,
  FAKE_AGENTS_DIR,
  createBosunEnv,
  createFakeAgentTemplate,
  runBosun,
  type BosunRun,
} from "./run-bosun.js";
import { waitFor } from "./wait-for.js";

/** A repository with a pulse configured, the fixture brain's folder, and bosun's env. */
export interface PulseWorkspace {
  repo: string;
  home: string;
  /** The fixture brain's folder: `reply.json` (what it answers), `calls.log` (one line a call). */
  brainDir: string;
  env: Record<string, string>;
  /** Kills whatever the test started (by the test's HOME) and removes the folders. */
  cleanup: () => Promise<void>;
}

/** A brain reply: the critique names the decision in the journal, so a test can wait for it. */
export interface BrainReply {
  critique: string;
  actions: PulseAction[];
}

/**
 * A repository (committed bosun.yaml) whose pulse brain is `fake-pulse-brain.mjs` and whose
 * workers run `fake-pulse-worker.mjs`; `pulse` adds to the pulse's config. The brain answers a
 * noop until the test writes another reply.
 */
export async function createPulseWorkspace(
  pulse: NonNullable<WrittenConfig["pulse"]> = {},
): Promise<PulseWorkspace> {
  const home = await createTempDir("bosun-home-");
  const brainDir = await createTempDir("bosun-brain-");
  const brain = `"${process.execPath}" "${join(FAKE_AGENTS_DIR, "fake-pulse-brain.mjs")}" {{prompt_file}} "${brainDir}"`;
  const repo = await createReviewRepo({
    agents: {
      fakebrain: { template: brain, parser: "plain" },
      fakew: { template: createFakeAgentTemplate("fake-pulse-worker.mjs") },
    },
    pulse: { brain: "fakebrain", worker: "fakew", ...pulse },
    dispatch: { graceSec: 1 },
  });
  const ws: PulseWorkspace = {
    repo,
    home,
    brainDir,
    env: createBosunEnv(home),
    cleanup: async () => {
      // Whatever the outcome, nothing the test started may outlive it.
      for (const line of await listProcessesWithHome(home)) {
        try {
          process.kill(Number(line.split(":")[0]), "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
      await Promise.all(
        [repo, home, brainDir].map((dir) => rm(dir, { recursive: true, force: true })),
      );
    },
  };
  await writeBrainReply(ws, { critique: "idle", actions: [{ type: "noop", reason: "idle" }] });
  return ws;
}

/** What the fixture brain answers from now on. */
export function writeBrainReply(ws: PulseWorkspace, reply: BrainReply): Promise<void> {
  return writeFile(join(ws.brainDir, "reply.json"), JSON.stringify(reply));
}

/** How often the brain was called so far. */
export async function readBrainCalls(ws: PulseWorkspace): Promise<number> {
  const file = join(ws.brainDir, "calls.log");
  if (!existsSync(file)) return 0;
  return (await readFile(file, "utf8")).split("\n").filter((line) => line !== "").length;
}

/** Runs `bosun <args>` in the workspace. */
export function runPulseBosun(ws: PulseWorkspace, args: readonly string[]): Promise<BosunRun> {
  return runBosun(args, { cwd: ws.repo, env: ws.env });
}

/** Runs `bosun _ <args>`: its exit code and its one JSON document. */
export async function callContract(
  ws: PulseWorkspace,
  args: readonly string[],
): Promise<{ exitCode: number | null; json: Record<string, unknown>; stderr: string }> {
  const run = await runPulseBosun(ws, ["_", ...args]);
  const parsed: unknown = JSON.parse(run.stdout);
  if (typeof parsed !== "object" || parsed === null) throw new Error(`not JSON: ${run.stdout}`);
  return { exitCode: run.exitCode, json: parsed as Record<string, unknown>, stderr: run.stderr };
}

/** `bosun pulse up`; returns the daemon's pid, which it prints. */
export async function startPulse(ws: PulseWorkspace): Promise<number> {
  const up = await runPulseBosun(ws, ["pulse", "up"]);
  if (up.exitCode !== 0) throw new Error(`bosun pulse up exited ${up.exitCode}: ${up.stderr}`);
  const pid = Number(/process (\d+)/.exec(up.stdout)?.[1]);
  if (!Number.isSafeInteger(pid)) throw new Error(`no pid in: ${up.stdout}`);
  return pid;
}

/** The daemon's log (`daemon.log`), as lines. */
export async function readDaemonLog(ws: PulseWorkspace): Promise<string[]> {
  return readLines(getBosunPaths(ws.repo).pulse.daemonLogFile);
}

/** The pulse's journal (`journal.md`), as lines. */
export async function readJournal(ws: PulseWorkspace): Promise<string[]> {
  return readLines(getBosunPaths(ws.repo).pulse.journalFile);
}

async function readLines(file: string): Promise<string[]> {
  if (!existsSync(file)) return [];
  return (await readFile(file, "utf8")).split("\n").filter((line) => line !== "");
}

/** Waits for a journal line containing `text`; returns it. */
export function waitForJournalLine(ws: PulseWorkspace, text: string): Promise<string> {
  return waitFor(
    `a journal line with "${text}"`,
    async () => (await readJournal(ws)).find((line) => line.includes(text)),
    { intervalMs: 50 },
  );
}

/**
 * Waits until the daemon has ended the beat that journaled `journalLine` (its log says so after
 * the journal does): a wake-up looked for from then on belongs to a later beat.
 */
export async function waitForBeatEnd(ws: PulseWorkspace, journalLine: string): Promise<void> {
  const decisionId = /\b(D-[0-9]{8}-[0-9]{6}-[0-9a-f]+)\b/.exec(journalLine)?.[1];
  if (decisionId === undefined) throw new Error(`no decision id in: ${journalLine}`);
  await waitForLogLine(ws, new RegExp(`decided ${decisionId}:`));
}

/** Waits until the daemon's log has a line matching `pattern` after its first `afterLines`. */
export function waitForLogLine(
  ws: PulseWorkspace,
  pattern: RegExp,
  afterLines = 0,
): Promise<string> {
  return waitFor(
    `a daemon log line matching ${String(pattern)}`,
    async () => (await readDaemonLog(ws)).slice(afterLines).find((line) => pattern.test(line)),
    { intervalMs: 50 },
  );
}

/** Every decision record, oldest first. */
export async function readDecisions(ws: PulseWorkspace): Promise<PulseDecisionRecord[]> {
  const paths = getBosunPaths(ws.repo);
  const records = await Promise.all(
    (await listDecisionIds(paths)).map((id) => readDecisionRecord(paths, id)),
  );
  return records.filter((record) => record !== null);
}

/** The decision whose critique is `critique`, once its record exists. */
export function waitForDecision(
  ws: PulseWorkspace,
  critique: string,
  isDone: (record: PulseDecisionRecord) => boolean = () => true,
): Promise<PulseDecisionRecord> {
  return waitFor(
    `decision "${critique}"`,
    async () =>
      (await readDecisions(ws)).find((record) => record.critique === critique && isDone(record)),
    { intervalMs: 50 },
  );
}

/** The prompt the brain got for a decision. */
export function readBrainPrompt(ws: PulseWorkspace, decisionId: string): Promise<string> {
  return readFile(
    join(getBosunPaths(ws.repo).pulse.decisionsDir, decisionId, "brain", "prompt.md"),
    "utf8",
  );
}

/** Lines of the test's processes whose command line contains `text`. */
export async function listProcessesLike(ws: PulseWorkspace, text: string): Promise<string[]> {
  return (await listProcessesWithHome(ws.home)).filter((line) => line.includes(text));
}

/** A bosun started in the background: its stdout lines, and its stderr in a file. */
export interface BackgroundBosun {
  handle: ProcessHandle;
  stderrFile: string;
  /** Settles with its exit code and whole stdout once it ended. */
  ended: Promise<{ exitCode: number | null; stdout: string }>;
  /** Resolves with its stderr once it holds `text`. */
  waitForStderr(text: string): Promise<string>;
}

/** Starts `bosun <args>` in the background; `onLine` sees each stdout line as it comes. */
export function startBackgroundBosun(
  ws: PulseWorkspace,
  args: readonly string[],
  onLine: (line: string) => void = () => undefined,
): BackgroundBosun {
  const stderrFile = join(ws.brainDir, `stderr-${Date.now()}-${Math.random()}.log`);
  const handle = startProcess({
    command: process.execPath,
    args: [BOSUN_CLI, ...args],
    cwd: ws.repo,
    env: ws.env,
    timeoutMs: 60_000,
    graceMs: 1_000,
    stderrLogFile: stderrFile,
  });
  const ended = (async () => {
    const lines: string[] = [];
    for await (const line of handle.lines()) {
      lines.push(line);
      onLine(line);
    }
    const result = await handle.result;
    return { exitCode: result.exitCode, stdout: lines.join("\n") };
  })();
  const waitForStderr = (text: string): Promise<string> =>
    waitFor(
      `"${text}" on the stderr of bosun ${args.join(" ")}`,
      async () => {
        const stderr = await readFile(stderrFile, "utf8").catch(() => "");
        return stderr.includes(text) ? stderr : undefined;
      },
      { intervalMs: 50 },
    );
  return { handle, stderrFile, ended, waitForStderr };
}
