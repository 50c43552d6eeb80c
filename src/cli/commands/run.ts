/**
 * `bosun run "<goal>"`: a planned team of agents. A dry run by default — it prints the roles, the
 * planner's prompt, the exact agent commands and the budget, and launches nothing; `--execute`
 * runs it; `--resume RUN` continues one, with new limits (parallelism, budgets, timeout, repairs)
 * when they are given.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { buildHeadlessArgv, resolveHarness } from "../../agents/harnesses.js";
import { checkHarnessFlag } from "../../agents/config-check.js";
import { UsageError, getErrorMessage } from "../../errors.js";
import { MAX_PLAN_TASKS } from "../../store/plan-check.js";
import { readIntelligence } from "../../store/intelligence-file.js";
import { resolveRunId } from "../../store/run-read.js";
import type { ResolvedConfig } from "../../store/config.js";
import type { Config } from "../../store/schema/config.js";
import type { TeamOptions } from "../../store/schema/run-options.js";
import type { TeamRun } from "../../store/schema/run.js";
import { listRoles } from "../../flows/team/roles.js";
import { RESERVED_TASK_IDS, getIntegrationBranch } from "../../flows/team/team-context.js";
import {
  PLANNER_TEMPLATE,
  formatIntelligence,
  renderTeamPrompt,
} from "../../flows/team/team-prompts.js";
import {
  resumeTeamRun,
  startTeamRun,
  type TeamOptionOverrides,
  type TeamOutcome,
} from "../../flows/team/team-run.js";
import { runGit } from "../../workspace/git.js";
import { getTestCommand, scanRepo } from "../../workspace/intelligence.js";
import type { CliContext } from "../context.js";
import { getExitCode } from "../exit-code.js";
import { formatUsd, printJson } from "../format.js";
import { subscribePrinter, formatStatus } from "../printer.js";
import { checkHarnessesInstalled } from "./review.js";

/** Default tasks at once. */
export const DEFAULT_MAX_PARALLEL = 3;
/** Default repair rounds after the first before a task escalates. */
export const DEFAULT_MAX_REPAIRS = 2;

/** Flags of `bosun run`. */
export interface RunFlags {
  goalFile?: string;
  execute?: boolean;
  maxParallel?: number;
  budgetUsd?: number;
  taskBudgetUsd?: number;
  gatePlan?: boolean;
  resume?: string;
  mergeTo?: string;
  planner?: string;
  worker?: string;
  critic?: string;
  verify?: string;
  maxRepairs?: number;
  timeout?: number;
}

/** Runs the command; exit 0 succeeded (or a dry run), 1 failed, 3 needs a human, 4 budget, 130 stopped. */
export async function runTeam(
  ctx: CliContext,
  goalArg: string | undefined,
  flags: RunFlags,
): Promise<number> {
  const paths = await ctx.getPaths();
  const resolved = await ctx.getConfig();
  const { config } = resolved;
  const onEvent = subscribePrinter(ctx, { showTaskIds: true });
  if (flags.resume !== undefined) {
    if (goalArg !== undefined || flags.goalFile !== undefined)
      throw new UsageError(
        "--resume continues a run with its own goal; do not pass a goal with it (to work on another goal, start a new run).",
      );
    checkFixedFlags(flags, flags.resume);
    const runId = await resolveRunId(paths, flags.resume);
    const outcome = await resumeTeamRun({
      paths,
      config,
      runId,
      overrides: getResumeOverrides(flags),
      signal: ctx.signal,
      onEvent,
    });
    return reportTeamOutcome(ctx, outcome);
  }
  for (const [flag, value] of [
    ["--planner", flags.planner],
    ["--worker", flags.worker],
    ["--critic", flags.critic],
  ] as const)
    if (value !== undefined) checkHarnessFlag(flag, value, config.agents);
  const goal = await readGoal(goalArg, flags.goalFile);
  const verify = await chooseVerify(flags, resolved, paths.root);
  const teamOptions = createTeamOptions(flags, config, verify);
  if (flags.execute !== true) return printDryRun(ctx, goal, teamOptions, config, verify);
  if (verify.isFound && !ctx.isJson)
    process.stderr.write(
      `Tests: ${formatTests(verify)}.${config.worktree.setup === "" ? `\n${SETUP_HINT}.` : ""}\n`,
    );
  await checkHarnessesInstalled(
    [
      teamOptions.planner,
      teamOptions.worker,
      teamOptions.critic,
      ...Object.values(config.team).flatMap((m) => (m.harness === undefined ? [] : [m.harness])),
    ],
    resolved,
    paths,
  );
  const outcome = await startTeamRun({
    paths,
    config,
    goal,
    title: goal.split("\n")[0]?.slice(0, 120) ?? "team run",
    teamOptions,
    signal: ctx.signal,
    onEvent,
  });
  return reportTeamOutcome(ctx, outcome);
}

