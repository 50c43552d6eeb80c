/**
 * One beat of the pulse: sense → (only when the world changed) decide → gate → act. Level-
 * triggered: everything is re-read from the files each beat, so a beat after a crash is the same
 * as any other. One beat at a time per repository (the beat lock); every state change is on disk
 * before the next side effect.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { createAskId, listAsks, writeAsk } from "../../human/asks.js";
import { killSpawnFromPidFile } from "../../proc/pid-file.js";
import { listSchedules, takeDueSchedules } from "../../human/pulse-schedules.js";
import type { PulseSchedule } from "../../store/schema/pulse-schedule.js";
import {
  appendPulseJournal,
  createDecisionId,
  listOpenDecisions,
  readLastReadings,
  readPulseJournalTail,
  readPulseState,
  writeDecisionRecord,
  writeLastReadings,
  writePulseState,
} from "../../store/pulse-store.js";
import type { SensorReading } from "../../store/schema/pulse.js";
import type {
  PulseActionRecord,
  PulseDecisionRecord,
  PulseState,
} from "../../store/schema/pulse-record.js";
import { PULSE_ASK_RUN_ID } from "./act.js";
import { withBeatLock } from "./beat-lock.js";
import {
  HOUR_MS,
  addSpend,
  getBrainBlock,
  getDecideReason,
  getFailureBackoffMs,
  noteSignals,
} from "./beat-policy.js";
import { buildBrainPrompt, type BrainWorld } from "./brain-prompt.js";
import { decide, resolveBrainHarness } from "./decide.js";
import { gateAction, readPlaybookMarks } from "./gate.js";
import type { PulseEnv } from "./pulse-env.js";
import { readSensors } from "./sense.js";
import {
  describeAction,
  describeActionDetail,
  recoverStartedActions,
  runReadyActions,
  settleAnsweredAsks,
} from "./settle.js";
import { listStrandedAsks } from "./worker-health.js";
import {
  describeWorldChanges,
  gatherWorld,
  readSnapshot,
  writeSnapshot,
  type GatheredWorld,
} from "./world.js";

/** What one beat did. */
export type BeatOutcome =
  | { kind: "paused"; readings: SensorReading[] }
  | { kind: "skipped"; reason: string; readings: SensorReading[] }
  | { kind: "dry-run"; reason: string; prompt: string; readings: SensorReading[] }
  | { kind: "decided"; decision: PulseDecisionRecord; readings: SensorReading[] }
  | { kind: "brain-failed"; error: string; readings: SensorReading[] };

/** Options of one beat. */
export interface BeatOptions {
  /** Sense and build the brain's prompt, but call no model and change nothing. */
  isDryRun?: boolean;
  /** Decide even when nothing changed (`bosun pulse once`). */
  isForced?: boolean;
}

/** The journal lines the brain sees. */
const JOURNAL_TAIL_LINES = 20;

/** Takes one beat, under the beat lock (waiting for a beat in progress to end). */
export function runBeat(env: PulseEnv, options: BeatOptions = {}): Promise<BeatOutcome> {
  return withBeatLock(env, () => runBeatLocked(env, options));
}

async function runBeatLocked(env: PulseEnv, options: BeatOptions): Promise<BeatOutcome> {
  const { paths } = env;
  const nowMs = env.now();
  const state = await readPulseState(paths);
  const readings = await sense(env, nowMs);
  if (options.isDryRun === true) return dryRun(env, state, readings, options);

  state.beats += 1;
  await endOrphanedBrain(env, state);
  await writeLastReadings(paths, readings);
  const flapping = noteSignals(state, readings);
  // Crashed moves first, then the humans' answers: both change what the brain should see. The
  // unsettled decisions are read once for the whole beat (again only if answers settled some).
  const damaged = { onDamaged: (message: string) => env.log(message) };
  let open = await listOpenDecisions(paths, damaged);
  const interrupted = await recoverStartedActions(env, open);
  if (interrupted.length > 0) state.lastFailure = { atMs: nowMs, message: interrupted.join("; ") };
  await reopenLostApprovalAsks(env, open);
  if ((await settleAnsweredAsks(env, open)) > 0 || interrupted.length > 0)
    open = await listOpenDecisions(paths, damaged);
  const held = findHeld(open);

  const early = getEarlyStop(env, readings, held);
  if (early !== undefined) {
    await writePulseState(paths, state);
    return early;
  }
  const fired = await takeDueSchedules(paths, nowMs);
  const world = await gatherWorld(env, readings);
  const reason =
    options.isForced === true
      ? "asked to decide now"
      : getDecideReason(
          state,
          world.hash,
          fired.map((s) => s.id),
          nowMs,
          env.config.pulse,
        );
  const blocked =
    reason === undefined
      ? "nothing changed"
      : getBrainBlock(state, nowMs, env.config.pulse, world.workersSpentTodayUsd);
  if (reason === undefined || blocked !== undefined) {
    await writePulseState(paths, state);
    return { kind: "skipped", reason: blocked ?? "nothing changed", readings };
  }
  const brainWorld = await buildBrainWorld(env, state, world, fired, flapping, held);
  return decideAndAct(env, state, world, brainWorld, reason);
}

