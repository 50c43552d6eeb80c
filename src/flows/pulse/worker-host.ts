/**
 * What a worker's host process (`bosun _ worker-host <id>`) does: runs the worker's agent as one
 * long headless call through dispatch, gives it the tells sent meanwhile in follow-up calls of
 * the same session, then checks the post-condition. The agent's exit status is never taken as
 * done: with a `verify` command, only its exit 0 is.
 */
import { CancelledError, StateError, getErrorMessage } from "../../errors.js";
import { dispatch, type DispatchResult } from "../../agents/dispatch.js";
import { resolveHarness, type ResolvedHarness } from "../../agents/harnesses.js";
import { markTellDelivered } from "../../human/tells.js";
import { readWorkerTells } from "./workers.js";
import { readOwnIdentity } from "../../proc/liveness.js";
import { runProcess } from "../../proc/run-process.js";
import type { BosunPaths } from "../../store/paths.js";
import {
  getWorkerFiles,
  readExistingWorkerFile,
  writeWorkerFile,
} from "../../store/pulse-workers.js";
import type { Config } from "../../store/schema/config.js";
import { ENDED_WORKER_STATUSES, type WorkerFile } from "../../store/schema/pulse-worker.js";
import type { Tell } from "../../store/schema/tells.js";
import { PULSE_PROCESS_VARS } from "./pulse-env.js";

/** The env var that names the worker to the agent and to `bosun _ ask` run by it. */
export const WORKER_ID_VAR = PULSE_PROCESS_VARS.worker;

/** Follow-up calls one host makes for tells, at most: a steady stream of tells must not run it for ever. */
const MAX_TELL_FOLLOW_UPS = 5;

/** Lines of the post-condition's output kept in worker.json. */
const VERIFY_TAIL_LINES = 40;

/** What the host needs besides the worker's files. */
export interface WorkerHostOptions {
  /** Stops the agent (a SIGTERM to the host): the worker is recorded `killed`. */
  signal: AbortSignal;
  /** The shell command that runs this bosun, for the prompt's instructions (`bosun`, `node …/cli.js`). */
  bosunCommand: string;
}

/** Runs worker `id` to its end and returns its final worker.json. */
export async function runWorkerHost(
  paths: BosunPaths,
  config: Config,
  id: string,
  options: WorkerHostOptions,
): Promise<WorkerFile> {
  let worker = await readExistingWorkerFile(paths, id);
  if (ENDED_WORKER_STATUSES.has(worker.status))
    throw new StateError(
      `Worker ${id} has already ended (${worker.status}); start it again with "bosun _ worker start ${id} --prompt …".`,
    );
  const own = readOwnIdentity();
  const update = async (change: Partial<WorkerFile>): Promise<WorkerFile> => {
    worker = { ...worker, ...change };
    await writeWorkerFile(paths, worker);
    return worker;
  };
  await update({
    status: "running",
    host: { pid: own.pid, ...(own.startTime === undefined ? {} : { startTime: own.startTime }) },
  });
  let agentProblem: string | undefined;
  try {
    await runAgentCalls(paths, config, options, () => worker, update);
  } catch (error) {
    if (error instanceof CancelledError || options.signal.aborted)
      return end(update, "killed", { reason: "stopped (its host got a stop signal)" });
    agentProblem = getErrorMessage(error).split("\n")[0] ?? "the agent failed";
  }
  try {
    if (worker.verify === undefined)
      return await end(update, agentProblem === undefined ? "done" : "failed", {
        reason: agentProblem ?? "unverified: no verify command was given; the agent exited 0",
      });
    // Run even after a failed agent call: the work may be done all the same, and only the
    // post-condition says so.
    await update({ status: "verifying" });
    const verifyResult = await runWorkerVerify(paths, config, worker, worker.verify, options);
    if (verifyResult.terminationReason === "aborted")
      return await end(update, "killed", { reason: "stopped while its verify command ran" });
    const { terminationReason: _reason, ...recorded } = verifyResult;
    const isPassed = recorded.exitCode === 0 && !recorded.isTimedOut;
    const verdict = isPassed
      ? `verified: \`${worker.verify}\` exited 0`
      : `\`${worker.verify}\` ${recorded.isTimedOut ? "timed out" : `exited ${String(recorded.exitCode)}`}`;
    return await end(update, isPassed ? "done" : "failed", {
      verifyResult: recorded,
      reason:
        agentProblem === undefined ? verdict : `${verdict} (the agent failed: ${agentProblem})`,
    });
  } catch (error) {
    return end(update, "failed", { reason: getErrorMessage(error).split("\n")[0] ?? "failed" });
  }
}