/**
 * The flags a run is planned and staffed with: the plan was made for them and the agents were
 * picked with them, so a resumed run keeps them. Given with --resume, they are an error.
 */
const FIXED_FLAGS = [
  ["--planner", "planner"],
  ["--worker", "worker"],
  ["--critic", "critic"],
  ["--verify", "verify"],
  ["--gate-plan", "gatePlan"],
  ["--merge-to", "mergeTo"],
] as const satisfies ReadonlyArray<readonly [string, keyof RunFlags]>;

/** Refuses a flag --resume cannot apply, naming it, rather than dropping it without a word. */
function checkFixedFlags(flags: RunFlags, run: string): void {
  for (const [flag, key] of FIXED_FLAGS) {
    if (flags[key] === undefined) continue;
    throw new UsageError(
      `${flag} cannot change when a run resumes: run ${run} was planned and staffed with its own planner, workers, critic, test command, plan gate and --merge-to, and keeps them. Resume it without ${flag}, or start a new run with it. (--resume may change --max-parallel, --budget-usd, --task-budget-usd, --timeout and --max-repairs.)`,
    );
  }
}

/** The flags given with --resume that change the run from then on (the rest are refused above). */
function getResumeOverrides(flags: RunFlags): TeamOptionOverrides {
  return {
    ...(flags.maxParallel === undefined ? {} : { maxParallel: flags.maxParallel }),
    ...(flags.budgetUsd === undefined ? {} : { budgetUsd: flags.budgetUsd }),
    ...(flags.taskBudgetUsd === undefined ? {} : { taskBudgetUsd: flags.taskBudgetUsd }),
    ...(flags.timeout === undefined ? {} : { timeoutSec: flags.timeout }),
    ...(flags.maxRepairs === undefined ? {} : { maxRepairs: flags.maxRepairs }),
  };
}

async function readGoal(
  goalArg: string | undefined,
  goalFile: string | undefined,
): Promise<string> {
  if (goalArg !== undefined && goalFile !== undefined)
    throw new UsageError(
      'Give the goal once: as an argument ("bosun run \\"…\\"") or with --goal-file, not both.',
    );
  if (goalFile !== undefined) {
    try {
      const text = (await readFile(goalFile, "utf8")).trim();
      if (text === "") throw new UsageError(`The goal file ${goalFile} is empty.`);
      return text;
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(
        `Cannot read the goal file ${goalFile} (--goal-file): ${getErrorMessage(error)}.`,
      );
    }
  }
  if (goalArg === undefined || goalArg.trim() === "")
    throw new UsageError(
      'Give a goal: bosun run "add a /health endpoint with tests" (or --goal-file FILE).',
    );
  return goalArg.trim();
}

/** The run's test command and where it comes from. */
interface VerifyChoice {
  /** The command ("" for none). */
  command: string;
  /** Where it comes from, for a human. */
  source: string;
  /** True when bosun found it in the repository (no --verify, no review.verify). */
  isFound: boolean;
}

/**
 * --verify, else review.verify when a config file sets it, else the test command `bosun learn`
 * finds in the repository (package.json scripts.test, a Makefile's test target, …): a team's
 * work is verified by the project's own tests unless the user says otherwise (--verify "").
 */
