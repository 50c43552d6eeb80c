/**
 * Fresh temp directories for unit tests: one per test, removed when the test finishes, with
 * BOSUN_HOME (and XDG_CONFIG_HOME) pointed inside it so no test ever reads or writes the real ~.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { onTestFinished, vi } from "vitest";

/** Files to create, by path relative to the test dir (directories are created as needed). */
export type TestTree = Readonly<Record<string, string>>;

/**
 * Creates a temp dir for the current test, writes `tree` into it and stubs BOSUN_HOME to
 * `<dir>/bosun-home`. Call it inside a test (or a beforeEach); cleanup is automatic.
 */
export async function makeTestDir(tree: TestTree = {}): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "bosun-test-"));
  vi.stubEnv("BOSUN_HOME", path.join(dir, "bosun-home"));
  vi.stubEnv("XDG_CONFIG_HOME", path.join(dir, "xdg-config"));
  onTestFinished(async () => {
    vi.unstubAllEnvs();
    await rm(dir, { recursive: true, force: true });
  });
  await writeTree(dir, tree);
  return dir;
}

/** Writes an object-literal file tree under `dir`. */
export async function writeTree(dir: string, tree: TestTree): Promise<void> {
  for (const [file, text] of Object.entries(tree)) {
    const target = path.join(dir, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, text);
  }
}

/**
 * True when `pid` is a running process. A zombie (exited, not yet reaped — common in containers
 * whose pid 1 does not reap orphans) counts as dead: it runs no code and holds no resources.
 */
export function isPidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH: no such process. (EPERM cannot happen for our own children.)
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 3, after the parenthesised command name, is the state letter.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    // Without /proc (macOS) trust kill(0); with it, the process vanished between the two checks.
    return !existsSync("/proc/self");
  }
}

/**
 * Polls until `pid` is no longer running or `timeoutMs` passes; returns true if it ended. A killed
 * process is gone in milliseconds; the bound is generous so a busy machine cannot fail a test.
 */
export async function waitForPidExit(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isPidRunning(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !isPidRunning(pid);
}
