/**
 * Generators of bad input for every external input bosun reads: config files (from the
 * config schema itself, so a new key is covered the day it is added), CLI flags and ids, task
 * cards, answers, and a damaged `.bosun/`. Each case says what bosun must name when it refuses.
 */
import { mkdir, rm, symlink, truncate, writeFile, readFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import { z } from "zod";
import { WrittenConfigSchema } from "../../src/store/schema/config.js";

/** The repository a case runs against: a finished run, a run waiting on a human, its ask. */
export interface Sandbox {
  /** Repository root. */
  root: string;
  /** BOSUN_HOME (and HOME) of every call. */
  home: string;
  /** A directory outside the repo for task cards and other input files. */
  inputs: string;
  /** The workspace bosun.yaml. */
  workspaceConfig: string;
  /** The global config file ($BOSUN_HOME/config.yaml). */
  globalConfig: string;
  /** A succeeded run. */
  doneRun: string;
  /** A needs_human run. */
  waitingRun: string;
  /** The waiting run's open ask. */
  openAsk: string;
}

/** One generated case. */
export interface BadInputCase {
  /** What is being tried, shown when it fails. */
  name: string;
  /** Arguments after `--root <root>`. */
  args: string[];
  /** Damages the sandbox before the call (the harness undoes it afterwards). */
  setup?: () => Promise<void>;
  /** Extra env for the call. */
  env?: Record<string, string>;
  /** The exit code bosun must give; "refuse" means any failure (not 0, never 70). */
  exitCode: number | "refuse" | "any";
  /**
   * When bosun refuses, its output must name the input at fault: every group must be met, a
   * group by any one of its strings (say, the file's absolute or relative path).
   */
  mentions: string[][];
  /** `validate --json`: stdout must be `{ isValid: false, errors }` with an error for this file. */
  jsonErrorFile?: string;
  /** A run whose events.jsonl may only grow and whose run.json may be rebuilt (a valid resume). */
  resumes?: string;
}

const START = ["review", "--goal", "Add a line.", "--worker", "offline", "--reviewer", "offline"];

// ---------------------------------------------------------------------------------------------
// Config files

/** A leaf of the config schema with a sample path (record keys filled in) and its schema. */
interface ConfigLeaf {
  path: string[];
  schema: z.ZodType;
}

/** Record keys used to reach inside `agents` and `prices`. */
const SAMPLE_RECORD_KEYS: Record<string, string> = { agents: "claude", prices: "gpt-5.5" };

/** Values tried at every leaf; only those the leaf's schema refuses become cases. */
const CANDIDATE_VALUES: unknown[] = [
  "x",
  "",
  "   ",
  -1,
  1.5,
  1001,
  2147484,
  1e10,
  Infinity,
  NaN,
  true,
  null,
  [],
  { A: 1 },
];

/** Every node of the config schema (objects and records included, as their own leaves). */
export function listConfigLeaves(
  schema: unknown = WrittenConfigSchema,
  at: string[] = [],
): ConfigLeaf[] {
  if (!(schema instanceof z.ZodType)) return [];
  let inner: unknown = schema;
  while (inner instanceof z.ZodOptional) inner = inner.unwrap();
  const leaves: ConfigLeaf[] = at.length === 0 ? [] : [{ path: at, schema }];
  if (inner instanceof z.ZodObject) {
    const shape: Record<string, unknown> = inner.shape;
    for (const [key, child] of Object.entries(shape))
      leaves.push(...listConfigLeaves(child, [...at, key]));
  } else if (inner instanceof z.ZodRecord && at.length === 1) {
    const sample = SAMPLE_RECORD_KEYS[at[0] ?? ""] ?? "sample";
    leaves.push(...listConfigLeaves(inner.valueType, [...at, sample]));
  }
  return leaves;
}

/**
 * The candidates a leaf refuses, one of each kind (a string, a list, …) except for numeric
 * leaves, which get every refused number: each of -1, 1.5, 1001, 2147484, 1e10 and Infinity
 * breaks a different rule there.
 */
function pickRefusedValues(schema: z.ZodType): unknown[] {
  const refused = CANDIDATE_VALUES.filter((value) => !schema.safeParse(value).success);
  const isNumeric = schema.safeParse(1).success || schema.safeParse(0.5).success;
  const seen = new Set<string>();
  return refused.filter((value) => {
    const kind = Array.isArray(value) ? "list" : value === null ? "null" : typeof value;
    if (isNumeric && kind === "number") return true;
    if (seen.has(kind)) return false;
    seen.add(kind);
    return true;
  });
}

/** A config document with `value` at `where`. */
function nest(where: readonly string[], value: unknown): unknown {
  return where.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

/** Bad documents for a config file: YAML, aliases, unknown keys, every refused leaf value, blanks. */
export function listBadConfigTexts(): Array<{ what: string; text: string; key?: string }> {
  const texts: Array<{ what: string; text: string; key?: string }> = [
    { what: "an unclosed flow sequence", text: "review:\n  worker: [claude\n" },
    { what: "a tab indent", text: "review:\n\tworker: codex\n" },
    { what: "an unterminated string", text: 'review:\n  verify: "npm test\n' },
    { what: "two documents", text: "review: {}\n---\ndispatch: {}\n" },
    { what: "a duplicate key", text: "review:\n  maxRounds: 2\n  maxRounds: 3\n" },
    { what: "a bad indent", text: "review:\n  worker: claude\n worker: codex\n" },
    { what: "binary garbage", text: "\u0000\u0001\u0002garbage\u00ff{{" },
    { what: "a bare list", text: "- review\n- dispatch\n" },
    { what: "a bare number", text: "42\n" },
    { what: "a bare string", text: "just some words\n" },
    { what: "a binary tag", text: "review: !!binary aGk=\n" },
    { what: "an alias to no anchor", text: "review: *nothere\n" },
    { what: "a self-referencing alias", text: "review: &r\n  worker: *r\n", key: "review.worker" },
    {
      what: "an alias bomb",
      text: [
        "a: &a [x, x, x, x, x, x, x, x, x, x]",
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
        "review: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
        "",
      ].join("\n"),
    },
    { what: "an unknown top-level key", text: "zzz: 1\n", key: "zzz" },
    { what: "a __proto__ key", text: "review:\n  __proto__:\n    worker: 1\n", key: "review" },
    {
      what: "an undefined custom harness",
      text: "review:\n  worker: custom\n",
      key: "review.worker",
    },
    {
      what: "an agent that is no harness",
      text: "agents:\n  clade:\n    model: opus\n",
      key: "agents.clade",
    },
  ];
  for (const name of ["", "   ", "abc", "../x", "constructor", "CLAUDE"]) {
    for (const seat of ["worker", "reviewer"]) {
      texts.push({
        what: `review.${seat} ${JSON.stringify(name)}`,
        text: stringify({ review: { [seat]: name } }),
        key: `review.${seat}`,
      });
    }
  }
  for (const leaf of listConfigLeaves()) {
    const key = leaf.path.join(".");
    for (const value of pickRefusedValues(leaf.schema)) {
      texts.push({
        what: `${key}: ${JSON.stringify(value) ?? String(value)}`,
        text: stringify(nest(leaf.path, value)),
        key,
      });
    }
    // An unknown key beside every known one: a typo (the key minus its last letter).
    const parent = leaf.path.slice(0, -1);
    const typo = leaf.path.at(-1)?.slice(0, -1) ?? "";
    if (typo.length > 1 && !/^[A-Z]/.test(typo))
      texts.push({
        what: `typo ${[...parent, typo].join(".")}`,
        text: stringify(nest([...parent, typo], 1)),
        key: [...parent, typo].join("."),
      });
  }
  return texts;
}

/** Config cases for one file: every bad text, through `validate --json` and a run start. */
export function listConfigCases(
  sandbox: Sandbox,
  which: "workspace" | "global",
  texts = listBadConfigTexts(),
): BadInputCase[] {
  const file = which === "workspace" ? sandbox.workspaceConfig : sandbox.globalConfig;
  const cases: BadInputCase[] = [];
  let count = 0;
  const put = (
    name: string,
    setup: () => Promise<void>,
    key?: string,
    env?: Record<string, string>,
  ): void => {
    const named = env?.["BOSUN_HOME"] ?? file;
    const extra = env === undefined ? {} : { env };
    // validate --json reads the same files the same way: every fourth text (and each whole-file
    // problem) checks its JSON.
    if (count++ % 4 === 0 || key === undefined)
      cases.push({
        name: `${name} / validate --json`,
        args: ["--json", "validate"],
        setup,
        exitCode: 2,
        mentions: [],
        jsonErrorFile: env === undefined ? file : path.join(named, "config.yaml"),
        ...extra,
      });
    cases.push({
      name: `${name} / review`,
      args: START,
      setup,
      exitCode: 2,
      mentions: key === undefined ? [[named]] : [[named], [`${key}:`, `${key}.`]],
      ...extra,
    });
  };
  for (const { what, text, key } of texts)
    put(`${which} config: ${what}`, () => writeFile(file, text), key);
  put(`${which} config: a directory`, () => replaceWithDir(file));
  put(`${which} config: a symlink loop`, () => replaceWithSymlink(file, file));
  if (which === "global") {
    const homeFile = path.join(sandbox.inputs, "home-is-a-file");
    put("BOSUN_HOME is a file", () => writeFile(homeFile, "x"), undefined, {
      BOSUN_HOME: homeFile,
    });
  }
  return cases;
}

/** The offline agent's script: unset, missing, a directory, garbage, invalid. */
export function listOfflineScriptCases(sandbox: Sandbox): BadInputCase[] {
  const script = path.join(sandbox.inputs, "script.json");
  const useScript = (setup: () => Promise<void>) => async () => {
    await rm(script, { recursive: true, force: true });
    await setup();
    await writeFile(sandbox.workspaceConfig, stringify({ agents: { offline: { script } } }));
  };
  const bodies: Array<[string, string]> = [
    ["garbage", "garbage"],
    ["empty", ""],
    ["null", "null"],
    ["version 2", '{"version": 2, "steps": []}'],
    ["a bad action", '{"version": 1, "steps": [{"actions": [{"explode": true}]}]}'],
    ["steps not a list", '{"version": 1, "steps": {}}'],
  ];
  const cases: BadInputCase[] = bodies.map(([what, body]) => ({
    name: `offline script: ${what}`,
    args: START,
    setup: useScript(() => writeFile(script, body)),
    exitCode: 2,
    mentions: [["agents.offline.script"]],
  }));
  cases.push(
    {
      name: "offline script: missing",
      args: START,
      setup: useScript(() => rm(script, { force: true })),
      exitCode: 2,
      mentions: [["agents.offline.script"]],
    },
    {
      name: "offline script: a directory",
      args: START,
      setup: useScript(() => makeDir(script)),
      exitCode: 2,
      mentions: [["agents.offline.script"]],
    },
    {
      name: "offline script: not set",
      args: START,
      setup: () => writeFile(sandbox.workspaceConfig, "dispatch:\n  retries: 0\n"),
      exitCode: 2,
      mentions: [["agents.offline.script"]],
    },
  );
  return cases;
}

/** Replaces `file` with a directory holding one file. */
export async function replaceWithDir(file: string): Promise<void> {
  await rm(file, { recursive: true, force: true });
  await mkdir(file, { recursive: true });
  await writeFile(path.join(file, "inside"), "x");
}

/** Creates a directory (and its parents). */
export async function makeDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}

/** Replaces `file` with a symlink to `target` (itself: a loop). */
export async function replaceWithSymlink(file: string, target: string): Promise<void> {
  await rm(file, { recursive: true, force: true });
  await symlink(target, file);
}

/** The first half of a file's bytes. */
export async function truncateToHalf(file: string): Promise<void> {
  const size = (await readFile(file)).length;
  await truncate(file, Math.floor(size / 2));
}

/** A report file an agent leaves: its contents, or a shell line that damages the path. */
export interface BadReport {
  /** What is wrong with it. */
  what: string;
  /** Which role writes it. */
  role: "worker" | "reviewer";
  /** File contents ("TASK" and "ROUND" are replaced with the dispatch's), or a shell command. */
  body: { text: string } | { shell: string };
}

const GOOD_WORK =
  '{"task_id":"TASK","round":ROUND,"files_changed":["work.txt"],"notes":"","tests":[]}';

/** Bad work reports and review reports, as agents leave them. */
export function listBadReports(): BadReport[] {
  const reports: BadReport[] = [];
  const texts: Array<[string, string]> = [
    ["garbage", "garbage"],
    ["another task's", GOOD_WORK.replace('"TASK"', '"T-999"')],
  ];
  for (const [what, text] of texts) reports.push({ what, role: "worker", body: { text } });
  reports.push(
    { what: "a directory", role: "worker", body: { shell: 'mkdir -p "$BOSUN_REPORT_FILE/x"' } },
    {
      what: "a symlink loop",
      role: "worker",
      body: { shell: 'ln -s "$BOSUN_REPORT_FILE" "$BOSUN_REPORT_FILE"' },
    },
    { what: "garbage", role: "reviewer", body: { text: "garbage" } },
    { what: "a directory", role: "reviewer", body: { shell: 'mkdir -p "$BOSUN_REPORT_FILE"' } },
  );
  return reports;
}

/**
 * A fake agent (a shell script, fast to start) for a custom harness: the worker changes
 * work.txt; each role writes `$BAD_REPORT_DIR/<role>` as its report (TASK and ROUND filled in),
 * or runs `$BAD_REPORT_DIR/<role>.sh` to leave something else at the report path.
 */
export const REPORT_AGENT_SCRIPT = `#!/bin/sh
if [ "$BOSUN_ROLE" = worker ]; then echo "line $$" >> work.txt; fi
source="$BAD_REPORT_DIR/$BOSUN_ROLE"
if [ -f "$source.sh" ]; then . "$source.sh"
else sed "s/TASK/$BOSUN_TASK_ID/; s/ROUND/$BOSUN_ROUND/" "$source" > "$BOSUN_REPORT_FILE"; fi
echo "done"
`;

/** Writes the reports a case's agents play into `dir` (the other role's report is valid). */
export async function writeReportCase(dir: string, report: BadReport): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const good = {
    worker: GOOD_WORK,
    reviewer:
      '{"task_id":"TASK","round":ROUND,"decision":"approve","blocking_issues":[],"non_blocking_suggestions":[]}',
  };
  for (const role of ["worker", "reviewer"] as const) {
    if (role !== report.role) await writeFile(path.join(dir, role), good[role]);
    else if ("text" in report.body) await writeFile(path.join(dir, role), report.body.text);
    else await writeFile(path.join(dir, `${role}.sh`), report.body.shell);
  }
}