async function chooseVerify(
  flags: RunFlags,
  { config, sources }: ResolvedConfig,
  root: string,
): Promise<VerifyChoice> {
  if (flags.verify !== undefined)
    return { command: flags.verify, source: "--verify", isFound: false };
  const configFile = sources["review.verify"] ?? "default";
  if (configFile !== "default")
    return {
      command: config.review.verify,
      source: `review.verify in ${configFile}`,
      isFound: false,
    };
  const test = getTestCommand(await scanRepo(root));
  if (test === undefined) return { command: "", source: "no test command found", isFound: false };
  // The scan reads your files as they are; the run starts from your last commit.
  const file = test.source.split(" ")[0] ?? "";
  const isCommitted = (await runGit(root, ["status", "--porcelain", "--", file])) === "";
  return {
    command: test.command,
    source: `found by bosun learn: ${test.source}${isCommitted ? "" : `; ${file} has changes not committed, and the run starts from your last commit`}`,
    isFound: true,
  };
}

/** Said where the tests may need what git does not hold. */
const SETUP_HINT = `Worktrees hold only what git tracks: if the tests need installed dependencies, set worktree.setup (e.g. "npm ci") in bosun.yaml`;

function createTeamOptions(flags: RunFlags, config: Config, verify: VerifyChoice): TeamOptions {
  const worker = flags.worker ?? config.review.worker;
  const critic = flags.critic ?? config.review.reviewer;
  // The offline and manual agents are no models: the rule is about a model judging its own kind of work.
  if (critic === worker && critic !== "manual" && critic !== "offline")
    throw new UsageError(
      `The critic must run on a different harness than the workers (both are ${critic}): an agent is a poor judge of work like its own. Pass --critic with another harness.`,
    );
  for (const [role, member] of Object.entries(config.team))
    if (member.harness === critic && critic !== "manual" && critic !== "offline")
      throw new UsageError(
        `The critic must run on a different harness than the workers, but role ${role} plays on ${critic} (team.${role}.harness in bosun.yaml). Pass --critic with another harness.`,
      );
  return {
    planner: flags.planner ?? worker,
    worker,
    critic,
    maxParallel: flags.maxParallel ?? DEFAULT_MAX_PARALLEL,
    maxRepairs: flags.maxRepairs ?? DEFAULT_MAX_REPAIRS,
    verify: verify.command,
    ...(verify.isFound ? { isVerifyFound: true } : {}),
    timeoutSec: flags.timeout ?? config.dispatch.timeoutSec,
    stallTimeoutSec: config.dispatch.stallTimeoutSec,
    ...(flags.budgetUsd === undefined ? {} : { budgetUsd: flags.budgetUsd }),
    ...(flags.taskBudgetUsd === undefined ? {} : { taskBudgetUsd: flags.taskBudgetUsd }),
    isPlanGated: flags.gatePlan === true,
    ...(flags.mergeTo === undefined ? {} : { mergeTo: flags.mergeTo }),
  };
}

