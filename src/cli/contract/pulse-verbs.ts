/**
 * The pulse's verbs of the machine contract: `state`, `wait --actionable`, `decision
 * approve|reject`, `run -- CMD`. Each goes through the same flow code as `bosun pulse …`.
 */
import path from "node:path";
import { UsageError } from "../../errors.js";
import { listAsks } from "../../human/asks.js";
import { findHeldDecision } from "../../flows/pulse/beat.js";
import { withBeatLock } from "../../flows/pulse/beat-lock.js";
import { submitHumanMove } from "../../flows/pulse/human-move.js";
import { settleHeldActions } from "../../flows/pulse/settle.js";
import { readLiveLockHolder } from "../../store/run-lock.js";
import { waitUntil } from "../../store/wait-until.js";
import { createPulseEnv } from "../commands/pulse.js";
import { readPulseStatus } from "../commands/pulse-status.js";
import type { CliContext } from "../context.js";
import { quoteForShell } from "../invocation.js";
import { assertNotPulseWorker } from "../human-only.js";
import { WAIT_TIMEOUT_EXIT_CODE, printContract } from "./output.js";
import { DAEMON_DOWN_EXIT_CODE } from "./pulse-schemas.js";

/** `bosun _ state`. */
export async function runContractState(ctx: CliContext): Promise<number> {
  const env = await createPulseEnv(ctx);
  printContract("state", { state: await readPulseStatus(env) });
  return 0;
}

/** `bosun _ decision approve|reject D [--only 1,3]`. */
export async function runContractDecision(
  ctx: CliContext,
  verb: string,
  decisionId: string,
  only: number[] | undefined,
): Promise<number> {
  if (verb !== "approve" && verb !== "reject")
    throw new UsageError(`Unknown decision verb "${verb}": approve or reject.`);
  assertNotPulseWorker(`bosun _ decision ${verb} ${decisionId}`);
  const env = await createPulseEnv(ctx);
  const decision = await withBeatLock(env, () =>
    settleHeldActions(env, {
      decisionId,
      isReject: verb === "reject",
      ...(only === undefined ? {} : { only }),
      by: "contract",
    }),
  );
  printContract("decision", { decision });
  return 0;
}

/** `bosun _ run [--reason R] -- CMD…`: a command, gated as the brain's would be. */
export async function runContractRun(
  ctx: CliContext,
  words: readonly string[],
  reason: string | undefined,
): Promise<number> {
  // One word is a command line of its own (`-- "npm ci && npm test"`); several are argv as the
  // caller's shell split them, quoted back so `-- git commit -m "a; b"` runs what was typed.
  const command = (
    words.length === 1 ? (words[0] ?? "") : words.map(quoteForShell).join(" ")
  ).trim();
  if (command === "") throw new UsageError("Give the command after --: bosun _ run -- npm test");
  const env = await createPulseEnv(ctx);
  const decision = await submitHumanMove(
    env,
    { type: "run_command", command, reason: reason ?? "asked through bosun _ run" },
    `bosun _ run: ${reason ?? command}`,
  );
  printContract("decision", { decision });
  const item = decision.actions[0];
  return item?.status === "failed" || item?.status === "blocked" ? 1 : 0;
}

/** Re-checks whether the daemon still lives this often while waiting: a kill -9 sends no event. */
const DAEMON_PROBE_MS = 2_000;

/**
 * `bosun _ wait --actionable [--timeout S]`: returns at once when an ask or a held decision
 * waits for a human, else when one appears; exits 3 when the daemon is not running (or stops),
 * since nothing would then change by itself.
 */
export async function runContractWaitActionable(
  ctx: CliContext,
  options: { timeoutSec?: number; isNewOnly?: boolean; onReady?: (what: string) => void },
): Promise<number> {
  const env = await createPulseEnv(ctx);
  const { paths } = env;
  // With --new, what waited already when the wait began does not count: a concierge that has
  // relayed it waits for the next thing, instead of being woken by the same ask again and again.
  const seen = new Set<string>();
  if (options.isNewOnly === true) {
    const [asks, held] = await Promise.all([listAsks(paths, true), findHeldDecision(env)]);
    for (const { ask } of asks) seen.add(ask.id);
    if (held !== undefined) seen.add(held.id);
  }
  const look = async (): Promise<"actionable" | "daemon-down" | undefined> => {
    const [asks, held, pid] = await Promise.all([
      listAsks(paths, true),
      findHeldDecision(env),
      readLiveLockHolder(paths.pulse.daemonPidFile),
    ]);
    if (asks.some(({ ask }) => !seen.has(ask.id))) return "actionable";
    if (held !== undefined && !seen.has(held.id)) return "actionable";
    return pid === undefined ? "daemon-down" : undefined;
  };
  options.onReady?.("something actionable: an ask, a held decision, or the daemon going down");
  const waited = await waitUntil({
    dirs: [
      paths.asksDir,
      path.join(paths.asksDir, "answers"),
      paths.pulse.decisionsDir,
      paths.pulse.dir,
    ],
    check: look,
    // Only the daemon's liveness on the timer (a kill -9 removes no file); the rest on watches.
    probeMs: DAEMON_PROBE_MS,
    probe: async () => (await readLiveLockHolder(paths.pulse.daemonPidFile)) === undefined,
    ...(options.timeoutSec === undefined ? {} : { timeoutMs: options.timeoutSec * 1000 }),
    signal: ctx.signal,
  });
  const reason = waited.kind === "timeout" ? "timeout" : waited.value;
  const [asks, held, pid] = await Promise.all([
    listAsks(paths, true),
    findHeldDecision(env),
    readLiveLockHolder(paths.pulse.daemonPidFile),
  ]);
  printContract("actionable", {
    reason,
    openAsks: asks.map(({ ask }) => ({
      id: ask.id,
      question: ask.question,
      options: ask.options.map((option) => option.key),
    })),
    heldDecision: held ?? null,
    isDaemonRunning: pid !== undefined,
  });
  if (reason === "timeout") return WAIT_TIMEOUT_EXIT_CODE;
  return reason === "daemon-down" ? DAEMON_DOWN_EXIT_CODE : 0;
}