/**
 * A brain call the last process never finished (it was killed mid-call): its CLI may still run,
 * in its own process group, and is ended from its pid file before anything else happens.
 */
async function endOrphanedBrain(env: PulseEnv, state: PulseState): Promise<void> {
  const logDir = state.brainLogDir;
  if (logDir === undefined) return;
  const graceMs = env.config.dispatch.graceSec * 1000;
  for (const dir of [logDir, path.join(logDir, "attempt-2")])
    if (await killSpawnFromPidFile(path.join(dir, "agent.pid"), graceMs))
      env.log(`ended a brain call left running by a stopped pulse (${dir})`);
  delete state.brainLogDir;
}

async function sense(env: PulseEnv, nowMs: number): Promise<SensorReading[]> {
  const previous = await readLastReadings(env.paths);
  return readSensors({
    sensorsDir: env.paths.pulse.sensorsDir,
    cwd: env.repoRoot,
    previous: new Map(previous.map((reading) => [reading.name, reading])),
    nowMs,
    timeoutMs: env.config.pulse.sensorTimeoutSec * 1000,
    ...(env.signal === undefined ? {} : { signal: env.signal }),
  });
}

/** Paused, or a decision still held for a human (one decision in flight): no brain this beat. */
function getEarlyStop(
  env: PulseEnv,
  readings: SensorReading[],
  held: PulseDecisionRecord | undefined,
): BeatOutcome | undefined {
  if (existsSync(env.paths.pulse.pausedFile)) return { kind: "paused", readings };
  if (held === undefined) return undefined;
  return {
    kind: "skipped",
    reason: `decision ${held.id} waits for a human (bosun pulse approve|reject ${held.id})`,
    readings,
  };
}

/** The decision whose moves wait for a human, if any. */
export async function findHeldDecision(
  env: Pick<PulseEnv, "paths">,
): Promise<PulseDecisionRecord | undefined> {
  return findHeld(await listOpenDecisions(env.paths));
}

function findHeld(open: readonly PulseDecisionRecord[]): PulseDecisionRecord | undefined {
  return open.find((record) => record.actions.some((item) => item.status === "awaiting"));
}

async function dryRun(
  env: PulseEnv,
  state: PulseState,
  readings: SensorReading[],
  options: BeatOptions,
): Promise<BeatOutcome> {
  const nowMs = env.now();
  // Due schedules are listed, not taken: a dry run changes nothing.
  const due = (await listSchedules(env.paths)).filter((s) => s.nextAtMs <= nowMs);
  const world = await gatherWorld(env, readings);
  const reason =
    options.isForced === true
      ? "asked to decide now"
      : (getDecideReason(
          state,
          world.hash,
          due.map((s) => s.id),
          nowMs,
          env.config.pulse,
        ) ?? "nothing changed (a real beat would call no model)");
  const brainWorld = await buildBrainWorld(env, state, world, due, [], await findHeldDecision(env));
  const prompt = buildBrainPrompt(brainWorld, { maxActions: env.config.pulse.maxActions }).text;
  return { kind: "dry-run", reason, prompt, readings };
}

