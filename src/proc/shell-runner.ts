/**
 * Short commands (git) run by one long-lived `/bin/sh` instead of a spawn each.
 *
 * Why not `spawn`: Node's spawn holds bosun's one thread while the kernel forks bosun's whole
 * process, and the cost grows with bosun's memory. Measured on a 2-core VM: 5–15 ms per spawn,
 * most of bosun's own CPU in a team run (a task needs a dozen and more git calls), and at
 * --max-parallel 8 bosun's thread was busy all the time doing it. A shell is a few hundred KB: it
 * forks in microseconds, in its own process, while bosun goes on.
 *
 * How: bosun writes each command to the shell's stdin as one line; the shell runs it in the
 * background with stdin from /dev/null and stdout and stderr to files in a private folder, and
 * answers `<id> <exit status>` on its stdout when it ends; bosun then reads and deletes the two
 * files. Nothing of a command is interpreted by the shell: every word is single-quoted, and the
 * environment is passed as quoted exports. For commands that need no stdin, no timeout, no
 * signal and no kill: git. Agents, the project's tests and setup commands go through
 * run-process.ts (process groups, tree kills, pid files).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import { Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { BosunError } from "../errors.js";
import { LineSplitter } from "./line-splitter.js";

/** A command for the shell runner. */
export interface QuickCommand {
  /** Executable name or path (looked up in PATH as a spawn would). */
  command: string;
  /** Arguments, passed as is. */
  args: readonly string[];
  /** Working directory. */
  cwd: string;
  /** Env overrides on top of process.env. */
  env?: Readonly<Record<string, string>>;
  /** Stdout past this many bytes is dropped (and `isTruncated` set). */
  maxBytes?: number;
}

/** How a command ended and what it wrote. */
export interface QuickResult {
  /** Its exit status (128 + n when signal n ended it, as the shell reports it). */
  exitCode: number;
  /** Stdout byte for byte, cut at `maxBytes`. */
  stdout: Buffer;
  /** True when stdout was longer than `maxBytes`. */
  isTruncated: boolean;
  /** The last few KB of stderr, for error messages. */
  stderrTail: string;
  /** Wall time from the request to the answer. */
  durationMs: number;
}

const STDERR_TAIL_BYTES = 4_096;

/** Stdout read at most, unless the command says: git's own cap is the same. */
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The shell's loop, given its folder as $1. `__bosun_nl` holds a newline, so an argument with
 * newlines is written on one line as quoted pieces joined by "$__bosun_nl" (names no environment
 * uses: an exported variable of the same name would reach git changed). CDPATH is dropped so `cd`
 * never goes anywhere but where it is told. When bosun goes, however it goes, its end of the
 * pipe closes, the loop ends and the shell removes its folder.
 */
export const SHELL_LOOP = `__bosun_nl='
'
unset CDPATH
while IFS= read -r __bosun_line; do eval "$__bosun_line"; done
rm -rf -- "$1"
`;

/** Who is told of each command run (tests and the benchmark count them). */
const observers = new Set<(command: string) => void>();

/** Calls `listener` with each command run from now on; returns the unsubscribe. */
export function observeQuickCommands(listener: (command: string) => void): () => void {
  observers.add(listener);
  return () => observers.delete(listener);
}

/** The running shell, started at the first command. */
let shell: ShellServer | undefined;

/** Runs `command` through the shell runner. */
export function runQuickCommand(command: QuickCommand): Promise<QuickResult> {
  for (const observer of observers) observer(command.command);
  shell ??= new ShellServer();
  return shell.run(command);
}

/** One `/bin/sh` and the commands it is running. */
class ShellServer {
  private readonly child: ChildProcess;
  private readonly dir: string;
  /** The environment the shell started with: each command exports only what differs. */
  private readonly baseEnv: Readonly<Record<string, string | undefined>>;
  /** Commands out, by id: what to call with the exit status, or with the shell's failure. */
  private readonly pending = new Map<
    number,
    { resolve: (exitCode: number) => void; reject: (error: Error) => void }
  >();
  private readonly lines = new LineSplitter();
  private nextId = 1;
  private stderrTail = "";
  private isGone = false;
  private readonly removeOnExit = (): void => this.stop();

