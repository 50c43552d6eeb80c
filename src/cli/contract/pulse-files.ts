/**
 * The contract's verbs over the pulse's plain files: `goal write|archive|list`, `sensor write`,
 * `playbook write`, `schedule write|rm|list`, `claim` and `unclaim`. Each goes through the same
 * functions the loop's own moves use (human/pulse-*.ts) and prints one JSON document.
 */
import { StateError, UsageError } from "../../errors.js";
import { DEFAULT_CLAIM_TTL_SEC, claimResource, releaseClaim } from "../../human/pulse-claims.js";
import {
  archiveGoal,
  listGoals,
  writeGoal,
  writePlaybook,
  writeSensor,
} from "../../human/pulse-files.js";
import {
  dropSchedule,
  getNextScheduleAtMs,
  listSchedules,
  writeSchedule,
} from "../../human/pulse-schedules.js";
import { SAFE_ID_RULE, isSafeId } from "../../store/paths.js";
import type { CliContext } from "../context.js";
import { readStdinText } from "../stdin.js";
import { printContract } from "./output.js";

/** The most bytes a goal, a sensor or the playbook read from stdin may have. */
const MAX_STDIN_BYTES = 1024 * 1024;

/** Reads stdin whole (tests inject it). */
export type ReadStdin = () => Promise<string>;

/** `bosun _ goal write ID TEXT|-`. */
export async function runContractGoalWrite(
  ctx: CliContext,
  id: string,
  text: string,
  readStdin: ReadStdin = readStdinFile,
): Promise<number> {
  assertId(id, "goal id", "ID");
  const goalText = await readTextArgument(text, `goal ${id}`, readStdin);
  const file = await writeGoal(await ctx.getStatePaths(), id, goalText);
  printContract("goal.write", { goal: { id, text: goalText }, file });
  return 0;
}

/** `bosun _ goal archive ID`. */
export async function runContractGoalArchive(ctx: CliContext, id: string): Promise<number> {
  assertId(id, "goal id", "ID");
  const archivedFile = await archiveGoal(await ctx.getStatePaths(), id);
  printContract("goal.archive", { id, archivedFile });
  return 0;
}

/** `bosun _ goal list`. */
export async function runContractGoalList(ctx: CliContext): Promise<number> {
  printContract("goal.list", { goals: await listGoals(await ctx.getStatePaths()) });
  return 0;
}

/** `bosun _ sensor write NAME TEXT|- [--interval S]`. */
export async function runContractSensorWrite(
  ctx: CliContext,
  name: string,
  text: string,
  options: { intervalSec?: number },
  readStdin: ReadStdin = readStdinFile,
): Promise<number> {
  const script = await readTextArgument(text, `sensor ${name}`, readStdin);
  const file = await writeSensor(await ctx.getStatePaths(), name, script, options.intervalSec);
  printContract("sensor.write", { name, file, intervalSec: options.intervalSec ?? null });
  return 0;
}

/** `bosun _ playbook write TEXT|-`. */
export async function runContractPlaybookWrite(
  ctx: CliContext,
  text: string,
  readStdin: ReadStdin = readStdinFile,
): Promise<number> {
  const playbook = await readTextArgument(text, "the playbook", readStdin);
  const paths = await ctx.getStatePaths();
  const written = await writePlaybook(paths, playbook);
  printContract("playbook.write", {
    file: paths.pulse.playbookFile,
    isChanged: written.isChanged,
    previousVersionFile: written.previousVersionFile ?? null,
  });
  return 0;
}

/** `bosun _ schedule write ID --in S|--every S --note TEXT`. */
export async function runContractScheduleWrite(
  ctx: CliContext,
  id: string,
  options: { inSec?: number; everySec?: number; note: string },
): Promise<number> {
  assertId(id, "schedule id", "ID");
  const schedule = await writeSchedule(
    await ctx.getStatePaths(),
    { id, note: options.note, inSec: options.inSec, everySec: options.everySec },
    Date.now(),
  );
  printContract("schedule.write", { schedule });
  return 0;
}

/** `bosun _ schedule rm ID`. */
export async function runContractScheduleRm(ctx: CliContext, id: string): Promise<number> {
  assertId(id, "schedule id", "ID");
  printContract("schedule.rm", { schedule: await dropSchedule(await ctx.getStatePaths(), id) });
  return 0;
}

/** `bosun _ schedule list`. */
export async function runContractScheduleList(ctx: CliContext): Promise<number> {
  const schedules = await listSchedules(await ctx.getStatePaths());
  printContract("schedule.list", { schedules, nextAtMs: getNextScheduleAtMs(schedules) ?? null });
  return 0;
}

/** `bosun _ claim RESOURCE --holder H [--ttl S] [--pid P]`: exit 1 (state) when another holds it. */
export async function runContractClaim(
  ctx: CliContext,
  resource: string,
  options: { holder: string; ttlSec?: number; pid?: number },
): Promise<number> {
  assertId(resource, "resource name", "RESOURCE");
  const result = await claimResource(await ctx.getStatePaths(), resource, {
    holder: options.holder,
    pid: options.pid,
    ttlSec: options.ttlSec ?? DEFAULT_CLAIM_TTL_SEC,
  });
  if (!result.ok) {
    const until = new Date(result.claim.expiresAtMs).toISOString();
    throw new StateError(
      `"${resource}" is claimed by ${JSON.stringify(result.holder)} until ${until}. Wait and claim again, or ask its holder to release it (bosun _ unclaim ${resource} --holder ${result.holder}).`,
    );
  }
  printContract("claim", {
    claim: result.claim,
    isRenewed: result.isRenewed,
    tookOverFrom: result.tookOverFrom ?? null,
  });
  return 0;
}

/** `bosun _ unclaim RESOURCE --holder H`: exit 1 (state) when another holds it. */
export async function runContractUnclaim(
  ctx: CliContext,
  resource: string,
  options: { holder: string },
): Promise<number> {
  assertId(resource, "resource name", "RESOURCE");
  const { isReleased } = await releaseClaim(await ctx.getStatePaths(), resource, options.holder);
  printContract("unclaim", { resource, isReleased });
  return 0;
}

/** An id typed on the command line: refused as a usage error before it names a file. */
function assertId(value: string, what: string, argument: string): void {
  if (!isSafeId(value))
    throw new UsageError(
      `Invalid ${what} ${JSON.stringify(value)} (the ${argument} argument): ${SAFE_ID_RULE}.`,
    );
}

/** The argument's text, or stdin's for "-"; never empty. */
async function readTextArgument(text: string, what: string, readStdin: ReadStdin): Promise<string> {
  const value = text === "-" ? await readStdin() : text;
  if (value.trim() === "")
    throw new UsageError(
      `The text of ${what} is empty. Give it as the argument, or on stdin with "-".`,
    );
  return value;
}

async function readStdinFile(): Promise<string> {
  return readStdinText(
    MAX_STDIN_BYTES,
    `The text on stdin is over ${MAX_STDIN_BYTES} bytes. Goals, sensors and the playbook are short files.`,
  );
}
