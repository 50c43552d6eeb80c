/**
 * The pulse's timers: `schedules/<id>.json`, written by a human (`bosun _ schedule write`) or by
 * the brain (`write_schedule`), taken by the loop when due. Taking one writes its next state
 * before it is returned, so a crash after the take never fires it a second time.
 */
import { readdir, rm } from "node:fs/promises";
import { StateError, UsageError, isNodeError } from "../errors.js";
import { createStateFsError } from "../store/fs-errors.js";
import { readJson, writeJsonAtomic } from "../store/json-file.js";
import type { BosunPaths } from "../store/paths.js";
import { PulseScheduleSchema, type PulseSchedule } from "../store/schema/pulse-schedule.js";

/** What a schedule is written from: a note and exactly one of `inSec` and `everySec`. */
export interface ScheduleRequest {
  /** The schedule's id (its file name). */
  id: string;
  /** What the brain is reminded of when it fires. */
  note: string;
  /** Fire once, this many seconds from now. */
  inSec?: number | undefined;
  /** Fire every this many seconds, the first time one period from now. */
  everySec?: number | undefined;
}

/** Writes (or replaces) a schedule; it fires first at `nowMs` plus its period. */
export async function writeSchedule(
  paths: BosunPaths,
  request: ScheduleRequest,
  nowMs: number,
): Promise<PulseSchedule> {
  const { id, note, inSec, everySec } = request;
  if ((inSec === undefined) === (everySec === undefined))
    throw new UsageError(
      `Schedule "${id}" needs exactly one of --in S (once) and --every S (repeating).`,
    );
  const periodSec = inSec ?? everySec ?? 0;
  if (!(Number.isFinite(periodSec) && periodSec > 0))
    throw new UsageError(`Schedule "${id}": the seconds must be a number above 0.`);
  if (note.trim() === "")
    throw new UsageError(`Schedule "${id}" needs a note: what the loop is reminded of.`);
  const schedule: PulseSchedule = {
    version: 1,
    id,
    note,
    ...(inSec === undefined ? {} : { inSec }),
    ...(everySec === undefined ? {} : { everySec }),
    createdAtMs: nowMs,
    nextAtMs: nowMs + Math.round(periodSec * 1000),
  };
  await writeJsonAtomic(paths.pulse.scheduleFile(id), PulseScheduleSchema, schedule);
  return schedule;
}

/** Removes a schedule and returns it; a StateError when there is none. */
export async function dropSchedule(paths: BosunPaths, id: string): Promise<PulseSchedule> {
  const file = paths.pulse.scheduleFile(id);
  const schedule = await readJson(file, PulseScheduleSchema);
  if (schedule === null)
    throw new StateError(
      `No schedule "${id}" (${file}). List the schedules with "bosun _ schedule list".`,
    );
  await removeFile(file);
  return schedule;
}

/** Every schedule, sorted by id. */
export async function listSchedules(paths: BosunPaths): Promise<PulseSchedule[]> {
  let names: string[];
  try {
    names = await readdir(paths.pulse.schedulesDir);
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return [];
    throw createStateFsError("read", paths.pulse.schedulesDir, error);
  }
  const schedules: PulseSchedule[] = [];
  for (const name of names.filter((entry) => entry.endsWith(".json")).sort()) {
    const schedule = await readJson(
      paths.pulse.scheduleFile(name.slice(0, -".json".length)),
      PulseScheduleSchema,
    );
    // Gone between the listing and the read: dropped meanwhile.
    if (schedule !== null) schedules.push(schedule);
  }
  return schedules;
}

/**
 * Takes the schedules due at `nowMs`: a one-shot is removed, a repeating one gets its next time
 * (missed periods are skipped, not fired in a burst), each on disk before the list is returned.
 * A crash after the take loses at most that firing, never repeats it.
 */
export async function takeDueSchedules(paths: BosunPaths, nowMs: number): Promise<PulseSchedule[]> {
  const due: PulseSchedule[] = [];
  for (const schedule of await listSchedules(paths)) {
    if (schedule.nextAtMs > nowMs) continue;
    const file = paths.pulse.scheduleFile(schedule.id);
    if (schedule.everySec === undefined) {
      await removeFile(file);
      due.push(schedule);
      continue;
    }
    const periodMs = Math.max(1, Math.round(schedule.everySec * 1000));
    const missed = Math.floor((nowMs - schedule.nextAtMs) / periodMs) + 1;
    const fired: PulseSchedule = {
      ...schedule,
      lastFiredAtMs: nowMs,
      nextAtMs: schedule.nextAtMs + missed * periodMs,
    };
    await writeJsonAtomic(file, PulseScheduleSchema, fired);
    due.push(fired);
  }
  return due;
}

/** When the next schedule fires, ms since the epoch; undefined when there is none. */
export function getNextScheduleAtMs(schedules: readonly PulseSchedule[]): number | undefined {
  let next: number | undefined;
  for (const schedule of schedules) {
    if (next === undefined || schedule.nextAtMs < next) next = schedule.nextAtMs;
  }
  return next;
}

async function removeFile(file: string): Promise<void> {
  try {
    await rm(file, { force: true });
  } catch (error) {
    throw createStateFsError("write", file, error);
  }
}
