/**
 * The pulse's gate: each move the brain proposes is sorted by its shape — run it, ask a human
 * first, or block it — before anything acts. Commands on the deny-list are blocked in every
 * mode; irreversible moves (merge, deploy, delete) are always asked; the approval mode and the
 * playbook's `ask-first:` marks decide the rest. The playbook can only add asks, never remove one.
 */
import path from "node:path";
import type { PulseApprovalMode } from "../../store/schema/config-defaults.js";
import { IRREVERSIBLE_ACTIONS, type PulseAction } from "../../store/schema/pulse-decision.js";
import {
  findDeniedCommand,
  findRuntimeCommandName,
  findRuntimeTarget,
  getCommandWords,
  getInnerScript,
  MAX_SCRIPT_DEPTH,
  splitShellSegments,
} from "./deny-list.js";

/** What the gate does with a move. */
export type GateVerdict = "run" | "ask" | "block";

/** The gate's judgement of one move, with why (for the journal and the ask). */
export interface GateResult {
  /** Run it now, ask a human first, or never run it. */
  verdict: GateVerdict;
  /** One line: the rule that decided. */
  reason: string;
}

/** What the gate judges by. */
export interface GatePolicy {
  /** The config's `pulse.approval`. */
  mode: PulseApprovalMode;
  /** The config's `pulse.allow`: commands `run_command` may run unasked, as leading words. */
  allow: readonly string[];
  /** The playbook's `ask-first:` marks (`readPlaybookMarks`). */
  askFirst: readonly string[];
}

/**
 * Characters that make a command line more than one plain command (lists, pipes, redirections,
 * substitutions, variables): an allow-listed prefix followed by one of them is no longer the
 * allow-listed command (`git status; rm -rf build`).
 */
const SHELL_METACHARACTERS = /[;&|<>`$()\n\r\\]/;

/**
 * Options that turn an allow-listed read or test into a write or someone else's code:
 * `git log --output=.bosun/pulse/sensors/x` rewrites an executable the loop runs every beat, and
 * npm passes `--node-options=--require=…` and `--script-shell=…` on to the test script.
 */
const UNSAFE_ALLOWED_OPTION = /^--(?:output|node-options|script-shell)(?:=|$)/;

/** `ask-first: <mark>` on a line of PLAYBOOK.md, maybe as a list item or in backticks. */
const ASK_FIRST_LINE = /^\s*(?:[-*+]\s+)?`?ask-first:\s*(.+?)`?\s*$/i;

/** Sorts one move: run, ask or block. */
export function gateAction(action: PulseAction, policy: GatePolicy): GateResult {
  const blocked = findBlockReason(action);
  if (blocked !== undefined) return { verdict: "block", reason: blocked };
  if (IRREVERSIBLE_ACTIONS.has(action.type))
    return {
      verdict: "ask",
      reason: `${action.type} cannot be undone: never done without a human's approval`,
    };
  const mark = findAskFirstMark(action, policy.askFirst);
  if (mark !== undefined)
    return { verdict: "ask", reason: `the playbook says "ask-first: ${mark}"` };
  switch (action.type) {
    case "noop":
    case "ask":
      return { verdict: "run", reason: `${action.type} changes nothing by itself` };
    case "run_command":
      return gateCommand(action.command, policy);
    case "start_worker": {
      // Its `verify` is a shell command the loop runs once the worker ends: gated as one, the
      // playbook's `run_command` marks included.
      const verifyMark =
        action.verify === undefined ? undefined : findCommandMark(action.verify, policy.askFirst);
      if (verifyMark !== undefined)
        return {
          verdict: "ask",
          reason: `its verify command: the playbook says "ask-first: ${verifyMark}"`,
        };
      const verify =
        action.verify === undefined || policy.mode === "manual"
          ? undefined
          : gateCommand(action.verify, policy);
      return verify !== undefined && verify.verdict !== "run"
        ? { verdict: "ask", reason: `its verify command: ${verify.reason}` }
        : gateReversible(action, policy);
    }
    case "write_sensor": {
      // The loop runs a sensor every beat: the playbook's `run_command` marks cover its script.
      const scriptMark = findCommandMark(action.script, policy.askFirst);
      if (scriptMark !== undefined)
        return {
          verdict: "ask",
          reason: `its script: the playbook says "ask-first: ${scriptMark}"`,
        };
      return policy.mode === "full"
        ? (askRuntimeCommand(action.script) ?? {
            verdict: "run",
            reason: "approval mode full runs new sensors",
          })
        : {
            verdict: "ask",
            reason: `a sensor is a command the loop runs every beat: asked in approval mode ${policy.mode}`,
          };
    }
    default:
      return gateReversible(action, policy);
  }
}

