/**
 * Shared parts of the `bosun pipeline` e2e tests with the real Claude Code and Codex CLIs: reading
 * a pipeline prompt (which seat, pair, phase, iteration; where to write), scripted agents that
 * write files through each CLI's own tools, the built CLI run with an isolated env, and readers
 * for what a run leaves on disk.
 */
import { existsSync } from "node:fs";
import { readFile, readdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startProcess } from "../../src/proc/run-process.js";
import type {
  MockContext,
  MockConversation,
  MockToolCall,
  MockTurn,
} from "../mocks/mock-script.js";
import { createTempDir } from "./agent-env.js";
import { CODEX_MODEL } from "./real-agent-workspace.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The built CLI; `npm run build` makes it. */
export const BOSUN_CLI = join(REPO_ROOT, "dist", "cli.js");

/** Throws a clear error when `dist/` is missing. */
export function assertBosunBuilt(): void {
  if (!existsSync(BOSUN_CLI))
    throw new Error(`${BOSUN_CLI} is missing: run "npm run build" first.`);
}

/** bosun.yaml of the sample repositories: the Codex model bosun prices, and no retries. */
export const PIPELINE_BOSUN_YAML = `agents:\n  codex:\n    model: ${CODEX_MODEL}\ndispatch:\n  retries: 0\n`;

/** The sample project's add(). */
export const ADD_SOURCE = "export const add = (a, b) => a + b;\n";

/** The sample project's mul(), built on add(). */
export const MUL_SOURCE = [
  'import { add } from "./add.mjs";',
  "export const mul = (a, b) => {",
  "  let product = 0;",
  "  for (let i = 0; i < b; i += 1) product = add(product, a);",
  "  return product;",
  "};",
  "",
].join("\n");

/** The CLIs these tests drive. */
export type RealHarness = "claude" | "codex";

/** Which seat a pipeline prompt is for, as its first line says. */
export interface PipelinePrompt {
  /** `producer` (whole prompt), `continuation` (a resumed producer's short prompt) or `verifier`. */
  seat: "producer" | "continuation" | "verifier";
  /** plan, implement, test or audit. */
  pair: string;
  /** The journal's phase: `plan`, `implement/p1`, `test/all`, `audit`. */
  phase: string;
  /** The iteration number. */
  iteration: number;
}

const PRODUCER_LINE =
  /^You are the (PRODUCER|VERIFIER) of the (\w+) pair of a bosun pipeline, iteration (\d+) of at most \d+(?: on phase (\S+))?\./;
const CONTINUATION_LINE = /^Iteration (\d+) of at most \d+ of the (\w+) pair \(([^)]+)\)/;
/** When implement and test run once over the whole plan, their phase is this. */
const WHOLE_PLAN_PHASE = "all";

/** Reads the first line of a pipeline prompt; undefined for any other prompt. */
export function parsePipelinePrompt(prompt: string): PipelinePrompt | undefined {
  const first = PRODUCER_LINE.exec(prompt);
  if (first !== null) {
    const [, seat = "", pair = "", iteration = "", phaseId] = first;
    const isPhased = pair === "implement" || pair === "test";
    return {
      seat: seat === "PRODUCER" ? "producer" : "verifier",
      pair,
      phase: isPhased ? `${pair}/${phaseId ?? WHOLE_PLAN_PHASE}` : pair,
      iteration: Number(iteration),
    };
  }
  const resumed = CONTINUATION_LINE.exec(prompt);
  if (resumed === null) return undefined;
  const [, iteration = "", pair = "", phase = ""] = resumed;
  return { seat: "continuation", pair, phase, iteration: Number(iteration) };
}

/** A matcher for a pipeline prompt of one seat (a resumed producer counts as the producer). */
export function isPipelinePrompt(
  seat: "producer" | "verifier",
  phase: string,
  iteration?: number,
): (prompt: string) => boolean {
  return (prompt) => {
    const parsed = parsePipelinePrompt(prompt);
    if (parsed === undefined || parsed.phase !== phase) return false;
    if (iteration !== undefined && parsed.iteration !== iteration) return false;
    return seat === "verifier" ? parsed.seat === "verifier" : parsed.seat !== "verifier";
  };
}