/**
 * The worker's agent calls: the first with its prompt, then, while tells wait for it and its
 * session can be resumed, one follow-up per batch of tells (at most MAX_TELL_FOLLOW_UPS).
 */
async function runAgentCalls(
  paths: BosunPaths,
  config: Config,
  options: WorkerHostOptions,
  current: () => WorkerFile,
  update: (change: Partial<WorkerFile>) => Promise<WorkerFile>,
): Promise<void> {
  const worker = current();
  const harness = getWorkerHarness(worker, config);
  const prompt = createWorkerPrompt(worker, options.bosunCommand);
  const first = await runAgentCall(paths, config, worker, harness, prompt, undefined, options);
  await update(addCall(current(), first));
  for (let followUp = 1; followUp <= MAX_TELL_FOLLOW_UPS; followUp += 1) {
    const tells = await readWorkerTells(paths, worker.id);
    const { sessionId } = current();
    // Without a session to resume, a tell stays pending: the worker's next start carries it.
    if (tells.length === 0 || sessionId === undefined || !canResume(harness)) return;
    const result = await runAgentCall(
      paths,
      config,
      worker,
      harness,
      createTellPrompt(tells),
      sessionId,
      options,
    );
    for (const tell of tells) await markTellDelivered(paths, tell.id);
    await update({
      ...addCall(current(), result),
      deliveredTellIds: [...current().deliveredTellIds, ...tells.map((tell) => tell.id)],
    });
  }
}

/**
 * The prompt of a worker's first call: who it is, the task, and how to reach the human, claim a
 * shared resource, and what "done" means for it.
 */
export function createWorkerPrompt(worker: WorkerFile, bosunCommand: string): string {
  const bosun = bosunCommand;
  const done =
    worker.verify === undefined
      ? "No check was given: when you stop, say plainly what you did and what is left."
      : `You are done only when this check passes in your working directory: \`${worker.verify}\`. bosun runs it after you stop; your own exit status does not count.`;
  return [
    `You are worker "${worker.id}" of bosun's pulse, an autonomous loop. You work in ${worker.cwd}${worker.worktree === undefined ? "" : ` (your own git worktree, on branch ${worker.worktree.branch}: commit your work there)`}.`,
    "",
    "## Your task",
    "",
    worker.prompt,
    "",
    "## Asking the human",
    "",
    "Ask, don't guess, when only a human can decide. Run (in your shell tool, with its longest timeout):",
    "",
    `    ${bosun} _ ask "QUESTION" --option KEY:LABEL --option KEY:LABEL --timeout 540`,
    "",
    'It blocks until a human answers and prints one JSON line: the chosen key is its "answer"."answer" (exit 0). Options are optional (without them the answer is free text). Exit 124 means no answer came in time: wait again for the same ask with',
    "",
    `    ${bosun} _ ask --wait ASK_ID --timeout 540`,
    "",
    '(ASK_ID is its "ask"."id"), never by asking the question again.',
    "",
    "## Shared resources",
    "",
    `Before you use something other workers may use too (a port, a database, a deploy slot), claim it: \`${bosun} _ claim RESOURCE --holder ${worker.id}\`; release it when done: \`${bosun} _ unclaim RESOURCE --holder ${worker.id}\`. A claim another holder has is not yours to take.`,
    "",
    "## Messages while you work",
    "",
    `To pass something on to another worker (\`${bosun} _ worker list\` names them): \`${bosun} _ worker tell ID "MESSAGE"\`.`,
    "",
    `A human may send you a message while you work. Between steps, read any that arrived with \`${bosun} _ told\` (it prints them once, as JSON: "tells"[]."text"); what you have not read by the time this call ends reaches you in a follow-up of this same session. Finish what you are doing, and stop when the task is done.`,
    "",
    "## Done",
    "",
    done,
    "",
  ].join("\n");
}

