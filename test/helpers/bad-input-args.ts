/**
 * Generated bad command lines: numbers for every numeric flag, run and ask ids, harness names,
 * answers, task cards given with --task, unknown options and --root pointing at the wrong thing.
 */
import { rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { makeDir, type BadInputCase, type Sandbox } from "./bad-inputs.js";

const START = ["review", "--goal", "Add a line.", "--worker", "offline", "--reviewer", "offline"];

/** Strings that are not plain decimal digits, or are out of every flag's range. */
const BAD_NUMBERS = [
  "",
  " ",
  "-1",
  "1.5",
  "1e3",
  "0x10",
  "Infinity",
  "NaN",
  "9999999999",
  "99999999999999999999",
  " 3",
  "3 ",
  "+3",
  "３",
  "3abc",
  "abc",
  "1_000",
  "٣",
];

/** Ids that are empty, escape `.bosun/`, or are not there. */
const BAD_IDS = [
  "",
  " ",
  "\t",
  ".",
  "..",
  "../..",
  "../../etc/passwd",
  "/etc/passwd",
  ".cache",
  "a b",
  "a\nb",
  "x".repeat(300),
  "nosuch",
  "*",
];

/** Every numeric flag with every bad number (plus each flag's own out-of-range values). */
export function listFlagCases(sandbox: Sandbox): BadInputCase[] {
  const cases: BadInputCase[] = [];
  const flags: Array<{ flag: string; extra: string[]; args: (value: string) => string[] }> = [
    { flag: "--max-rounds", extra: ["0", "1001"], args: (v) => [...START, "--max-rounds", v] },
    { flag: "--timeout", extra: ["2147484"], args: (v) => [...START, "--timeout", v] },
    {
      flag: "--timeout",
      extra: [],
      args: (v) => ["review", "--resume", sandbox.waitingRun, `--timeout=${v}`],
    },
    { flag: "--round", extra: ["0"], args: (v) => ["diff", sandbox.doneRun, `--round=${v}`] },
  ];
  for (const { flag, extra, args } of flags) {
    for (const value of [...BAD_NUMBERS, ...extra]) {
      cases.push({
        name: `${args(value)[0]} ${flag} ${JSON.stringify(value)}`,
        args: args(value),
        exitCode: 2,
        mentions: [[flag]],
      });
    }
  }
  return cases;
}

/** Run ids for status, log, diff and --resume; ask ids and answers for `bosun answer`. */
export function listIdCases(sandbox: Sandbox): BadInputCase[] {
  const cases: BadInputCase[] = [];
  for (const id of BAD_IDS) {
    const mentions = [JSON.stringify(id), id === "" ? '""' : id];
    for (const args of [
      ["status", id],
      ["log", id],
      ["diff", id],
      ["review", "--resume", id],
    ]) {
      cases.push({ name: `${args.join(" ")}`, args, exitCode: 2, mentions: [mentions] });
    }
    cases.push({
      name: `answer ${JSON.stringify(id)} more`,
      args: ["answer", id, "more", "--no-resume"],
      exitCode: 2,
      mentions: [[...mentions, "<ask>"]],
    });
  }
  // A prefix both runs share is ambiguous.
  cases.push({ name: "status 20", args: ["status", "20"], exitCode: 2, mentions: [['"20"']] });
  for (const answer of ["", " ", "maybe", "accept all", "more more", "\u0000"]) {
    cases.push({
      name: `answer <open ask> ${JSON.stringify(answer)}`,
      args: ["answer", sandbox.openAsk, answer, "--no-resume"],
      exitCode: 2,
      mentions: [[sandbox.openAsk]],
    });
  }
  for (const name of [
    "abc",
    "",
    "   ",
    "../x",
    "CLAUDE",
    "constructor",
    "toString",
    "__proto__",
    "custom",
  ]) {
    for (const flag of ["--worker", "--reviewer"]) {
      cases.push({
        name: `review ${flag} ${JSON.stringify(name)}`,
        args: [...START, flag, name],
        exitCode: 2,
        mentions: [[flag]],
      });
      cases.push({
        name: `review --resume ${flag} ${JSON.stringify(name)}`,
        args: ["review", "--resume", sandbox.waitingRun, flag, name],
        exitCode: 2,
        mentions: [[flag]],
      });
    }
  }
  for (const [args, mention] of [
    [["review", "--bogus"], "--bogus"],
    [["status", "--bogus"], "--bogus"],
    [["answer"], "missing required argument 'ask'"],
    [["answer", sandbox.openAsk], "missing required argument 'answer'"],
    [["review", "--task"], "--task"],
    [["nosuchcommand"], "nosuchcommand"],
  ] as const) {
    cases.push({ name: args.join(" "), args: [...args], exitCode: 2, mentions: [[mention]] });
  }
  return cases;
}

/** Task cards given with --task: garbage, wrong shapes, unsafe ids, directories, loops. */
export function listTaskCardCases(sandbox: Sandbox): BadInputCase[] {
  const card = (fields: Record<string, unknown>): string =>
    JSON.stringify({ task_id: "T-9", goal: "Do it", ...fields });
  const bodies: Array<[string, string]> = [
    ["garbage", "garbage"],
    ["empty", ""],
    ["null", "null"],
    ["a list", "[]"],
    ["an empty object", "{}"],
    ["a string", '"task"'],
    ["truncated", card({}).slice(0, 20)],
    ["no goal", JSON.stringify({ task_id: "T-9" })],
    ["an empty goal", card({ goal: "" })],
    ["a task_id with a slash", card({ task_id: "../../x" })],
    ["a task_id with a space", card({ task_id: "a b" })],
    ["an empty task_id", card({ task_id: "" })],
    ["a task_id of 129 letters", card({ task_id: "x".repeat(129) })],
    ["a numeric task_id", card({ task_id: 7 })],
    ["in_scope not a list", card({ in_scope: "src" })],
    ["in_scope of numbers", card({ in_scope: [1, 2] })],
    ["a byte-order mark", `\ufeff${card({})}`],
    ["deep nesting", `${"[".repeat(100_000)}${"]".repeat(100_000)}`],
  ];
  const cases: BadInputCase[] = bodies.map(([what, body], index) => {
    const file = path.join(sandbox.inputs, `card-${index}.json`);
    return {
      name: `--task with ${what}`,
      args: ["review", "--task", file, "--worker", "offline", "--reviewer", "offline"],
      setup: () => writeFile(file, body),
      exitCode: 2,
      mentions: [[file, path.relative(sandbox.root, file)]],
    };
  });
  const missing = path.join(sandbox.inputs, "no-such-card.json");
  const dir = path.join(sandbox.inputs, "card-dir.json");
  const loop = path.join(sandbox.inputs, "card-loop.json");
  const dangling = path.join(sandbox.inputs, "card-dangling.json");
  const setups: Array<[string, string, () => Promise<void>]> = [
    ["a missing file", missing, () => rm(missing, { force: true })],
    ["a directory", dir, () => makeDir(dir)],
    ["a symlink loop", loop, () => rm(loop, { force: true }).then(() => symlink(loop, loop))],
    [
      "a dangling symlink",
      dangling,
      () => rm(dangling, { force: true }).then(() => symlink(`${dangling}.gone`, dangling)),
    ],
  ];
  for (const [what, file, setup] of setups) {
    cases.push({
      name: `--task with ${what}`,
      args: ["review", "--task", file, "--worker", "offline", "--reviewer", "offline"],
      setup,
      exitCode: 2,
      mentions: [[file]],
    });
  }
  cases.push({
    name: "--task ''",
    args: ["review", "--task", "", "--worker", "offline"],
    exitCode: 2,
    mentions: [["--task"]],
  });
  return cases;
}

/** --root at something that is not a repository directory. */
export function listRootCases(sandbox: Sandbox): Array<BadInputCase & { root: string }> {
  const file = path.join(sandbox.inputs, "root-is-a-file");
  const loop = path.join(sandbox.inputs, "root-loop");
  const cases: Array<BadInputCase & { root: string }> = [];
  for (const args of [["status"], ["runs"], ["asks"], ["answer", "ask-1", "more"], START]) {
    cases.push({
      name: `--root a file: ${args[0] ?? ""}`,
      root: file,
      args,
      setup: () => writeFile(file, "x"),
      exitCode: "refuse",
      mentions: [[file]],
    });
    cases.push({
      name: `--root a symlink loop: ${args[0] ?? ""}`,
      root: loop,
      args,
      setup: () => rm(loop, { force: true }).then(() => symlink(loop, loop)),
      exitCode: "refuse",
      mentions: [[loop]],
    });
  }
  return cases;
}
