#!/usr/bin/env node
/**
 * bosun's offline agent: a real process that plays an OfflineScript step and reports what it
 * does as AgentEvent JSON lines, exactly like an agent CLI would, but with no model behind it.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { getErrorMessage } from "../../errors.js";
import { runProcess } from "../../proc/run-process.js";
import type { AgentEvent } from "../agent-event.js";
import { getPlayMarkerDir, writePlayMarker } from "./play-markers.js";
import {
  createOfflineReport,
  getOfflineDispatch,
  isStepMatch,
  readOfflineScript,
  type OfflineAction,
  type OfflineDispatch,
  type OfflineScript,
  type OfflineStep,
} from "./script.js";

const VERSION = "bosun-offline 1";

function emit(event: AgentEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** Says why the agent cannot play, on stderr and as its final event, so the run shows it. */
function fail(message: string): void {
  process.stderr.write(`${message}\n`);
  emit({ type: "final", text: message, isError: true });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { script: { type: "string" }, version: { type: "boolean" } },
  });
  if (values.version === true) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const scriptFile = values.script ?? process.env["BOSUN_OFFLINE_SCRIPT"];
  if (scriptFile === undefined || scriptFile === "") {
    fail("offline agent: no script; set agents.offline.script in bosun.yaml");
    return 2;
  }
  const parsed = await readOfflineScript(scriptFile);
  if (!parsed.isValid) {
    fail(
      `offline agent: invalid script ${path.resolve(scriptFile)} (agents.offline.script): ${parsed.error}`,
    );
    return 2;
  }
  const dispatch = getOfflineDispatch(process.env);
  const who = dispatch.seat ?? "agent";
  emit({
    type: "session",
    sessionId: `offline-${who}-${dispatch.round}-${process.pid}`,
    model: "offline",
  });
  const step = await findStep(scriptFile, parsed.script, dispatch);
  if (step === undefined) {
    const task = dispatch.taskId === undefined ? "" : ` of task ${dispatch.taskId}`;
    emit({
      type: "final",
      text: `No script step for ${dispatch.seat ?? "?"}${task} round ${dispatch.round} attempt ${dispatch.attempt}.`,
      isError: true,
    });
    return 1;
  }
  for (const action of step.actions) {
    const exitCode = await play(action, dispatch);
    if (exitCode !== undefined) return exitCode;
  }
  emit({
    type: "usage",
    usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
    costUsd: 0,
    isCumulative: true,
  });
  emit({ type: "final", text: `Played ${step.actions.length} actions.`, isError: false });
  return 0;
}

/** The first step that matches the dispatch and, when it has `times`, still has a play left. */
async function findStep(
  scriptFile: string,
  script: OfflineScript,
  dispatch: OfflineDispatch,
): Promise<OfflineStep | undefined> {
  const markerDir = getPlayMarkerDir(scriptFile, script, dispatch.runId);
  for (const [index, step] of script.steps.entries()) {
    if (!isStepMatch(step, dispatch)) continue;
    if (step.times === undefined || (await writePlayMarker(markerDir, index, step.times)))
      return step;
  }
  return undefined;
}

/** Plays one action; returns an exit code to stop early. */
async function play(action: OfflineAction, dispatch: OfflineDispatch): Promise<number | undefined> {
  const cwd = process.cwd();
  // file.edit carries the absolute path, so bosun can tell a write outside the agent's worktree
  // from one inside it (it makes paths inside the cwd relative itself); tool.use keeps the
  // script's words as the human label.
  if ("say" in action) {
    emit({ type: "text", text: action.say });
  } else if ("write" in action) {
    // `${BOSUN_RUN_DIR}` and the like: where bosun asks for a document outside the tree.
    const file = path.resolve(
      cwd,
      action.write.path.replace(
        /\$\{(BOSUN_[A-Z_]+)\}/g,
        (match, name: string) => process.env[name] ?? match,
      ),
    );
    emit({ type: "tool.use", tool: "write", summary: action.write.path });
    const kind = existsSync(file) ? "update" : "add";
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, action.write.content);
    emit({ type: "file.edit", path: file, kind });
  } else if ("replace" in action) {
    const file = path.resolve(cwd, action.replace.path);
    emit({ type: "tool.use", tool: "edit", summary: action.replace.path });
    const text = await readFile(file, "utf8");
    await writeFile(file, text.replace(action.replace.find, action.replace.with));
    emit({ type: "file.edit", path: file, kind: "update" });
  } else if ("delete" in action) {
    const file = path.resolve(cwd, action.delete);
    emit({ type: "tool.use", tool: "delete", summary: action.delete });
    await rm(file, { force: true });
    emit({ type: "file.edit", path: file, kind: "delete" });
  } else if ("run" in action) {
    emit({ type: "tool.use", tool: "shell", summary: action.run });
    // In the agent's own process group, so bosun's group kill (timeout, Ctrl-C) ends the command too.
    const result = await runProcess({
      command: "/bin/sh",
      args: ["-c", action.run],
      cwd,
      isGroupLeader: false,
    });
    emit({
      type: "tool.result",
      isError: result.exitCode !== 0,
      output: result.stdout.slice(-2000),
    });
  } else if ("report" in action) {
    const file = process.env["BOSUN_REPORT_FILE"];
    if (file === undefined || file === "") throw new Error("BOSUN_REPORT_FILE is not set");
    const report = createOfflineReport(action.report, dispatch);
    emit({ type: "tool.use", tool: "write", summary: file });
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  } else if ("sleepMs" in action) {
    await new Promise((resolve) => setTimeout(resolve, action.sleepMs));
  } else if ("emit" in action) {
    process.stdout.write(`${action.emit}\n`);
  } else if ("fail" in action) {
    // As a provider CLI fails: the API's words on stderr and as a fatal error, then a non-zero exit.
    process.stderr.write(`${action.fail.message}\n`);
    emit({ type: "error", message: action.fail.message, isFatal: true });
    emit({ type: "final", text: action.fail.message, isError: true });
    return action.fail.exitCode ?? 1;
  } else {
    return action.exit;
  }
  return undefined;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    emit({ type: "final", text: getErrorMessage(error), isError: true });
    process.exitCode = 1;
  },
);
