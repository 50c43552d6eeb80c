/**
 * A damaged `.bosun/`: each state file replaced by garbage, emptied, truncated, made a
 * directory or a symlink loop; directories made files; stray entries another tool left behind.
 * Each damage is tried with the commands that read that file.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { BadInputCase, Sandbox } from "./bad-inputs.js";
import { replaceWithDir, replaceWithSymlink, truncateToHalf } from "./bad-inputs.js";

/** Ways to damage a file. */
const FILE_DAMAGE: Array<[string, (file: string) => Promise<void>]> = [
  ["garbage", (file) => writeFile(file, "\u0000garbage{{not json")],
  ["empty", (file) => writeFile(file, "")],
  ["truncated", truncateToHalf],
  ["a directory", (file) => replaceWithDir(file)],
  ["a symlink loop", (file) => replaceWithSymlink(file, file)],
  ["valid JSON of the wrong shape", (file) => writeFile(file, "{}\n")],
  ["a list", (file) => writeFile(file, "[]\n")],
  ["null", (file) => writeFile(file, "null\n")],
];

/** The damage tried with `review --resume`, the slowest command. */
const RESUME_DAMAGE = new Set(["garbage", "a directory", "a symlink loop", "a list"]);

/** Every state-file damage with the commands that read the file, and stray entries. */
export function listStateCases(sandbox: Sandbox): BadInputCase[] {
  const bosun = path.join(sandbox.root, ".bosun");
  const runDir = (run: string): string => path.join(bosun, "runs", run);
  const { doneRun, waitingRun, openAsk } = sandbox;
  const resumeWaiting = ["review", "--resume", waitingRun];
  const answerFile = path.join(bosun, "asks", "answers", `${openAsk}.json`);
  const targets: Array<{ file: string; commands: string[][]; mayBeAbsent?: boolean }> = [
    {
      file: path.join(runDir(doneRun), "run.json"),
      commands: [["status", doneRun], ["runs"], ["diff", doneRun], ["--json", "status", doneRun]],
    },
    {
      file: path.join(runDir(waitingRun), "run.json"),
      commands: [["status"], ["runs"], resumeWaiting],
    },
    {
      file: path.join(runDir(doneRun), "events.jsonl"),
      commands: [
        ["log", doneRun],
        ["diff", doneRun, "--round", "1"],
        ["review", "--resume", doneRun],
      ],
    },
    { file: path.join(runDir(waitingRun), "events.jsonl"), commands: [["log"], resumeWaiting] },
    {
      file: path.join(runDir(waitingRun), "tasks", "T-001", "task_card.json"),
      commands: [resumeWaiting],
    },
    {
      file: path.join(bosun, "asks", `${openAsk}.json`),
      commands: [["asks"], ["answer", openAsk, "more", "--no-resume"], resumeWaiting],
    },
    {
      file: answerFile,
      commands: [["asks", "--all"], ["answer", openAsk, "more", "--no-resume"], resumeWaiting],
      mayBeAbsent: true,
    },
    { file: path.join(runDir(waitingRun), "lock"), commands: [resumeWaiting], mayBeAbsent: true },
  ];
  const cases: BadInputCase[] = [];
  for (const { file, commands, mayBeAbsent } of targets) {
    const rel = path.relative(sandbox.root, file);
    for (const [what, damage] of FILE_DAMAGE) {
      if (what === "truncated" && mayBeAbsent === true) continue;
      for (const args of commands) {
        // A journal cut short is what a crash leaves: a resume replays it and redoes the lost
        // steps with real agents (failures.test.ts covers that); here it would only be slow.
        if (what === "truncated" && args[1] === "--resume" && file.endsWith(".jsonl")) continue;
        // A resume reads every file through the same readers: four kinds of damage suffice.
        if (args[1] === "--resume" && !RESUME_DAMAGE.has(what)) continue;
        cases.push({
          name: `${rel} ${what}: ${args.join(" ")}`,
          args,
          setup: async () => {
            // Files that do not exist yet (an answer, a lock) are created for the damage.
            if (mayBeAbsent === true) {
              await mkdir(path.dirname(file), { recursive: true });
              await writeFile(file, "");
            }
            await damage(file);
          },
          exitCode: "any",
          mentions: [[file, rel]],
          ...(args === resumeWaiting ? { resumes: waitingRun } : {}),
        });
      }
    }
  }
  const dirsAsFiles: Array<[string, string[][]]> = [
    [path.join(bosun, "runs"), [["status"], ["runs"], ["log", doneRun], START_ARGS, resumeWaiting]],
    [
      path.join(bosun, "asks"),
      [["asks"], ["answer", openAsk, "more", "--no-resume"], resumeWaiting],
    ],
    [
      path.join(bosun, "asks", "answers"),
      [["asks"], ["answer", openAsk, "more", "--no-resume"], resumeWaiting],
    ],
    [runDir(doneRun), [["status", doneRun], ["runs"], ["log", doneRun]]],
    [path.join(runDir(waitingRun), "tasks"), [resumeWaiting]],
    [bosun, [["status"], ["runs"], ["asks"], START_ARGS]],
  ];
  for (const [dir, commands] of dirsAsFiles) {
    const rel = path.relative(sandbox.root, dir);
    for (const args of commands) {
      cases.push({
        name: `${rel} is a file: ${args.join(" ")}`,
        args,
        setup: async () => {
          await rm(dir, { recursive: true, force: true });
          await writeFile(dir, "not a directory");
        },
        exitCode: "any",
        mentions: [[dir, rel, doneRun]],
        ...(args === resumeWaiting ? { resumes: waitingRun } : {}),
      });
    }
  }
  const strays: Array<[string, "dir" | "file"]> = [
    ["runs/.cache/x", "dir"],
    ["runs/cache", "dir"],
    ["runs/node_modules/pkg", "dir"],
    ["runs/20261122-125012-zzzz", "dir"],
    ["runs/20991231-235959-ffff.bak", "dir"],
    ["runs/stray-file", "file"],
    ["runs/.DS_Store", "file"],
    ["asks/.cache/x", "dir"],
    ["asks/notes.txt", "file"],
    ["asks/answers/.cache", "dir"],
  ];
  for (const [rel, kind] of strays) {
    const abs = path.join(bosun, rel);
    for (const args of [["runs"], ["status"], ["status", doneRun], ["asks"], resumeWaiting]) {
      cases.push({
        name: `stray .bosun/${rel}: ${args.join(" ")}`,
        args,
        setup: () =>
          kind === "dir"
            ? mkdir(abs, { recursive: true }).then(() => undefined)
            : mkdir(path.dirname(abs), { recursive: true }).then(() => writeFile(abs, "x")),
        // A stray entry changes nothing: every command works as without it.
        exitCode: args === resumeWaiting ? 3 : 0,
        mentions: [],
        ...(args === resumeWaiting ? { resumes: waitingRun } : {}),
      });
    }
  }
  return cases;
}

const START_ARGS = [
  "review",
  "--goal",
  "Add a line.",
  "--worker",
  "offline",
  "--reviewer",
  "offline",
];
