/**
 * The pulse's own cost:
 * 1. one beat's overhead — sense → decide → act minus the sensors' and the brain's own time —
 *    in process, with 10 trivial sensors and a brain that answers at once (median ms);
 * 2. an idle daemon (`bosun pulse daemon`, the built CLI) with 10 sensors that never change:
 *    model calls after its first decision (target: zero) and bosun's CPU per hour at the default
 *    beat interval (target: ≤ 0.5 % of a core), from its CPU per beat and while it sleeps.
 */
import { spawn } from "node:child_process";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { AgentRunner } from "../src/agents/dispatch.js";
import { runBeat } from "../src/flows/pulse/beat.js";
import type { PulseEnv } from "../src/flows/pulse/pulse-env.js";
import { createBosunPaths } from "../src/store/paths.js";
import { DEFAULT_CONFIG } from "../src/store/schema/config.js";
import { CLI, createRepo, median, readCpuSec, row, verdict } from "./util.js";

const SENSORS = 10;
const NOOP = JSON.stringify({ critique: "steady", actions: [{ type: "noop", reason: "steady" }] });

async function writeSensors(repo: string): Promise<void> {
  const dir = path.join(repo, ".bosun", "pulse", "sensors");
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < SENSORS; i += 1) {
    const file = path.join(dir, `s${i}`);
    await writeFile(file, `#!/bin/sh\necho '{"signal": ${i}, "detail": "steady"}'\n`);
    await chmod(file, 0o755);
  }
}

/** Median ms of one forced beat, minus its slowest sensor and its brain call. */
async function benchBeat(
  dir: string,
): Promise<{ overheadMs: number; wallMs: number; skipMs: number }> {
  const repo = await createRepo(path.join(dir, "beat"));
  await writeSensors(repo);
  const runner: AgentRunner = () =>
    Promise.resolve({
      exitCode: 0,
      costUsd: 0,
      isCostEstimated: false,
      tokens: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
      finalText: NOOP,
      durationMs: 0,
      spawns: 1,
      fileEdits: [],
      toolUses: 0,
      warnings: [],
    });
  const env: PulseEnv = {
    repoRoot: repo,
    paths: createBosunPaths(repo),
    config: {
      ...DEFAULT_CONFIG,
      pulse: { ...DEFAULT_CONFIG.pulse, brain: "offline", brainCallsPerHour: 100_000 },
    },
    cliPath: CLI,
    runner,
    now: Date.now,
    log: () => undefined,
  };
  const overheads: number[] = [];
  const walls: number[] = [];
  const skips: number[] = [];
  for (let i = 0; i < 21; i += 1) {
    const start = performance.now();
    const outcome = await runBeat(env, { isForced: true });
    const wallMs = performance.now() - start;
    if (outcome.kind !== "decided")
      throw new Error(`a forced beat did not decide: ${outcome.kind}`);
    const sensorMs = Math.max(...outcome.readings.map((reading) => reading.durationMs));
    const brainMs = outcome.decision.brain?.durationMs ?? 0;
    if (i > 0) {
      walls.push(wallMs);
      overheads.push(wallMs - sensorMs - brainMs);
    }
    const skipStart = performance.now();
    const skipped = await runBeat(env);
    if (skipped.kind !== "skipped")
      throw new Error(`an unchanged world was decided: ${skipped.kind}`);
    if (i > 0)
      skips.push(
        performance.now() - skipStart - Math.max(...skipped.readings.map((r) => r.durationMs)),
      );
  }
  return { overheadMs: median(overheads), wallMs: median(walls), skipMs: median(skips) };
}

interface IdleFigures {
  beats: number;
  callsAfterFirst: number;
  cpuPerBeatMs: number;
  sleepingCpuPct: number;
  cpuPctPerHour: number;
}

interface Daemon {
  pid: number;
  /** Resolves once the daemon has logged `count` beats that made no decision. */
  waitForSkips(count: number): Promise<void>;
  skips(): number;
  stop(): Promise<void>;
}