function capture(prompt: string, pattern: RegExp, what: string): string {
  const found = pattern.exec(prompt)?.[1];
  if (found === undefined) throw new Error(`no ${what} in prompt: ${prompt.slice(0, 400)}`);
  return found;
}

/** Where the producer writes its work report. */
export function getReportPath(prompt: string): string {
  return capture(prompt, /write your work report as JSON to (\S+?):\n/, "work report path");
}

/** Where the plan producer writes plan.json. */
export function getPlanPath(prompt: string): string {
  return capture(prompt, /Write the phase plan as JSON to (\S+?):\n/, "plan path");
}

/** Where the audit producer writes audit.json. */
export function getAuditPath(prompt: string): string {
  return capture(prompt, /Write the audit as JSON to (\S+?):\n/, "audit path");
}

/** Where the verifier writes verdict.json. */
export function getVerdictPath(prompt: string): string {
  return capture(prompt, /Write exactly one JSON object to (\S+?), one of:/, "verdict path");
}

/** A shell command that writes each file with a quoted heredoc (no expansion). */
export function makeWriteCommand(files: Readonly<Record<string, string>>): string {
  return Object.entries(files)
    .map(([file, content]) => `cat > '${file}' <<'EOF'\n${content.replace(/\n$/, "")}\nEOF`)
    .join("\n");
}

/** The tool calls with which a CLI writes new files: Claude's Write, Codex's exec_command. */
export function makeWriteCalls(
  harness: RealHarness,
  files: Readonly<Record<string, string>>,
): MockToolCall[] {
  if (harness === "codex")
    return [{ name: "exec_command", input: { cmd: makeWriteCommand(files) } }];
  return Object.entries(files).map(([file, content]) => ({
    name: "Write",
    input: { file_path: file, content },
  }));
}

/** The tool call that runs a shell command: Claude's Bash, Codex's exec_command. */
export function makeShellCall(harness: RealHarness, command: string): MockToolCall {
  return harness === "codex"
    ? { name: "exec_command", input: { cmd: command } }
    : { name: "Bash", input: { command, description: "Run a command" } };
}

/**
 * A scripted agent of one prompt: its first turn writes the files `write` returns (new files
 * only: Claude Code overwrites a file only after reading it), its second says it is done. Turns
 * count from the prompt, so a resumed session that replays an earlier conversation gets the same.
 */
export function makeWriter(
  harness: RealHarness,
  name: string,
  match: (prompt: string) => boolean,
  write: (ctx: MockContext) => Readonly<Record<string, string>>,
): MockConversation {
  return {
    name,
    match,
    isCountedFromPrompt: true,
    turns: [
      (ctx): MockTurn => ({ text: "Writing.", toolCalls: makeWriteCalls(harness, write(ctx)) }),
      { text: `${name}: done.` },
    ],
  };
}