/** A reversible move: asked in manual mode, run otherwise. */
function gateReversible(action: PulseAction, policy: GatePolicy): GateResult {
  return policy.mode === "manual"
    ? { verdict: "ask", reason: "approval mode manual asks before every move" }
    : {
        verdict: "run",
        reason: `${action.type} is reversible: run in approval mode ${policy.mode}`,
      };
}

/** Why a move must never run: a denied command in any of its fields, or a delete out of bounds. */
function findBlockReason(action: PulseAction): string | undefined {
  for (const [field, text] of getCommandFields(action)) {
    const denied = findDeniedCommand(text);
    if (denied !== undefined) return `denied command in ${action.type}.${field}: ${denied}`;
  }
  if (action.type === "delete") {
    const problem = findDeleteProblem(action.path);
    if (problem !== undefined) return `delete of ${JSON.stringify(action.path)}: ${problem}`;
  }
  return undefined;
}

/** The fields of a move that hold command text, each one checked against the deny-list. */
function getCommandFields(action: PulseAction): Array<readonly [string, string]> {
  switch (action.type) {
    case "run_command":
      return [["command", action.command]];
    case "deploy":
      return [["command", action.command]];
    case "write_sensor":
      return [["script", action.script]];
    case "start_worker":
      return action.verify === undefined ? [] : [["verify", action.verify]];
    default:
      return [];
  }
}

/**
 * Why a path may not be deleted: it leaves the repository (absolute, `~`, `..`), or it is the
 * repository itself or its `.git`. Judged on the text alone: the brain names paths relative to
 * the repository root.
 */
function findDeleteProblem(target: string): string | undefined {
  if (target.startsWith("~") || target.startsWith("$")) return "outside the repository";
  if (path.posix.isAbsolute(target)) return "an absolute path: outside the repository";
  const normalized = path.posix.normalize(target);
  if (normalized === ".." || normalized.startsWith("../")) return "outside the repository";
  if (normalized === "." || normalized === "./") return "the whole repository";
  if (normalized === ".git" || normalized.startsWith(".git/")) return "git's own history";
  return undefined;
}

/** A `run_command`: run when allow-listed (auto, full) or not denied (full); else asked. */
function gateCommand(command: string, policy: GatePolicy): GateResult {
  if (policy.mode === "manual")
    return { verdict: "ask", reason: "approval mode manual asks before every command" };
  const entry = findAllowEntry(command, policy.allow);
  if (entry !== undefined) return { verdict: "run", reason: `allow-listed ("${entry}")` };
  if (policy.mode === "full")
    return (
      askRuntimeCommand(command) ?? {
        verdict: "run",
        reason: "approval mode full runs any command not on the deny-list",
      }
    );
  return {
    verdict: "ask",
    reason: SHELL_METACHARACTERS.test(command)
      ? "a command line with shell operators is never allow-listed"
      : findUnsafeOption(command) !== undefined
        ? `an allow-listed command with ${findUnsafeOption(command) ?? ""} writes files or runs other code: never allow-listed`
        : "not on the allow-list (pulse.allow)",
  };
}

/**
 * An ask for command text the deny-list cannot judge: a command whose name is made only when it
 * runs (`$(echo sudo) ls`) could be anything, and an `rm -r` or a force-push whose target is made
 * only when it runs (`cd $(…) && rm -rf *`) could hit the root or main, so even approval mode full
 * does not run it unasked.
 */
