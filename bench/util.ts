/**
 * Helpers shared by the benchmarks: medians, timing, a bare spawn, a throwaway git repository,
 * and the rows of the printed table.
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runGit } from "../src/workspace/git.js";

/** The package root (bench/..). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The built CLI the CLI benchmarks run. */
export const CLI = path.join(ROOT, "dist", "cli.js");

/** The median of `values` (0 for none). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** The p-th percentile of `values` (nearest rank; 0 for none). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

/** The median wall time of `runs` calls of `fn`, after one warm-up call. */
export async function time(runs: number, fn: () => Promise<void>): Promise<number> {
  await fn(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

/** Spawns a command and waits until it closed (its output is read and dropped). */
export function spawnDirect(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.resume();
    child.stderr.resume();
    child.once("error", reject);
    child.once("close", () => resolve());
  });
}

/** Runs a command to its end; its exit code and stdout (for checking what a timed command does). */
export function runCapture(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ exitCode: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "ignore"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.once("error", reject);
    child.once("close", (exitCode) =>
      resolve({ exitCode, stdout: Buffer.concat(chunks).toString("utf8") }),
    );
  });
}

/** A git repository `<dir>/repo` on branch main with one commit and a committer identity. */
export async function createRepo(dir: string): Promise<string> {
  const repo = path.join(dir, "repo");
  await mkdir(dir, { recursive: true });
  await runGit(dir, ["init", "-q", "-b", "main", repo]);
  await writeFile(path.join(repo, "README.md"), "# bench\n");
  await runGit(repo, ["add", "-A"]);
  await runGit(repo, [
    "-c",
    "user.name=bench",
    "-c",
    "user.email=bench@localhost",
    "commit",
    "-q",
    "-m",
    "init",
  ]);
  await runGit(repo, ["config", "user.name", "bench"]);
  await runGit(repo, ["config", "user.email", "bench@localhost"]);
  return repo;
}

/** One row of the table: label, value, note. */
export function row(label: string, value: string, note: string): string {
  return `${label.padEnd(44)} ${value.padStart(12)}   ${note}`.trimEnd();
}

/** `met` or `MISSED`, for a target next to a figure (a benchmark never fails on one). */
export function verdict(isMet: boolean): string {
  return isMet ? "met" : "MISSED";
}

/** CPU seconds (user + system) a process has used, from /proc. */
export async function readCpuSec(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]?.split(" ") ?? [];
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after "pid (comm) ".
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
