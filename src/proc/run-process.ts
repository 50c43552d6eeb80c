/**
 * The one spawn path. Every child bosun starts (agents, git, verify commands) goes through
 * `startProcess`: args array, no shell, explicit cwd and env, its own process group, a timeout,
 * an AbortSignal, and a group kill (TERM, then KILL after a grace period) so nothing outlives it.
 * A tracked child's kill reaches its whole tree, including what detached from the group.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, openSync, closeSync, type WriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { LineSplitter } from "./line-splitter.js";
import { writePidFileSync } from "./pid-file.js";
import { readStartTime } from "./proc-scan.js";
import {
  appendSpawnId,
  createSpawnId,
  killTreesSync,
  signalTrees,
  sweepTrees,
  SPAWN_ID_VAR,
  type SpawnTree,
} from "./tree-kill.js";

/**
 * Why a process ended; recorded once and used to build every message about it. `stalled` is a
 * kill by the caller's own watchdog (`kill("stalled")`), such as an agent that went silent.
 */
export type TerminationReason = "exit" | "timeout" | "aborted" | "signal" | "stalled";

/** What to run and how. */
export interface ProcessOptions {
  /** Executable name or path; never interpreted by a shell. */
  command: string;
  /** Arguments, passed as is. */
  args: readonly string[];
  /** Working directory (required: children never inherit bosun's cwd by accident). */
  cwd: string;
  /** Env overrides on top of process.env; `undefined` removes a variable. */
  env?: Readonly<Record<string, string | undefined>>;
  /** When true, the child gets only `env` (plus BOSUN=1), not process.env. */
  isEnvIsolated?: boolean;
  /** File whose contents become stdin; without it stdin is /dev/null (never an open pipe). */
  stdinFile?: string;
  /** Kill the group after this long; 0 or undefined means no limit. */
  timeoutMs?: number;
  /** Wait this long between SIGTERM and SIGKILL. */
  graceMs?: number;
  /** Aborting kills the group. */
  signal?: AbortSignal;
  /** Raw stdout is appended here as it arrives. */
  stdoutLogFile?: string;
  /** Raw stderr is appended here as it arrives. */
  stderrLogFile?: string;
  /** The child's pid is written here while it runs (see pid-file.ts), and removed after. */
  pidFile?: string;
  /**
   * When false, the child stays in the caller's process group instead of leading its own, so a
   * group kill aimed at the caller reaches it too (an agent's own tool commands). Default true.
   */
  isGroupLeader?: boolean;
  /**
   * When true, every process the child starts dies with it, also those that left its group
   * (`setsid`): the child gets a unique BOSUN_SPAWN_ID (kept in `pidFile` too), and when it is
   * killed or ends, what carries that id or descends from it gets TERM, then KILL after `graceMs`.
   * Costs a /proc scan (a few ms) each time; for agents and verify commands, not for git.
   */
  isTreeTracked?: boolean;
}

/** How a process ended. */
export interface ProcessResult {
  /** Exit code, or null when a signal ended it. */
  exitCode: number | null;
  /** Signal name when a signal ended it. */
  signal: NodeJS.Signals | null;
  /** Why it ended. */
  terminationReason: TerminationReason;
  /** Wall time from spawn to exit. */
  durationMs: number;
  /** The last few KB of stderr, for error messages. */
  stderrTail: string;
}

/** A started process: iterate its stdout lines, then await its result. */
export interface ProcessHandle {
  /** OS pid, which is also the process group id. */
  readonly pid: number;
  /** Stdout as LF-framed lines. Breaking out of the loop kills the process. */
  lines(): AsyncGenerator<string, void, undefined>;
  /**
   * Stdout as the exact bytes the child wrote, chunk by chunk (no framing, no "\r" dropped).
   * Read stdout through either this or `lines()`, never both. Breaking out kills the process.
   */
  chunks(): AsyncGenerator<Buffer, void, undefined>;
  /** Settles after exit and after stdout has drained. Rejects only if the spawn failed. */
  readonly result: Promise<ProcessResult>;
  /** Kills the whole group (TERM, then KILL after the grace period). */
  kill(reason?: TerminationReason): void;
}

export const DEFAULT_GRACE_MS = 5_000;
const STDERR_TAIL_BYTES = 4_096;

/**
 * Children bosun still owns, by pid, so bosun can kill them all when it exits: a group leader
 * until it has exited, a tracked child until the sweep of what it left behind has finished.
 */
const liveChildren = new Map<number, SpawnTree>();