/** The dry run: what `--execute` would do, launching nothing. */
async function printDryRun(
  ctx: CliContext,
  goal: string,
  options: TeamOptions,
  config: Config,
  verify: VerifyChoice,
): Promise<number> {
  const paths = await ctx.getPaths();
  const roles = await listRoles(paths);
  const reportFile = path.join(paths.runsDir, "<run>", "plan.json");
  const plannerPrompt = renderTeamPrompt(PLANNER_TEMPLATE, {
    goal,
    intelligence: formatIntelligence(await readIntelligence(paths)),
    roles: roles
      .map(
        (role) => `- ${role.id}: ${role.title}${role.summary === "" ? "" : ` — ${role.summary}`}`,
      )
      .join("\n"),
    report_file: reportFile,
    max_tasks: String(MAX_PLAN_TASKS),
    reserved_ids: RESERVED_TASK_IDS.map((id) => `"${id}"`).join(", "),
  });
  const commands = Object.fromEntries(
    (["planner", "worker", "critic"] as const).map((seat) => [
      seat,
      describeCommand(options[seat], config),
    ]),
  );
  const roleHarnesses = Object.fromEntries(
    Object.entries(config.team).map(([role, member]) => [role, member.harness ?? options.worker]),
  );
  const plan = {
    isDryRun: true,
    goal,
    options,
    verifySource: verify.source,
    integrationBranch: getIntegrationBranch("<run>"),
    worktrees: path.join(paths.worktreesDir, "<run>", "<task>"),
    roles: roles.map((role) => ({
      id: role.id,
      title: role.title,
      harness: roleHarnesses[role.id] ?? options.worker,
    })),
    commands,
    plannerPrompt,
  };
  if (ctx.isJson) {
    printJson(plan);
    return 0;
  }
  const budget =
    options.budgetUsd === undefined && options.taskBudgetUsd === undefined
      ? "no cap (set --budget-usd / --task-budget-usd)"
      : `run ${options.budgetUsd === undefined ? "no cap" : formatUsd(options.budgetUsd)} · each task ${options.taskBudgetUsd === undefined ? "no cap" : formatUsd(options.taskBudgetUsd)} (reserved before every dispatch)`;
  const lines = [
    "Dry run: nothing is launched. Add --execute to run it.",
    "",
    `goal       ${goal.split("\n")[0] ?? ""}`,
    `agents     planner ${options.planner} · workers ${options.worker}${
      Object.keys(roleHarnesses).length === 0
        ? ""
        : ` (team: ${Object.entries(roleHarnesses)
            .map(([r, h]) => `${r}=${h}`)
            .join(", ")})`
    } · critic ${options.critic}`,
    `schedule   ${options.maxParallel} task(s) at once · ${options.maxRepairs} repair round(s)`,
    `tests      ${formatTests(verify)}`,
    ...(options.verify !== "" && config.worktree.setup === "" ? [`           ${SETUP_HINT}`] : []),
    `budget     ${budget}`,
    `branches   integration ${getIntegrationBranch("<run>")}; tasks bosun/<run>/<task>${options.mergeTo === undefined ? " (your branch is never touched)" : `; then fast-forward ${options.mergeTo}`}`,
    `worktrees  ${path.join(paths.worktreesDir, "<run>", "<task>")}`,
    `roles      ${roles.length}: ${roles.map((role) => role.id).join(", ")}`,
    "",
    "Agent commands (the prompt goes on stdin):",
    ...Object.entries(commands).map(([seat, command]) => `  ${seat.padEnd(8)} ${command}`),
    "",
    "Planner prompt:",
    ...plannerPrompt.split("\n").map((line) => `  ${line}`),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

/** The dry run's tests line: the command and where it came from, or why there is none. */
function formatTests({ command, source, isFound }: VerifyChoice): string {
  if (command !== "") return `\`${command}\` (${source}${isFound ? '; --verify "" for none' : ""})`;
  if (source === "--verify") return 'none (--verify "")';
  return `none (${source}: pass --verify "CMD")`;
}

/** The exact command line bosun would run for a harness (its prompt on stdin or in a file). */
function describeCommand(name: string, config: Config): string {
  if (name === "manual") return "(manual: bosun writes the prompt and waits for a report file)";
  const harness = resolveHarness(name, config.agents);
  const { command, args } = buildHeadlessArgv(harness, {
    promptFile: "<prompt.md>",
    model: harness.model,
    thinking: harness.thinking,
    sessionId: "",
    script: config.agents[name]?.script ?? "",
    maxBudgetUsd: "",
  });
  return [command, ...args]
    .map((arg) => (/^[\w@%+=:,./<>-]+$/.test(arg) ? arg : JSON.stringify(arg)))
    .join(" ");
}

/** Prints how a team run call ended and maps it to an exit code. */
export function reportTeamOutcome(ctx: CliContext, outcome: TeamOutcome): number {
  const { run } = outcome;
  if (ctx.isJson)
    process.stdout.write(
      `${JSON.stringify({ type: "run.result", run, isPaused: outcome.isPaused })}\n`,
    );
  else process.stderr.write(`${describeTeamEnd(run, outcome.isPaused).join("\n")}\n`);
  return getExitCode(ctx, outcome, 4);
}

function describeTeamEnd(run: TeamRun, isPaused: boolean): string[] {
  const lines = [
    `${formatStatus(run.status)} team run ${run.id} · ${formatUsd(run.costUsd)} · ${run.reason ?? run.step}`,
  ];
  if (isPaused) lines.push(`Paused. Continue with: bosun run --resume ${run.id}`);
  if (run.status === "needs_human")
    lines.push(`See the asks: bosun asks; answer, then: bosun run --resume ${run.id}`);
  if (run.status === "budget_exhausted")
    lines.push(
      `To continue it, raise the cap that stopped it: bosun run --resume ${run.id} --budget-usd AMOUNT (or --task-budget-usd)`,
    );
  lines.push(
    `Board: bosun board ${run.id} · integration branch ${run.integrationBranch} · summary .bosun/runs/${run.id}/summary.md`,
  );
  return lines;
}