  constructor() {
    // proc/ sits below store/paths.ts (which only wraps this call); the folder is bosun's alone.
    // eslint-disable-next-line no-restricted-properties
    this.dir = mkdtempSync(path.join(os.tmpdir(), `bosun-sh-${process.pid}-`));
    this.baseEnv = { ...process.env, BOSUN: "1" };
    this.child = spawn("/bin/sh", ["-c", SHELL_LOOP, "bosun-shell-runner", this.dir], {
      cwd: this.dir,
      env: this.baseEnv,
      stdio: ["pipe", "pipe", "pipe"],
      // A group of its own, as every spawn's: Ctrl-C at the terminal is bosun's to handle (it
      // pauses the run); it must not kill the shell under the git commands bosun waits for.
      detached: true,
    });
    this.child.stdout?.on("data", (chunk: Buffer) => {
      for (const line of this.lines.push(chunk)) this.answer(line);
    });
    this.child.stderr?.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_BYTES);
    });
    // A write after the shell died fails here, and its exit below answers every waiting command.
    this.child.stdin?.on("error", () => undefined);
    this.child.on("error", (error) => this.fail(`could not start /bin/sh: ${error.message}`));
    this.child.on("exit", (code, signal) =>
      this.fail(`/bin/sh running bosun's git commands exited (${signal ?? `exit ${code}`})`),
    );
    process.once("exit", this.removeOnExit);
    this.setHeld(false);
  }

  async run(command: QuickCommand): Promise<QuickResult> {
    if (this.isGone) throw new BosunError(`The shell runner stopped: ${this.stderrTail.trim()}`);
    const startedAt = performance.now();
    const id = this.nextId++;
    const out = path.join(this.dir, `${id}.out`);
    const err = path.join(this.dir, `${id}.err`);
    // Built first: a command that cannot be written (a NUL) fails before it is waited for.
    const line = this.buildLine(id, command, out, err);
    const exitCode = await new Promise<number>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.setHeld(true);
      this.child.stdin?.write(`${line}\n`);
    });
    const maxBytes = command.maxBytes ?? DEFAULT_MAX_BYTES;
    const [stdout, stderr] = await Promise.all([readStart(out, maxBytes + 1), readEnd(err)]);
    await Promise.all([rm(out, { force: true }), rm(err, { force: true })]);
    return {
      exitCode,
      stdout: stdout.length > maxBytes ? stdout.subarray(0, maxBytes) : stdout,
      isTruncated: stdout.length > maxBytes,
      stderrTail: stderr.toString("utf8"),
      durationMs: performance.now() - startedAt,
    };
  }

  /** The one line that runs `command` in the background and answers with its id and status. */
  private buildLine(id: number, command: QuickCommand, out: string, err: string): string {
    // A folder that is not there fails the command (126), as a spawn would: it must never run
    // in the shell's own folder instead. Physical (-P) and absolute: no `..` games, no CDPATH.
    const { exports, envArgs } = this.listEnvChanges(command.env);
    const words = [
      `cd -P -- ${quote(path.resolve(command.cwd))} || exit 126;`,
      ...exports,
      `exec ${[...envArgs, command.command, ...command.args].map(quote).join(" ")}`,
    ];
    return `( ( ${words.join(" ")} ) >${quote(out)} 2>${quote(err)} </dev/null; echo "${id} $?" ) &`;
  }

  /**
   * What differs from the shell's own environment, as `export`/`unset` words, for names the shell
   * can spell; the others (`A.B`, `BASH_FUNC_x%%`) all go as `env NAME=value` arguments.
   */
  private listEnvChanges(overrides: Readonly<Record<string, string>> = {}): {
    exports: string[];
    envArgs: string[];
  } {
    const wanted: Record<string, string | undefined> = { ...process.env, BOSUN: "1", ...overrides };
    const exports: string[] = [];
    const envArgs: string[] = [];
    for (const [name, value] of Object.entries(wanted)) {
      if (value === undefined) continue;
      // The shell drops names it cannot spell from what it passes on: `env` passes each, always.
      if (!isShellName(name)) envArgs.push(`${name}=${value}`);
      else if (value !== this.baseEnv[name]) exports.push(`export ${name}=${quote(value)};`);
    }
    for (const name of Object.keys(this.baseEnv)) {
      if (wanted[name] !== undefined) continue;
      if (isShellName(name)) exports.push(`unset ${name};`);
      else envArgs.unshift("-u", name);
    }
    return { exports, envArgs: envArgs.length === 0 ? [] : ["env", ...envArgs] };
  }

  private answer(line: string): void {
    const [idText, codeText] = line.split(" ");
    const id = Number(idText);
    const waiting = this.pending.get(id);
    if (waiting === undefined) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.setHeld(false);
    waiting.resolve(Number(codeText));
  }

  /** Answers every waiting command with an error; the next command starts a new shell. */
  private fail(reason: string): void {
    if (this.isGone) return;
    this.isGone = true;
    if (shell === this) shell = undefined;
    const detail = this.stderrTail.trim();
    const error = new BosunError(`${reason}${detail === "" ? "" : `: ${detail}`}`);
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
    // The folder stays until bosun exits: an answered command's output may still be being read.
    this.child.stdin?.end();
  }

  /** At bosun's exit: ends the shell (its running commands finish on their own), removes its folder. */
  private stop(): void {
    this.child.stdin?.end();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Keeps bosun alive while a command is out (the answer is on its way), and lets it exit when
   * none is: an idle shell must not hold a finished bosun open.
   */
  private setHeld(isHeld: boolean): void {
    if (isHeld) this.child.ref();
    else this.child.unref();
    // The pipes are sockets underneath; their types do not say so.
    for (const pipe of [this.child.stdout, this.child.stderr, this.child.stdin]) {
      if (!(pipe instanceof Socket)) continue;
      if (isHeld) pipe.ref();
      else pipe.unref();
    }
  }
}

/** A word the shell takes literally: single-quoted, a newline as "$__bosun_nl" (the line must stay one). */
function quote(word: string): string {
  // A spawn refuses a NUL too: no argument or environment value can hold one.
  if (word.includes("\0"))
    throw new BosunError(`An argument holds a NUL byte: ${JSON.stringify(word)}`);
  return word
    .split("\n")
    .map((piece) => `'${piece.replaceAll("'", `'\\''`)}'`)
    .join('"$__bosun_nl"');
}

/** The first `count` bytes of a file. */
async function readStart(file: string, count: number): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.min(size, count));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The last STDERR_TAIL_BYTES of a file. */
async function readEnd(file: string): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, STDERR_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, size - length);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function isShellName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}