async function startDaemon(repo: string, brain: string, intervalSec: number): Promise<Daemon> {
  await writeFile(
    path.join(repo, "bosun.yaml"),
    [
      "pulse:",
      "  brain: bench",
      `  intervalSec: ${intervalSec}`,
      "agents:",
      `  bench: { template: "${brain} {{prompt_file}}", parser: plain }`,
      "",
    ].join("\n"),
  );
  const child = spawn(process.execPath, [CLI, "pulse", "daemon"], {
    cwd: repo,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  const waiters: Array<() => void> = [];
  const skips = (): number => (log.match(/no decision: nothing changed/g) ?? []).length;
  child.stderr?.on("data", (chunk: Buffer) => {
    log += chunk.toString("utf8");
    for (const waiter of waiters.splice(0)) waiter();
  });
  return {
    pid: child.pid ?? 0,
    skips,
    waitForSkips: (count) =>
      new Promise((resolve) => {
        const check = (): void => {
          if (skips() >= count) resolve();
          else waiters.push(check);
        };
        check();
      }),
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("close", resolve));
    },
  };
}

async function countCalls(file: string): Promise<number> {
  return (await readFile(file, "utf8").catch(() => "")).split("\n").length - 1;
}

/** Runs `bosun pulse daemon` on 10 steady sensors: calls, CPU per beat, CPU asleep. */
async function benchIdleDaemon(dir: string): Promise<IdleFigures> {
  const repo = await createRepo(path.join(dir, "idle"));
  await writeSensors(repo);
  const calls = path.join(dir, "brain-calls");
  const brain = path.join(dir, "brain.sh");
  await writeFile(brain, `#!/bin/sh\necho call >> '${calls}'\necho '${NOOP}'\n`);
  await chmod(brain, 0o755);
  // Beating once a second: the cost of a beat on an unchanged world.
  const beating = await startDaemon(repo, brain, 1);
  const measured = 20;
  let cpuPerBeatSec: number;
  let callsAfterFirst: number;
  try {
    await beating.waitForSkips(1);
    const callsBefore = await countCalls(calls);
    const cpuBefore = await readCpuSec(beating.pid);
    const skipsBefore = beating.skips();
    await beating.waitForSkips(skipsBefore + measured);
    cpuPerBeatSec = ((await readCpuSec(beating.pid)) - cpuBefore) / measured;
    callsAfterFirst = (await countCalls(calls)) - callsBefore;
  } finally {
    await beating.stop();
  }
  // At an hour's interval: after its first (skipped) beat it only sleeps — timers and watches.
  const sleeping = await startDaemon(repo, brain, 3600);
  const sleepMs = 10_000;
  let sleepingCpuPct: number;
  try {
    await sleeping.waitForSkips(1);
    const cpuBefore = await readCpuSec(sleeping.pid);
    await new Promise((resolve) => setTimeout(resolve, sleepMs));
    sleepingCpuPct = (((await readCpuSec(sleeping.pid)) - cpuBefore) / (sleepMs / 1000)) * 100;
  } finally {
    await sleeping.stop();
  }
  const beatsPerHour = 3600 / DEFAULT_CONFIG.pulse.intervalSec;
  const cpuPctPerHour = ((beatsPerHour * cpuPerBeatSec) / 3600) * 100 + sleepingCpuPct;
  return {
    beats: measured,
    callsAfterFirst,
    cpuPerBeatMs: cpuPerBeatSec * 1000,
    sleepingCpuPct,
    cpuPctPerHour,
  };
}

/** Prints the pulse's figures. */
export async function benchPulse(dir: string, print: (line: string) => void): Promise<void> {
  const beat = await benchBeat(dir);
  print(
    row(
      "pulse: one beat, 10 sensors, instant brain",
      `${beat.wallMs.toFixed(1)} ms`,
      "sense, decide (forced), gate, act a noop, records and journal",
    ),
  );
  print(
    row(
      "→ bosun's own part (minus sensors and brain)",
      `${beat.overheadMs.toFixed(1)} ms`,
      `an unchanged world's beat: ${beat.skipMs.toFixed(1)} ms beside its sensors`,
    ),
  );
  const idle = await benchIdleDaemon(dir);
  print(
    row(
      `pulse daemon, 10 steady sensors, ${idle.beats} beats`,
      `${idle.callsAfterFirst} calls`,
      `model calls after the first decision · target 0: ${verdict(idle.callsAfterFirst === 0)}`,
    ),
  );
  print(
    row(
      "→ its CPU per beat (sensing, hashing, records)",
      `${idle.cpuPerBeatMs.toFixed(1)} ms`,
      `asleep between beats: ${idle.sleepingCpuPct.toFixed(3)} % of a core`,
    ),
  );
  print(
    row(
      `→ CPU per hour at a beat every ${DEFAULT_CONFIG.pulse.intervalSec} s`,
      `${idle.cpuPctPerHour.toFixed(3)} %`,
      `of one core · target ≤ 0.5 %: ${verdict(idle.cpuPctPerHour <= 0.5)}`,
    ),
  );
}