/** A work report for the prompt's task and iteration, as the report gate checks it. */
export function makeWorkReport(
  taskId: string,
  prompt: string,
  filesChanged: readonly string[],
): string {
  const iteration = parsePipelinePrompt(prompt)?.iteration ?? 0;
  const report = {
    task_id: taskId,
    round: iteration,
    files_changed: filesChanged,
    notes: "done",
    tests: [],
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** A producer that writes `files` into `cwd` (relative names) and its work report. */
export function makeProducer(
  harness: RealHarness,
  options: {
    name: string;
    taskId: string;
    cwd: string;
    match: (prompt: string) => boolean;
    files?: (ctx: MockContext) => Readonly<Record<string, string>>;
  },
): MockConversation {
  return makeWriter(harness, options.name, options.match, (ctx) => {
    const files = options.files?.(ctx) ?? {};
    const written: Record<string, string> = {};
    for (const [name, content] of Object.entries(files)) {
      // Documents bosun asked for are given as absolute paths; project files are relative.
      written[name.startsWith("/") ? name : join(options.cwd, name)] = content;
    }
    const projectFiles = Object.keys(files).filter((name) => !name.startsWith("/"));
    written[getReportPath(ctx.prompt)] = makeWorkReport(options.taskId, ctx.prompt, projectFiles);
    return written;
  });
}

/** A verifier that writes `verdict(ctx)` as its verdict.json. */
export function makeVerifier(
  harness: RealHarness,
  options: {
    name: string;
    match: (prompt: string) => boolean;
    verdict: (ctx: MockContext) => unknown;
  },
): MockConversation {
  return makeWriter(harness, options.name, options.match, (ctx) => ({
    [getVerdictPath(ctx.prompt)]: `${JSON.stringify(options.verdict(ctx))}\n`,
  }));
}

/** A `complete` verdict. */
export function makeComplete(summary = "Checked every item against the diff."): unknown {
  return { verdict: "complete", summary };
}

/** How one bosun invocation ended. */
export interface BosunResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** The `pipeline.result` line `--json` prints last, when there is one. */
  result: Record<string, unknown> | undefined;
}

/** A bosun started in the background. */
export interface StartedBosun {
  /** Its pid (it leads its own process group). */
  pid: number;
  /** Settles once it exited. */
  done: Promise<BosunResult>;
}

/** Starts the built `bosun <args>` with exactly `env` (nothing of this process's env leaks in). */
export async function startBosunIsolated(
  args: readonly string[],
  options: { cwd: string; env: Readonly<Record<string, string>>; timeoutMs: number },
): Promise<StartedBosun> {
  const logDir = await createTempDir("bosun-pipeline-stderr-");
  const stderrLogFile = join(logDir, "stderr.log");
  const handle = startProcess({
    command: process.execPath,
    args: [BOSUN_CLI, ...args],
    cwd: options.cwd,
    env: options.env,
    isEnvIsolated: true,
    timeoutMs: options.timeoutMs,
    graceMs: 2_000,
    stderrLogFile,
  });
  const done = (async (): Promise<BosunResult> => {
    const lines: string[] = [];
    for await (const line of handle.lines()) lines.push(line);
    const ended = await handle.result;
    const stderr = await readFile(stderrLogFile, "utf8").catch(() => ended.stderrTail);
    await rm(logDir, { recursive: true, force: true });
    const last = lines.filter((line) => line.startsWith('{"type":"pipeline.result"')).at(-1);
    return {
      exitCode: ended.exitCode,
      stdout: lines.join("\n"),
      stderr,
      result: last === undefined ? undefined : (JSON.parse(last) as Record<string, unknown>),
    };
  })();
  return { pid: handle.pid, done };
}

/** Runs the built `bosun <args>` to its end. */
export async function runBosunIsolated(
  args: readonly string[],
  options: { cwd: string; env: Readonly<Record<string, string>>; timeoutMs: number },
): Promise<BosunResult> {
  return (await startBosunIsolated(args, options)).done;
}

/** A journal record, read loosely. */
export type JournalEvent = Record<string, unknown>;

/** What one run left on disk. */
export interface PipelineRunFiles {
  id: string;
  dir: string;
  run: Record<string, unknown>;
  events: JournalEvent[];
}

/** The ids of every run in the store, oldest first. */
export async function listRunIds(root: string): Promise<string[]> {
  const runsDir = join(root, ".bosun", "runs");
  return (await readdir(runsDir)).filter((name) => !name.startsWith(".")).sort();
}

/** run.json and events.jsonl of one run. */
export async function readRunFiles(root: string, id: string): Promise<PipelineRunFiles> {
  const dir = join(root, ".bosun", "runs", id);
  const run = JSON.parse(await readFile(join(dir, "run.json"), "utf8")) as Record<string, unknown>;
  const events = (await readFile(join(dir, "events.jsonl"), "utf8"))
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as JournalEvent);
  return { id, dir, run, events };
}

/** The events of one type. */
export function eventsOf(events: readonly JournalEvent[], type: string): JournalEvent[] {
  return events.filter((event) => event["type"] === type);
}

/** `<phase>#<round> <seat> <harness>` of every event of `type`, in journal order. */
export function describeDispatches(events: readonly JournalEvent[], type: string): string[] {
  return eventsOf(events, type).map(
    (event) =>
      `${String(event["phase"])}#${String(event["round"])} ${String(event["seat"])} ${String(event["harness"])}`,
  );
}