/** Sends SIGKILL to every live child group and tracked tree; called from bosun's exit path. */
export function killAllChildren(): void {
  const tracked: SpawnTree[] = [];
  for (const [pid, tree] of liveChildren) {
    if (tree.groupId !== undefined) killGroup(pid, "SIGKILL");
    if (tree.spawnId !== undefined) tracked.push(tree);
  }
  // One synchronous scan for all of them: an exit handler cannot wait for a grace period.
  if (tracked.length > 0) killTreesSync(tracked);
  liveChildren.clear();
}

/** The pids of children bosun currently owns (for tests and diagnostics). */
export function getLiveChildPids(): number[] {
  return [...liveChildren.keys()];
}

process.once("exit", killAllChildren);

/** Starts a child in its own process group. Throws synchronously only for bad options. */
export function startProcess(options: ProcessOptions): ProcessHandle {
  const startedAt = performance.now();
  const isGroupLeader = options.isGroupLeader ?? true;
  const spawnId = options.isTreeTracked === true ? createSpawnId() : undefined;
  const stdinFd = options.stdinFile === undefined ? undefined : openSync(options.stdinFile, "r");
  let child: ChildProcess;
  try {
    child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: createEnv(options, spawnId),
      stdio: [stdinFd ?? "ignore", "pipe", "pipe"],
      detached: isGroupLeader,
      shell: false,
      windowsHide: true,
    });
  } finally {
    // The child holds its own copy of the descriptor after spawn.
    if (stdinFd !== undefined) closeSync(stdinFd);
  }

  const stdoutLog = openLog(options.stdoutLogFile);
  const stderrLog = openLog(options.stderrLogFile);
  let stderrTail = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderrLog?.write(chunk);
    stderrTail = (stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_BYTES);
  });

  let terminationReason: TerminationReason | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  /** When KILL is due (performance.now() clock), once a kill has started. */
  let killDeadline: number | undefined;
  let hasExited = false;
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const pid = child.pid ?? -1;
  const tree: SpawnTree = {
    groupId: isGroupLeader ? pid : undefined,
    spawnId,
    startTime: spawnId !== undefined && pid > 0 ? readStartTime(pid) : undefined,
    seen: new Map(),
  };
  // Written synchronously, before bosun does anything else, so a kill -9 from here on leaves a trace.
  if (pid > 0 && options.pidFile !== undefined)
    writePidFileSync(options.pidFile, pid, { spawnId, startTime: tree.startTime });
  if (pid > 0 && (isGroupLeader || spawnId !== undefined)) liveChildren.set(pid, tree);
  const signalChild = (signal: NodeJS.Signals): void => {
    if (spawnId !== undefined) {
      if (signal === "SIGKILL") killTreesSync([tree]);
      else signalTrees([tree], signal);
    }
    // Without a group of its own, only the child itself can be signalled (its group is ours).
    else if (isGroupLeader) killGroup(pid, signal);
    else killPid(pid, signal);
  };

  const kill = (reason: TerminationReason = "aborted"): void => {
    if (hasExited || pid <= 0) return;
    terminationReason ??= reason;
    signalChild("SIGTERM");
    killDeadline ??= performance.now() + graceMs;
    killTimer ??= setTimeout(() => signalChild("SIGKILL"), graceMs);
    killTimer.unref();
  };

  const timeoutTimer =
    options.timeoutMs !== undefined && options.timeoutMs > 0
      ? setTimeout(() => kill("timeout"), options.timeoutMs)
      : undefined;
  timeoutTimer?.unref();
  const onAbort = (): void => kill("aborted");
  if (options.signal?.aborted === true) queueMicrotask(onAbort);
  options.signal?.addEventListener("abort", onAbort, { once: true });

  /** Settles once what a tracked child left behind is gone (at once for untracked children). */
  let leftovers: Promise<unknown> = Promise.resolve();
  // TERM, then KILL by the deadline of a kill already under way, or a full grace from now.
  const sweepLeftovers = (): Promise<unknown> =>
    sweepTrees([tree], {
      graceMs,
      ...(killDeadline === undefined ? {} : { deadline: killDeadline }),
    });

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      child.once("error", (error) => {
        hasExited = true;
        reject(error);
      });
      child.once("exit", (code, signal) => {
        hasExited = true;
        // Grandchildren the agent left behind would keep stdout open forever; end them now.
        if (spawnId !== undefined) leftovers = sweepLeftovers();
        else if (isGroupLeader) killGroup(pid, "SIGKILL");
        resolve({ code, signal });
      });
    },
  );

  const stdoutDone = new Promise<void>((resolve) => {
    if (child.stdout === null) resolve();
    else child.stdout.once("close", () => resolve());
  });

  const result = (async (): Promise<ProcessResult> => {
    try {
      const { code, signal } = await exited;
      await Promise.all([leftovers, stdoutDone]);
      const reason = terminationReason ?? (signal === null ? "exit" : "signal");
      return {
        exitCode: code,
        signal,
        terminationReason: reason,
        durationMs: Math.round(performance.now() - startedAt),
        stderrTail,
      };
    } finally {
      if (timeoutTimer !== undefined) clearTimeout(timeoutTimer);
      if (killTimer !== undefined) clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", onAbort);
      liveChildren.delete(pid);
      await Promise.all([
        closeLog(stdoutLog),
        closeLog(stderrLog),
        options.pidFile === undefined ? undefined : rm(options.pidFile, { force: true }),
      ]);
    }
  })();
  // Callers that only iterate lines still see the error through lines(); avoid an unhandled rejection.
  result.catch(() => undefined);

  async function* chunks(): AsyncGenerator<Buffer, void, undefined> {
    const stdout = child.stdout;
    if (stdout === null) return;
    let isComplete = false;
    try {
      for await (const chunk of stdout) {
        const buffer = chunk instanceof Buffer ? chunk : Buffer.from(String(chunk));
        // Read on only once the log has taken the chunk: a fast agent must not fill bosun's memory.
        if (stdoutLog !== undefined && !stdoutLog.write(buffer)) await waitForDrain(stdoutLog);
        yield buffer;
      }
      isComplete = true;
    } finally {
      // The consumer stopped early: the process must not outlive its reader.
      if (!isComplete) kill("aborted");
    }
  }

  async function* lines(): AsyncGenerator<string, void, undefined> {
    const splitter = new LineSplitter();
    let isComplete = false;
    try {
      for await (const chunk of chunks()) for (const line of splitter.push(chunk)) yield line;
      for (const line of splitter.end()) yield line;
      isComplete = true;
    } finally {
      if (!isComplete) kill("aborted");
    }
  }

  return { pid, lines, chunks, result, kill };
}

