/** `bosun init`: bosun.yaml with commented defaults, .bosun/ with editable prompt templates and an example task card. */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { HARNESS_NAMES } from "../../agents/harnesses.js";
import { BUILTIN_TEMPLATES } from "../../flows/templates.js";
import { MAX_ROUNDS, MAX_TIMER_SEC } from "../../store/limits.js";
import { AgentOverrideSchema } from "../../store/schema/config.js";
import { excludeBosunDir } from "../../workspace/git.js";
import { isNodeError } from "../../errors.js";
import type { CliContext } from "../context.js";
import { color, printJson } from "../format.js";

const PARSER_NAMES = AgentOverrideSchema.shape.parser.unwrap().options.join(" | ");

/**
 * The bosun.yaml `bosun init` writes: every key, with its default or an example. Commented
 * examples are valid YAML once their "# " is removed (a test checks that and that no key of
 * WrittenConfigSchema is missing, so this cannot drift from the schema).
 */
export const WORKSPACE_CONFIG_TEMPLATE = `# bosun workspace config. Every key is optional; the values shown are the defaults.
# The global file ~/.config/bosun/config.yaml (or $BOSUN_HOME/config.yaml) is read first; this file wins.
# "bosun config" shows the resolved values and where each came from; "bosun validate" checks this file.
version: 1

review:
  worker: claude        # ${HARNESS_NAMES.join(" | ")}
  reviewer: codex       # a different vendor than the worker makes a more independent review
  maxRounds: 3          # rounds before the run asks a human (bosun asks / bosun answer); 1 to ${MAX_ROUNDS}
#   verify: "npm test"  # shell command that must pass after each worker round ("" for none); unset,
                        # bosun review runs none and bosun run the test command bosun learn finds

# pipeline:             # bosun pipeline's defaults (autoloop's runtime: keys; README: "bosun pipeline")
#   pairs: [plan, implement, test, audit]   # any of them, in this order ("plan,implement" works too)
#   maxIterations: 15   # iterations a pair may take before the run fails; 1 to ${MAX_ROUNDS}
#   phaseMode: multi    # multi: implement and test per phase | single: once over the whole plan
#   intentMode: preserve  # a task's next run: preserve | replace | append its request
#   producer: claude    # "" picks the first installed harness
#   verifier: codex     # "" picks a different installed one
#   verify: "npm test"  # the gate of the implement and test pairs
#   fullAutoAnswers: false  # a model answers verifiers' questions instead of a human
#   noGit: false        # no checkpoints or diffs (a folder that is not a repository)
#   followup: true      # gaps the audit finds start a follow-up run
#   followupDepth: 3    # follow-ups of follow-ups at most

# Seconds are whole or fractional, at most ${MAX_TIMER_SEC} (about 24 days, the longest a timer can wait).
dispatch:
  timeoutSec: 1800      # per agent run; its whole process group is killed at the limit (0 = none)
  retries: 2            # for transient failures only (rate limits, 5xx, network)
  retryBaseSec: 5       # first retry delay, doubled each time...
  retryCapSec: 60       # ...up to this
  graceSec: 5           # between SIGTERM and SIGKILL
  stallTimeoutSec: 300  # an agent silent this long (no tool call open) is stalled: killed and retried (0 = off)
  toolCallTimeoutSec: 900  # one tool call open this long is stalled too (0 = off)
  repeatedToolFailures: 4  # the same tool call failing this many times in a row is stalled too (0 = off)

# agents:               # per-harness overrides, by harness name; secrets never go here (use env vars)
#   claude:
#     command: claude   # the binary: a name on PATH or an absolute path
#     model: claude-sonnet-4-5
#     thinking: high    # passed with the harness's thinking/effort flag
#     args: ["--max-turns", "40"]       # appended to the headless command
#     env: { CLAUDE_CODE_MAX_OUTPUT_TOKENS: "16000" }   # non-secret environment for this agent
#   codex:
#     model: gpt-5.5
#     thinking: high
#   offline:            # bosun's model-free scripted agent (README: "Offline agent scripts")
#     script: .bosun/offline-script.json  # relative paths are from the repository root
#   mytool:             # a custom harness: any CLI, as a command template ({{prompt_file}}, {{model}}, {{thinking}})
#     template: "mytool run --file {{prompt_file}} --model {{model}}"
#     parser: plain     # ${PARSER_NAMES}

# team:                 # who plays each role ("bosun roles" lists them; docs/roles/<id>.md replaces a prompt)
#   backend:
#     harness: codex    # any harness above, or one defined under agents:
#     model: gpt-5.5
#     thinking: high
#     paths: [src/server, migrations]   # what the role owns, relative to the repository root

# worktree:             # each team task's worktree (bosun run), set up before its first round
#   setup: "npm ci"     # shell command run in a new worktree ("" for none)
#   copy: [.env]        # files git ignores, copied from your checkout into each worktree

# notify:               # a command told about each event below, with it as JSON on stdin (README: "Notifications")
#   command: "ntfy publish bosun"   # a shell command line, or an argv list: [notify-send, bosun]; "" for none
#   on: [ask.opened, run.finished, budget.exhausted, budget.near]   # budget.near: 80% of a run's budget spent
#   timeoutSec: 30      # the command is killed after this long; its failures are warnings, never fatal

# pulse:                # the autonomous loop, bosun pulse (README: "The pulse")
#   brain: claude       # the harness deciding each move, one headless call per decision
#   brainModel: ""      # its model ("" for the harness's default)
#   worker: claude      # the harness of workers it starts
#   approval: auto      # manual: ask before every move; auto: ask before destructive ones; full: only before merge/deploy/delete
#   intervalSec: 300    # seconds between beats (a change in .bosun/pulse/, an answer or a finished run wakes it sooner)
#   noopTtlSec: 3600    # an unchanged world is decided again after this long (0: never)
#   maxActions: 1       # moves per decision, 1 to 8
#   allow: ["npm test", "git status"]   # commands it may run without asking (leading words; no ; | && or redirects)
#   brainCallsPerHour: 20
#   budgetUsdPerDay: 5  # 0: no cap
#   sensorTimeoutSec: 10   # each sensor is killed after this long
#   workerStuckSec: 600    # a worker silent this long is stuck

# prices:               # USD per million tokens, for CLIs that report tokens but not cost (Codex)
#   gpt-5.5: { inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10 }
`;

