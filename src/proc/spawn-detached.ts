/**
 * Starts a process that must outlive bosun: the pulse daemon, and the runs the pulse starts. It
 * leads its own session (a terminal closing or a Ctrl-C in the starting shell reaches it not),
 * reads /dev/null, writes to a log file, and is not waited for. Everything that bosun waits on
 * goes through run-process.ts instead.
 */
import { spawn } from "node:child_process";
import { mkdirSync, openSync, closeSync } from "node:fs";
import path from "node:path";

/** What to start. */
export interface DetachedSpec {
  /** Executable (an absolute path, or a name looked up in PATH). */
  command: string;
  /** Arguments, passed as is. */
  args: readonly string[];
  /** Working directory. */
  cwd: string;
  /** Stdout and stderr are appended here. */
  logFile: string;
  /** Env overrides on top of process.env. */
  env?: Readonly<Record<string, string>>;
}

/** Starts it and returns its pid; throws when it could not be started. */
export function spawnDetached(spec: DetachedSpec): Promise<number> {
  mkdirSync(path.dirname(spec.logFile), { recursive: true });
  const log = openSync(spec.logFile, "a");
  try {
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      detached: true,
      stdio: ["ignore", log, log],
    });
    return new Promise((resolve, reject) => {
      child.once("error", reject);
      child.once("spawn", () => {
        child.unref();
        const { pid } = child;
        if (pid === undefined) reject(new Error(`${spec.command} started without a pid`));
        else resolve(pid);
      });
    });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(log);
  }
}