function askRuntimeCommand(text: string): GateResult | undefined {
  const name = findRuntimeCommandName(text);
  if (name !== undefined)
    return {
      verdict: "ask",
      reason: `the command named ${name} is only known when it runs: the deny-list cannot judge it`,
    };
  const target = findRuntimeTarget(text);
  return target === undefined
    ? undefined
    : {
        verdict: "ask",
        reason: `${target}: its target is only known when it runs: the deny-list cannot judge it`,
      };
}

/** The allow entry whose words lead `command`, when the command is one plain command. */
function findAllowEntry(command: string, allow: readonly string[]): string | undefined {
  if (SHELL_METACHARACTERS.test(command) || findUnsafeOption(command) !== undefined)
    return undefined;
  const words = command.trim().split(/\s+/);
  return allow.find((entry) => {
    const wanted = entry.trim().split(/\s+/);
    return wanted.length > 0 && wanted.every((word, index) => words[index] === word);
  });
}

/** The first word of `command` that is an option no allow-listed command may carry. */
function findUnsafeOption(command: string): string | undefined {
  // Quotes are stripped the way the shell would (`"--output"=x`), so they hide nothing.
  const words = splitShellSegments(command).flatMap((segment) => segment.words);
  return words.find((word) => UNSAFE_ALLOWED_OPTION.test(word))?.split("=")[0];
}

/**
 * The first `ask-first` mark a move matches: its type (`start_run`), or for a command
 * `run_command: <words>`, matched against every simple command in it, so
 * `npm ci && npm publish` matches `run_command: npm publish`. The mark's first word is the
 * command; its other words must follow in order, with anything between them, so options put
 * first (`npm --tag next publish`) do not slip past. Matching too much only asks once more.
 */
function findAskFirstMark(action: PulseAction, marks: readonly string[]): string | undefined {
  return marks.find((mark) => {
    const [type = "", ...rest] = mark.split(":");
    if (type.trim() !== action.type) return false;
    const wanted = rest.join(":").trim().split(/\s+/).filter(Boolean);
    if (wanted.length === 0) return true;
    if (action.type !== "run_command") return false;
    const [wantedName, ...wantedArgs] = wanted;
    return listCommandWords(action.command).some(
      ([name, ...args]) => name === wantedName && isSubsequence(wantedArgs, args),
    );
  });
}

/** The first `run_command` mark that command text run by another move (verify, sensor) meets. */
function findCommandMark(command: string, marks: readonly string[]): string | undefined {
  return findAskFirstMark({ type: "run_command", command, reason: "" }, marks);
}

/**
 * The words of every simple command in `text`, the script of an `sh -c` or `eval` in it read as
 * commands too, so `sh -c "npm publish"` meets the mark `run_command: npm publish`.
 */
function listCommandWords(text: string, depth = 0): string[][] {
  return splitShellSegments(text).flatMap((segment) => {
    const words = getCommandWords(segment);
    const script = depth < MAX_SCRIPT_DEPTH ? getInnerScript(words) : undefined;
    return script === undefined ? [words] : [words, ...listCommandWords(script, depth + 1)];
  });
}

/** True when every word of `wanted` is in `words`, in the same order, maybe with others between. */
function isSubsequence(wanted: readonly string[], words: readonly string[]): boolean {
  let at = 0;
  for (const word of words) if (word === wanted[at]) at += 1;
  return at >= wanted.length;
}

/**
 * The `ask-first:` marks in PLAYBOOK.md: a line `ask-first: start_run` makes every `start_run`
 * wait for a human, and `ask-first: run_command: npm publish` every command running
 * `npm publish`, in every approval mode. A mark may stand anywhere in the file, alone on its
 * line, also as a list item (`- ask-first: merge`) or in backticks.
 */
export function readPlaybookMarks(playbookText: string): string[] {
  const marks: string[] = [];
  for (const line of playbookText.split("\n")) {
    const match = ASK_FIRST_LINE.exec(line);
    if (match?.[1] !== undefined) marks.push(match[1].trim());
  }
  return marks;
}