/** Runs a process to completion and collects its stdout (for short commands such as git). */
export async function runProcess(
  options: ProcessOptions,
): Promise<ProcessResult & { stdout: string }> {
  const handle = startProcess(options);
  const chunks: string[] = [];
  for await (const line of handle.lines()) chunks.push(line);
  const result = await handle.result;
  return { ...result, stdout: chunks.join("\n") };
}

/** What `runProcessRaw` collected. */
export interface RawProcessResult extends ProcessResult {
  /** Stdout byte for byte (CR, NUL and a final newline kept), cut at `maxBytes`. */
  stdout: Buffer;
  /** True when the child wrote more than `maxBytes`; the rest was read and dropped. */
  isTruncated: boolean;
}

/**
 * Runs a process to completion and collects its stdout as exact bytes, at most `maxBytes` of
 * them. For output whose content matters (file contents, NUL-separated git output): `runProcess`
 * frames lines and drops a "\r" before each "\n". Past the limit the child is not killed but
 * drained, so its exit status still means what it says.
 */
export async function runProcessRaw(
  options: ProcessOptions & { maxBytes: number; isKilledPastMax?: boolean },
): Promise<RawProcessResult> {
  const handle = startProcess(options);
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let isTruncated = false;
  for await (const chunk of handle.chunks()) {
    const room = options.maxBytes - keptBytes;
    if (chunk.length > room) isTruncated = true;
    // Output whose excess is worthless (a sensor that never stops printing): stop it, rather
    // than read and drop until its timeout.
    if (isTruncated && options.isKilledPastMax === true) {
      handle.kill();
      break;
    }
    if (room <= 0) continue;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    kept.push(part);
    keptBytes += part.length;
  }
  const result = await handle.result;
  return { ...result, stdout: Buffer.concat(kept, keptBytes), isTruncated };
}

function createEnv(options: ProcessOptions, spawnId: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = options.isEnvIsolated === true ? {} : { ...process.env };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  env["BOSUN"] = "1";
  if (spawnId !== undefined) env[SPAWN_ID_VAR] = appendSpawnId(env[SPAWN_ID_VAR], spawnId);
  return env;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is the outcome we wanted.
  }
}

function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: the process is already gone.
  }
}

function openLog(path: string | undefined): WriteStream | undefined {
  return path === undefined ? undefined : createWriteStream(path, { flags: "a" });
}

/** Resolves once a log stream wants more data, or has ended or failed (nothing left to wait for). */
function waitForDrain(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    // `result` may end the stream while we wait; an ending stream never emits "drain", only "finish".
    const events = ["drain", "finish", "close", "error"] as const;
    const done = (): void => {
      for (const event of events) stream.off(event, done);
      resolve();
    };
    for (const event of events) stream.on(event, done);
  });
}

function closeLog(stream: WriteStream | undefined): Promise<void> {
  if (stream === undefined) return Promise.resolve();
  return new Promise((resolve) => stream.end(() => resolve()));
}