/** The harness with the worker's own model and thinking level. */
function getWorkerHarness(worker: WorkerFile, config: Config): ResolvedHarness {
  const resolved = resolveHarness(worker.harness, config.agents);
  return {
    ...resolved,
    model: worker.model ?? resolved.model,
    thinking: worker.thinking ?? resolved.thinking,
  };
}

function canResume(harness: ResolvedHarness): boolean {
  return harness.spec.resumeArgs !== undefined;
}

/**
 * One agent call of the worker, logged in its folder. No timeout and no silence limit: a worker
 * may wait on a human for hours (its `bosun _ ask` is one silent tool call); telling a stuck one
 * from a waiting one is the pulse's job, from its health (worker-health.ts).
 */
function runAgentCall(
  paths: BosunPaths,
  config: Config,
  worker: WorkerFile,
  harness: ResolvedHarness,
  prompt: string,
  sessionId: string | undefined,
  options: WorkerHostOptions,
): Promise<DispatchResult> {
  return dispatch({
    harness,
    prompt,
    cwd: worker.cwd,
    logDir: getWorkerFiles(paths, worker.id).dir,
    timeoutMs: 0,
    stallTimeoutMs: 0,
    toolCallTimeoutMs: 0,
    repeatedToolFailures: config.dispatch.repeatedToolFailures,
    graceMs: config.dispatch.graceSec * 1000,
    signal: options.signal,
    env: { [WORKER_ID_VAR]: worker.id },
    ...(sessionId === undefined ? {} : { sessionId }),
    prices: config.prices,
  });
}

function addCall(worker: WorkerFile, result: DispatchResult): Partial<WorkerFile> {
  return {
    exitCode: result.exitCode,
    costUsd: Math.round((worker.costUsd + result.costUsd) * 1e6) / 1e6,
    ...(result.sessionId === undefined ? {} : { sessionId: result.sessionId }),
  };
}

async function end(
  update: (change: Partial<WorkerFile>) => Promise<WorkerFile>,
  status: "done" | "failed" | "killed",
  change: Partial<WorkerFile>,
): Promise<WorkerFile> {
  return update({ ...change, status, endedAt: new Date().toISOString() });
}

function createTellPrompt(tells: readonly Tell[]): string {
  return [
    "Messages from the human, sent while you worked:",
    "",
    ...tells.map((tell) => `- (${tell.createdAt}) ${tell.text}`),
    "",
    "Take them into account and carry on with your task; stop when it is done.",
    "",
  ].join("\n");
}

/** How the post-condition ran. */
interface VerifyOutcome {
  exitCode: number | null;
  isTimedOut: boolean;
  outputTail: string;
  terminationReason: string;
}

/** Runs `command` with /bin/sh in the worker's cwd; its output goes to verify.log. */
async function runWorkerVerify(
  paths: BosunPaths,
  config: Config,
  worker: WorkerFile,
  command: string,
  options: WorkerHostOptions,
): Promise<VerifyOutcome> {
  const files = getWorkerFiles(paths, worker.id);
  const result = await runProcess({
    command: "/bin/sh",
    // `exec 2>&1` first, so stderr is merged even if the command ends in a comment.
    args: ["-c", `exec 2>&1\n${command}`],
    cwd: worker.cwd,
    env: { [WORKER_ID_VAR]: worker.id },
    timeoutMs: worker.verifyTimeoutSec * 1000,
    graceMs: config.dispatch.graceSec * 1000,
    signal: options.signal,
    stdoutLogFile: files.verifyLogFile,
    pidFile: files.verifyPidFile,
    isTreeTracked: true,
  });
  return {
    exitCode: result.exitCode,
    isTimedOut: result.terminationReason === "timeout",
    outputTail: result.stdout.split("\n").slice(-VERIFY_TAIL_LINES).join("\n"),
    terminationReason: result.terminationReason,
  };
}
