/**
 * The pulse's sense step: every sensor under `.bosun/pulse/sensors/` run at once, each bounded
 * by a timeout and an output cap. A sensor that fails, hangs, prints too much or prints no JSON
 * object is recorded as failed with the reason and never fails the beat. What a sensor prints is
 * data for the brain, never instructions; only its `signal` counts as a change of the world.
 */
import { setMaxListeners } from "node:events";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { getErrorMessage, isNodeError } from "../../errors.js";
import { runProcessRaw } from "../../proc/run-process.js";
import { PULSE_PROCESS_VARS } from "./pulse-env.js";
import {
  SensorOutputSchema,
  type SensorOutput,
  type SensorReading,
} from "../../store/schema/pulse.js";
import { readIntervalHeader } from "../../store/sensor-header.js";

/** How long a sensor may run before it counts as hung. */
export const SENSOR_TIMEOUT_MS = 10_000;

/** The most a sensor may print; past it the reading fails (the rest is read and dropped). */
export const SENSOR_MAX_BYTES = 64 * 1024;

/** What a sense step needs. */
export interface SenseOptions {
  /** `.bosun/pulse/sensors/`; a folder that does not exist has no sensors. */
  sensorsDir: string;
  /** Where sensors run: the repository root. */
  cwd: string;
  /** The last beat's readings by sensor name: fresh ones (their interval) are kept, not re-run. */
  previous?: ReadonlyMap<string, SensorReading>;
  /** The beat's time (tests). */
  nowMs?: number;
  /** Per sensor. */
  timeoutMs?: number;
  /** Per sensor. */
  maxBytes?: number;
  /** Stops every sensor still running (the daemon going down). */
  signal?: AbortSignal;
}

/** Reads every sensor, at once; sorted by name. Never throws for a sensor's failure. */
export async function readSensors(options: SenseOptions): Promise<SensorReading[]> {
  const names = await listSensorNames(options.sensorsDir);
  const nowMs = options.nowMs ?? Date.now();
  // One listener on the caller's signal for the whole beat; each sensor listens on the beat's
  // own, sized for them all (more than ten sensors made Node warn of a listener leak).
  const beat = new AbortController();
  setMaxListeners(names.length + 1, beat.signal);
  const stop = (): void => beat.abort();
  if (options.signal?.aborted === true) beat.abort();
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    return await Promise.all(
      names.map(async (name) => {
        const kept = options.previous?.get(name);
        if (kept !== undefined && isFresh(kept, nowMs)) return kept;
        return readSensor(name, { ...options, signal: beat.signal }, nowMs);
      }),
    );
  } finally {
    options.signal?.removeEventListener("abort", stop);
  }
}

/** True while a reading's `bosun:interval` has not passed since it was read. */
function isFresh(reading: SensorReading, nowMs: number): boolean {
  return (
    reading.status === "ok" &&
    reading.intervalSec !== undefined &&
    nowMs - reading.readAtMs < reading.intervalSec * 1000
  );
}

/** The sensors: every file in the folder but hidden ones and notes (`*.md`). */
async function listSensorNames(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((entry) => !entry.isDirectory())
      .map((entry) => entry.name)
      .filter((name) => !name.startsWith(".") && !name.endsWith(".md"))
      .sort();
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return [];
    throw error;
  }
}

async function readSensor(
  name: string,
  options: SenseOptions,
  nowMs: number,
): Promise<SensorReading> {
  const file = path.join(options.sensorsDir, name);
  const startedMs = Date.now();
  let intervalSec: number | undefined;
  const failed = (error: string): SensorReading => ({
    status: "failed",
    name,
    error,
    readAtMs: nowMs,
    durationMs: Date.now() - startedMs,
    ...(intervalSec === undefined ? {} : { intervalSec }),
  });
  try {
    const info = await stat(file);
    if ((info.mode & 0o111) === 0) return failed(`not executable: run chmod +x ${file}`);
    intervalSec = await readIntervalHeader(file);
    const timeoutMs = options.timeoutMs ?? SENSOR_TIMEOUT_MS;
    const maxBytes = options.maxBytes ?? SENSOR_MAX_BYTES;
    const result = await runProcessRaw({
      command: file,
      args: [],
      cwd: options.cwd,
      env: { [PULSE_PROCESS_VARS.sensor]: name },
      timeoutMs,
      graceMs: 500,
      maxBytes,
      isKilledPastMax: true,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    // First: a flooding sensor is stopped at the cap, which its exit status then says too.
    if (result.isTruncated) return failed(`printed more than ${maxBytes} bytes`);
    if (result.terminationReason === "timeout")
      return failed(`hung: no answer within ${timeoutMs / 1000} s`);
    if (result.terminationReason === "aborted") return failed("stopped: the pulse is going down");
    if (result.exitCode !== 0) {
      const stderr = result.stderrTail.trim().split("\n").at(-1) ?? "";
      return failed(
        `exited with code ${result.exitCode ?? result.signal}${stderr ? `: ${stderr}` : ""}`,
      );
    }
    const output = parseSensorOutput(result.stdout.toString("utf8"));
    if (typeof output === "string") return failed(output);
    return {
      status: "ok",
      name,
      signal: output.signal,
      ...(output.detail === undefined ? {} : { detail: output.detail }),
      readAtMs: nowMs,
      durationMs: Date.now() - startedMs,
      ...(intervalSec === undefined ? {} : { intervalSec }),
    };
  } catch (error) {
    return failed(`cannot run it: ${getErrorMessage(error)}`);
  }
}

/** The sensor's object, or why what it printed is not one. */
function parseSensorOutput(text: string): SensorOutput | string {
  const shown = JSON.stringify(text.trim().slice(0, 120));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `printed no JSON object: ${shown}`;
  }
  const checked = SensorOutputSchema.safeParse(value);
  if (!checked.success) return `printed no JSON object with a "signal": ${shown}`;
  return checked.data;
}