async function buildBrainWorld(
  env: PulseEnv,
  state: PulseState,
  world: GatheredWorld,
  fired: readonly PulseSchedule[],
  flapping: readonly string[],
  held: PulseDecisionRecord | undefined,
): Promise<BrainWorld> {
  const [journalTail, stranded, lastSnapshot] = await Promise.all([
    readPulseJournalTail(env.paths, JOURNAL_TAIL_LINES),
    listStrandedAsks(env.paths, {
      nowMs: env.now(),
      stuckMs: env.config.pulse.workerStuckSec * 1000,
    }).then((asks) => new Set(asks.map((item) => item.ask.id))),
    readSnapshot(env, state.lastDecisionId),
  ]);
  const changes = describeWorldChanges(lastSnapshot, world.snapshot);
  const answers = await readNewAnswers(env, state.lastDecisionAtMs);
  for (const name of flapping)
    changes.push(`sensor ${name} is flapping: its signal keeps changing beat after beat`);
  return {
    playbook: world.playbook,
    goals: world.goals,
    readings: world.readings,
    changes,
    ...(state.lastFailure === undefined ? {} : { lastFailure: state.lastFailure.message }),
    asks: world.openAsks.map(({ ask }) => ({
      id: ask.id,
      question: ask.question,
      options: ask.options,
      isStranded: stranded.has(ask.id),
    })),
    answers,
    workers: world.workers.map((worker) => ({
      id: worker.id,
      health: worker.health,
      summary: worker.summary,
    })),
    journalTail,
    ...(held === undefined ? {} : { pendingDecision: `${held.id}: ${held.critique}` }),
    firedSchedules: fired.map((s) => ({ id: s.id, note: s.note })),
    nowIso: new Date(env.now()).toISOString(),
  };
}

/**
 * What a human answered since the last decision (on the first, ever) to the pulse's asks — the
 * setup ask, the brain's own `ask`s, a worker's, a held decision's — each with its question.
 * The brain asked them, or the setup ask did for it, to hear exactly this.
 */
async function readNewAnswers(
  env: PulseEnv,
  sinceMs: number | undefined,
): Promise<Array<{ id: string; question: string; answer: string }>> {
  const answers: Array<{ id: string; question: string; answer: string }> = [];
  for (const { ask, answer, answerProblem } of await listAsks(env.paths, false)) {
    if (ask.runId !== PULSE_ASK_RUN_ID || answer === null || answerProblem !== undefined) continue;
    if (sinceMs !== undefined && Date.parse(answer.answeredAt) < sinceMs) continue;
    answers.push({
      id: ask.id,
      question: ask.question,
      answer: answer.note === undefined ? answer.answer : `${answer.answer} (note: ${answer.note})`,
    });
  }
  return answers;
}

async function decideAndAct(
  env: PulseEnv,
  state: PulseState,
  world: GatheredWorld,
  brainWorld: BrainWorld,
  reason: string,
): Promise<BeatOutcome> {
  const { paths, config } = env;
  const nowMs = env.now();
  const readings = [...world.readings];
  state.brainCallTimesMs = [...state.brainCallTimesMs.filter((t) => nowMs - t < HOUR_MS), nowMs];
  const decisionId = createDecisionId(new Date(nowMs));
  const logDir = path.join(paths.pulse.decisionsDir, decisionId, "brain");
  state.brainLogDir = logDir;
  // Counted before the call: a crash mid-call must not hand the loop a free call.
  await writePulseState(paths, state);
  await writeSnapshot(env, decisionId, world.snapshot);
  state.lastDecisionId = decisionId;
  const harness = resolveBrainHarness(config);
  env.log(`${decisionId}: deciding (${reason}) with ${config.pulse.brain}…`);
  const result = await decide({
    harness,
    runner: env.runner,
    world: brainWorld,
    maxActions: config.pulse.maxActions,
    cwd: env.repoRoot,
    logDir,
    timeoutMs: config.dispatch.timeoutSec * 1000,
    prices: config.prices,
    ...(env.signal === undefined ? {} : { signal: env.signal }),
  });
  addSpend(state, result.call.costUsd, nowMs);
  delete state.brainLogDir;
  if (!result.ok) {
    state.consecutiveFailures += 1;
    state.lastFailure = {
      atMs: nowMs,
      message: `the brain's call ${result.reason}: ${result.error}`,
    };
    if (result.reason === "rate_limited") {
      state.quotaResetAtMs =
        result.resetAtMs ?? nowMs + getFailureBackoffMs(state.consecutiveFailures);
    } else {
      state.backoffUntilMs = nowMs + getFailureBackoffMs(state.consecutiveFailures);
    }
    if (result.reason === "invalid") {
      // Invalid twice is a noop on this world: the same world is not decided again at once.
      state.lastWorldHash = world.hash;
      state.lastNoopAtMs = nowMs;
    }
    await writePulseState(paths, state);
    await appendPulseJournal(
      paths,
      [`${decisionId} brain ${result.reason}: ${result.error} — no move`],
      new Date(nowMs),
    );
    env.log(`${decisionId}: the brain ${result.reason}: ${result.error}`);
    return { kind: "brain-failed", error: result.error, readings };
  }
  const record = createRecord(env, decisionId, world, result.decision, result.call);
  // The write-ahead record, before the ask and before any move.
  await writeDecisionRecord(paths, record);
  const held = record.actions.filter((item) => item.status === "awaiting");
  if (record.askId !== undefined) await writeApprovalAsk(env, record, held);
  state.consecutiveFailures = 0;
  delete state.backoffUntilMs;
  delete state.quotaResetAtMs;
  state.lastDecisionAtMs = nowMs;
  if (record.actions.every((item) => item.action.type === "noop")) state.lastNoopAtMs = nowMs;
  if (record.nextIntervalSec === undefined) delete state.redecideAtMs;
  else state.redecideAtMs = nowMs + record.nextIntervalSec * 1000;
  await writePulseState(paths, state);
  await appendPulseJournal(
    paths,
    [
      `${decisionId} decided (${reason}; $${result.call.costUsd.toFixed(4)}, prompt ${result.call.promptBytes} B): ${record.critique}`,
      ...record.actions
        .filter((item) => item.status !== "pending")
        .map(
          (item) =>
            `${decisionId} #${item.index} ${describeAction(item.action)} — ${item.status === "blocked" ? "BLOCKED" : "held for a human"}: ${item.gateReason}`,
        ),
    ],
    new Date(nowMs),
  );
  await runReadyActions(env, record);
  // The world after its own moves is what the next beat compares with: the loop's own writes
  // (a goal, a sensor) must not wake it again.
  state.lastWorldHash = (await gatherWorld(env, readings)).hash;
  await writePulseState(paths, state);
  return { kind: "decided", decision: record, readings };
}