const EXAMPLE_TASK = {
  task_id: "T-001",
  goal: "Add a --help flag to the CLI that prints usage and exits 0",
  in_scope: ["src/cli.js"],
  out_of_scope: ["changing other flags"],
  acceptance_criteria: ["bosun --help prints usage", "exit code is 0", "tests cover it"],
  constraints: ["no new dependencies"],
};

/** Creates the files; existing ones are kept unless --force. */
export async function runInit(ctx: CliContext, options: { force?: boolean }): Promise<number> {
  const paths = await ctx.getPaths();
  const files: Array<[string, string]> = [
    [paths.workspaceConfigFile, WORKSPACE_CONFIG_TEMPLATE],
    [path.join(paths.templatesDir, "worker.md"), BUILTIN_TEMPLATES.worker],
    [path.join(paths.templatesDir, "reviewer.md"), BUILTIN_TEMPLATES.reviewer],
    [
      path.join(paths.bosunDir, "examples", "task_card.json"),
      `${JSON.stringify(EXAMPLE_TASK, null, 2)}\n`,
    ],
  ];
  const created: string[] = [];
  const kept: string[] = [];
  for (const [file, text] of files) {
    await mkdir(path.dirname(file), { recursive: true });
    try {
      await writeFile(file, text, { flag: options.force === true ? "w" : "wx" });
      created.push(path.relative(paths.root, file));
    } catch (error) {
      if (!(isNodeError(error) && error.code === "EEXIST")) throw error;
      kept.push(path.relative(paths.root, file));
    }
  }
  await mkdir(paths.runsDir, { recursive: true });
  await mkdir(paths.asksDir, { recursive: true });
  // bosun's state is never committed; keep it out of `git status` from the start.
  await excludeBosunDir(paths.root);
  if (ctx.isJson) {
    printJson({ root: paths.root, created, kept });
    return 0;
  }
  for (const file of created) process.stdout.write(`${color.green("created")} ${file}\n`);
  for (const file of kept)
    process.stdout.write(`${color.dim("kept")}    ${file} (exists; --force to overwrite)\n`);
  process.stdout.write(
    `\nNext: edit bosun.yaml and commit it (bosun starts on a clean tree), then run\n  bosun review --task .bosun/examples/task_card.json --verify "npm test"\n`,
  );
  return 0;
}