function createRecord(
  env: PulseEnv,
  decisionId: string,
  world: GatheredWorld,
  decision: Extract<Awaited<ReturnType<typeof decide>>, { ok: true }>["decision"],
  call: PulseDecisionRecord["brain"],
): PulseDecisionRecord {
  const { config } = env;
  const policy = {
    mode: config.pulse.approval,
    allow: config.pulse.allow,
    askFirst: readPlaybookMarks(world.playbook),
  };
  const actions: PulseActionRecord[] = decision.actions.map((action, i) => {
    const gate = gateAction(action, policy);
    const status =
      gate.verdict === "run" ? "pending" : gate.verdict === "ask" ? "awaiting" : "blocked";
    return { index: i + 1, action, gate: gate.verdict, gateReason: gate.reason, status };
  });
  const nowMs = env.now();
  return {
    version: 1,
    id: decisionId,
    createdAt: new Date(nowMs).toISOString(),
    source: "brain",
    worldHash: world.hash,
    critique: decision.critique,
    ...(decision.next_interval_s === undefined
      ? {}
      : { nextIntervalSec: decision.next_interval_s }),
    ...(actions.some((item) => item.status === "awaiting")
      ? { askId: createAskId(new Date(nowMs)) }
      : {}),
    ...(call === undefined ? {} : { brain: call }),
    actions,
  };
}

/**
 * A held decision whose ask is not in the mailbox (the process that wrote the decision died
 * before its ask): the ask is written now, so a human sees it and the beat can read its answer.
 */
async function reopenLostApprovalAsks(
  env: PulseEnv,
  open: readonly PulseDecisionRecord[],
): Promise<void> {
  for (const record of open) {
    const held = record.actions.filter((item) => item.status === "awaiting");
    if (record.askId === undefined || held.length === 0) continue;
    if (existsSync(env.paths.askFile(record.askId))) continue;
    await writeApprovalAsk(env, record, held);
    env.log(`${record.id}: its approval ask ${record.askId} was missing; asked again`);
  }
}

/** The mailbox ask a human answers to approve (or reject) every held move at once. */
export async function writeApprovalAsk(
  env: PulseEnv,
  record: PulseDecisionRecord,
  held: readonly PulseActionRecord[],
): Promise<void> {
  if (record.askId === undefined) return;
  const moves = held.map((item) => `#${item.index} ${describeAction(item.action)}`).join("; ");
  await writeAsk(env.paths, {
    version: 1,
    id: record.askId,
    runId: PULSE_ASK_RUN_ID,
    createdAt: new Date(env.now()).toISOString(),
    question: `The pulse wants to: ${moves}. Approve?`,
    options: [
      { key: "approve", label: "run the held moves" },
      { key: "reject", label: "drop them" },
    ],
    context: [
      `Decision ${record.id}: ${record.critique}`,
      ...held.map((item) => {
        const detail = describeActionDetail(item.action);
        return `#${item.index} held: ${item.gateReason}${detail === undefined ? "" : `\n${detail}`}`;
      }),
      `Approve or reject single moves with: bosun pulse approve ${record.id} --only 1,3 (or reject).`,
    ].join("\n"),
  });
}
