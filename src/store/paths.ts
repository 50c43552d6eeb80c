/**
 * The one owner of every path bosun reads or writes: `.bosun/` inside a repository, the global
 * config directory (honouring BOSUN_HOME and XDG_CONFIG_HOME) and the temp directory.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { StateError } from "../errors.js";

/** Name of the workspace config file at the repository root. */
export const WORKSPACE_CONFIG_FILE = "bosun.yaml";

/** Directory holding bosun's global config: $BOSUN_HOME, else $XDG_CONFIG_HOME/bosun, else ~/.config/bosun. */
export function getGlobalConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const bosunHome = env["BOSUN_HOME"];
  if (bosunHome !== undefined && bosunHome !== "") return path.resolve(bosunHome);
  const xdg = env["XDG_CONFIG_HOME"];
  const base = xdg !== undefined && xdg !== "" ? xdg : path.join(os.homedir(), ".config");
  return path.join(base, "bosun");
}

/** The global config file. */
export function getGlobalConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(getGlobalConfigDir(env), "config.yaml");
}

/** The system temp directory (the one place bosun may put throwaway files, e.g. `bosun demo`). */
export function getTempDir(): string {
  return os.tmpdir();
}

/**
 * bosun's own installation: the nearest directory holding a package.json above `moduleUrl`
 * (the `import.meta.url` of one of bosun's modules, under dist/ or src/).
 */
export function findPackageRoot(moduleUrl: string): string {
  const start = path.dirname(fileURLToPath(moduleUrl));
  let dir = start;
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
  return dir;
}

/** The user's home directory: where harnesses are installed and agents load global skills. */
export function getHomeDir(): string {
  return os.homedir();
}

/** Paths under one repository's `.bosun/` directory. */
export interface BosunPaths {
  /**
   * Repository root: the working tree bosun works in, where bosun.yaml lives (`.bosun/` may be in
   * another checkout's root: the main one, when this is a linked git worktree).
   */
  readonly root: string;
  /** `.bosun/` */
  readonly bosunDir: string;
  /** `bosun.yaml` at the root. */
  readonly workspaceConfigFile: string;
  /** `.bosun/runs/` */
  readonly runsDir: string;
  /** `.bosun/asks/` (open questions for a human). */
  readonly asksDir: string;
  /** `.bosun/asks/answers/` */
  readonly answersDir: string;
  /** `.bosun/tells/`: humans' messages to runs' workers, waiting for the worker's next prompt. */
  readonly tellsDir: string;
  /** `.bosun/tells/delivered/`: tells a run's process put into a worker prompt. */
  readonly deliveredTellsDir: string;
  /** `.bosun/intelligence.md`: what `bosun learn` found in the repository (stack, commands). */
  readonly intelligenceFile: string;
  /** `.bosun/intelligence-check.log`: the output of the test command `bosun learn --check` ran. */
  readonly intelligenceCheckLogFile: string;
  /** `.bosun/costs.jsonl`, one line per dispatch. */
  readonly costsFile: string;
  /** `.bosun/templates/`, prompt templates a user may edit. */
  readonly templatesDir: string;
  /** `.bosun/pulse/`: the autonomous loop's plain files (see PulsePaths). */
  readonly pulse: PulsePaths;
  /** `.bosun/locks/`: one lock per working tree a run changes (see `treeLockFile`). */
  readonly locksDir: string;
  /** `.bosun/runs/<id>/` */
  runDir(runId: string): string;
  /** `.bosun/runs/<id>/run.json` */
  runFile(runId: string): string;
  /** `.bosun/runs/<id>/request.md` */
  requestFile(runId: string): string;
  /** `.bosun/runs/<id>/events.jsonl` */
  eventsFile(runId: string): string;
  /** `.bosun/runs/<id>/lock` (pid of the one writer) */
  lockFile(runId: string): string;
  /** `.bosun/runs/<id>/stop-request.json`: a request that the run's writer stop it (bosun stop). */
  stopRequestFile(runId: string): string;
  /** `.bosun/runs/<id>/tasks/<task>/` */
  taskDir(runId: string, taskId: string): string;
  /** `.bosun/runs/<id>/tasks/<task>/task_card.json` */
  taskCardFile(runId: string, taskId: string): string;
  /**
   * `.bosun/runs/<id>/tasks/<task>/rounds/<n>/`; for a flow with phases (a pipeline's `<pair>` or
   * `<pair>/<phase>`), `<pairArtifactDir>/rounds/<n>/`: a pair's iterations are its artifacts.
   */
  roundDir(runId: string, taskId: string, round: number, phase?: string): string;
  /** A file bosun or an agent writes in a round's directory (see `RoundFileName`). */
  roundFile(
    runId: string,
    taskId: string,
    round: number,
    name: RoundFileName,
    phase?: string,
  ): string;
  /** `rounds/<n>/<seat>[-<attempt>]/`: one agent attempt's prompt.md, agent.log and agent.pid. */
  attemptDir(
    runId: string,
    taskId: string,
    round: number,
    seat: string,
    attempt: number,
    phase?: string,
  ): string;
  /** `.bosun/asks/<ask>.json` */
  askFile(askId: string): string;
  /** `.bosun/asks/answers/<ask>.json` */
  answerFile(askId: string): string;
  /** `.bosun/tells/<tell>.json`: a tell not delivered yet. */
  tellFile(tellId: string): string;
  /** `.bosun/tells/delivered/<tell>.json`: a tell once delivered. */
  deliveredTellFile(tellId: string): string;
  /**
   * `.bosun/locks/<hash>.lock`: the lock of the working tree at `realCwd`, which must be a real
   * path (`realpath`), so that every spelling of one directory names one lock.
   */
  treeLockFile(realCwd: string): string;
  /** `.bosun/runs/<id>/plan.json`: a team run's task graph, as checked (and maybe edited by a human). */
  planFile(runId: string): string;
  /** `.bosun/runs/<id>/summary.md`: how a team run ended, task by task. */
  summaryFile(runId: string): string;
  /** `.bosun/runs/<id>/tasks/<task>/<name>`: a task's files outside its rounds (merge log, evidence). */
  taskFile(runId: string, taskId: string, name: TaskFileName): string;
  /** `.bosun/runs/<id>/<name>`: a team run's logs of its integration checkout. */
  runLogFile(runId: string, name: RunLogName): string;
  /** `.bosun/runs/<id>/board.json`: a team run's tasks as a board (a snapshot, like run.json). */
  boardFile(runId: string): string;
  /**
   * Where this repository's team runs keep their git worktrees: outside the checkout, so the
   * user's own test runner, compiler and search never walk into N copies of the repository
   * (see `getWorktreesRoot`), in a folder named after the repository.
   */
  readonly worktreesDir: string;
  /** `<worktreesDir>/<run>/<task>`: one task's worktree. */
  worktreeDir(runId: string, taskId: string): string;
  /** `<worktreesDir>/<run>/integration`: the run's integration branch, checked out (detached) for the merge gate. */
  integrationDir(runId: string): string;
  /** A pipeline run's readable story of every iteration, appended as it happens. */
  rawPhaseLogFile(runId: string): string;
  /** A pipeline run's clarification ledger: every question and its answer, for later prompts. */
  decisionsFile(runId: string): string;
  /**
   * `artifacts/<pair>/` of a pipeline run, or `artifacts/<pair>/phases/<phase>/` for a pair that
   * works per phase (implement, test).
   */
  pairArtifactDir(runId: string, pair: string, phase?: string): string;
}

/**
 * The root of every repository's task worktrees: $BOSUN_WORKTREES_DIR, else $BOSUN_HOME/worktrees,
 * else $XDG_STATE_HOME/bosun/worktrees, else ~/.local/state/bosun/worktrees.
 */
export function getWorktreesRoot(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env["BOSUN_WORKTREES_DIR"];
  if (explicit !== undefined && explicit !== "") return path.resolve(explicit);
  const bosunHome = env["BOSUN_HOME"];
  if (bosunHome !== undefined && bosunHome !== "") return path.resolve(bosunHome, "worktrees");
  const xdg = env["XDG_STATE_HOME"];
  const base = xdg !== undefined && xdg !== "" ? xdg : path.join(os.homedir(), ".local", "state");
  return path.join(base, "bosun", "worktrees");
}

/**
 * The files of a round: gate results, the fix list for the next round, the agents' reports and
 * the verify command's log.
 */
export type RoundFileName =
  | "gates.json"
  | "fix_list.json"
  | "work_report.json"
  | "review_report.json"
  | "verdict.json"
  | "document.json"
  | "answer.json"
  | "verify.log"
  | "outside-before.json"
  | "outside-undone.json";

/** A task's files outside its rounds: the tests after its merge, its outside-write baseline, its evidence. */
export type TaskFileName = "merge-verify.log" | "evidence.md" | "setup.log";

/** A team run's logs of bosun's integration checkout: the tests before any merge, its setup. */
export type RunLogName = "baseline-verify.log" | "integration-setup.log";

/**
 * The pulse's files under `.bosun/pulse/`, each one a human may read and edit: the playbook,
 * goals, sensors (executables), and what the loop keeps (snapshots, its journal).
 */
export interface PulsePaths {
  /** `.bosun/pulse/` */
  readonly dir: string;
  /** `PLAYBOOK.md`: priorities and guardrails. */
  readonly playbookFile: string;
  /** `goals/`: one `<id>.md` per desired state. */
  readonly goalsDir: string;
  /** `goals/archive/`: goals reached or dropped, kept. */
  readonly archivedGoalsDir: string;
  /** `sensors/`: executables, each printing one JSON object `{signal, detail}`. */
  readonly sensorsDir: string;
  /** `snapshots/`: the world as each decision saw it. */
  readonly snapshotsDir: string;
  /** `journal.md`: one line per move. */
  readonly journalFile: string;
  /** `playbook-history/`: every earlier PLAYBOOK.md, named by when it was replaced. */
  readonly playbookHistoryDir: string;
  /** `schedules/`: one `<id>.json` timer per schedule (`--in S` once, `--every S` repeating). */
  readonly schedulesDir: string;
  /** `claims/`: one `<resource>.json` lease per claimed shared resource. */
  readonly claimsDir: string;
  /** `decisions/`: one `<id>.json` per brain decision, each action's gate and outcome (write-ahead). */
  readonly decisionsDir: string;
  /** `workers/`: one folder per long-running worker session. */
  readonly workersDir: string;
  /** `proposals/`: what `bosun pulse improve` filed, one `<n>.md` each. */
  readonly proposalsDir: string;
  /** `state.json`: the loop's own memory (last world hash, budgets spent, backoff). */
  readonly stateFile: string;
  /** `readings.json`: the latest sensor readings, for status and the dashboard. */
  readonly readingsFile: string;
  /** `daemon.pid`: the running daemon's pid and start time (one daemon per repository). */
  readonly daemonPidFile: string;
  /** `daemon.log`: what the daemon printed. */
  readonly daemonLogFile: string;
  /** `paused`: present while the loop is paused (it senses, never decides). */
  readonly pausedFile: string;
  /** `beat.lock`: held by the process taking a beat or acting on an approval (one at a time). */
  readonly beatLockFile: string;
  /** One decision's write-ahead record. */
  decisionFile(decisionId: string): string;
  /** One worker's folder (prompt, agent.log, worker.json). */
  workerDir(workerId: string): string;
  /** One schedule. */
  scheduleFile(scheduleId: string): string;
  /** One claim. */
  claimFile(resource: string): string;
  /** One goal. */
  goalFile(goalId: string): string;
}

function createPulsePaths(dir: string): PulsePaths {
  const goalsDir = path.join(dir, "goals");
  return {
    dir,
    playbookFile: path.join(dir, "PLAYBOOK.md"),
    goalsDir,
    archivedGoalsDir: path.join(goalsDir, "archive"),
    sensorsDir: path.join(dir, "sensors"),
    snapshotsDir: path.join(dir, "snapshots"),
    journalFile: path.join(dir, "journal.md"),
    playbookHistoryDir: path.join(dir, "playbook-history"),
    schedulesDir: path.join(dir, "schedules"),
    claimsDir: path.join(dir, "claims"),
    decisionsDir: path.join(dir, "decisions"),
    workersDir: path.join(dir, "workers"),
    proposalsDir: path.join(dir, "proposals"),
    stateFile: path.join(dir, "state.json"),
    readingsFile: path.join(dir, "readings.json"),
    daemonPidFile: path.join(dir, "daemon.pid"),
    daemonLogFile: path.join(dir, "daemon.log"),
    pausedFile: path.join(dir, "paused"),
    beatLockFile: path.join(dir, "beat.lock"),
    decisionFile: (id) =>
      path.join(dir, "decisions", `${safeSegment(id, "decision id", dir)}.json`),
    workerDir: (id) => path.join(dir, "workers", safeSegment(id, "worker id", dir)),
    scheduleFile: (id) =>
      path.join(dir, "schedules", `${safeSegment(id, "schedule id", dir)}.json`),
    claimFile: (resource) =>
      path.join(dir, "claims", `${safeSegment(resource, "resource name", dir)}.json`),
    goalFile: (id) => path.join(goalsDir, `${safeSegment(id, "goal id", dir)}.md`),
  };
}

/**
 * Builds the path table for a repository root. `.bosun/` is in `stateRoot` when given: a linked
 * git worktree keeps its state in the main checkout's `.bosun/`, shared by every tree.
 */
export function createBosunPaths(
  root: string,
  stateRoot: string = root,
  env: NodeJS.ProcessEnv = process.env,
): BosunPaths {
  const absRoot = path.resolve(root);
  const absStateRoot = path.resolve(stateRoot);
  // Named after the repository (readable) and a hash of its path (two clones never share one).
  const repoKey = `${path.basename(absStateRoot) || "repo"}-${createHash("sha256").update(absStateRoot).digest("hex").slice(0, 8)}`;
  const worktreesDir = path.join(getWorktreesRoot(env), repoKey);
  const bosunDir = path.join(absStateRoot, ".bosun");
  const locksDir = path.join(bosunDir, "locks");
  const runsDir = path.join(bosunDir, "runs");
  const asksDir = path.join(bosunDir, "asks");
  const tellsDir = path.join(bosunDir, "tells");
  const runDir = (runId: string): string =>
    path.join(runsDir, safeSegment(runId, "run id", runsDir));
  const taskDir = (runId: string, taskId: string): string =>
    path.join(runDir(runId), "tasks", safeSegment(taskId, "task id", runDir(runId)));
  const pairArtifactDir = (runId: string, pair: string, phase?: string): string => {
    const pairDir = path.join(runDir(runId), "artifacts", safeSegment(pair, "pair", runsDir));
    return phase === undefined
      ? pairDir
      : path.join(pairDir, "phases", safeSegment(phase, "phase id", pairDir));
  };
  const roundDir = (runId: string, taskId: string, round: number, phase?: string): string => {
    if (phase === undefined) return path.join(taskDir(runId, taskId), "rounds", String(round));
    const [pair = "", phaseId] = phase.split("/", 2);
    return path.join(pairArtifactDir(runId, pair, phaseId), "rounds", String(round));
  };
  return {
    root: absRoot,
    bosunDir,
    workspaceConfigFile: path.join(absRoot, WORKSPACE_CONFIG_FILE),
    runsDir,
    asksDir,
    answersDir: path.join(asksDir, "answers"),
    tellsDir,
    deliveredTellsDir: path.join(tellsDir, "delivered"),
    pulse: createPulsePaths(path.join(bosunDir, "pulse")),
    intelligenceFile: path.join(bosunDir, "intelligence.md"),
    intelligenceCheckLogFile: path.join(bosunDir, "intelligence-check.log"),
    costsFile: path.join(bosunDir, "costs.jsonl"),
    templatesDir: path.join(bosunDir, "templates"),
    locksDir,
    runDir,
    runFile: (runId) => path.join(runDir(runId), "run.json"),
    requestFile: (runId) => path.join(runDir(runId), "request.md"),
    eventsFile: (runId) => path.join(runDir(runId), "events.jsonl"),
    lockFile: (runId) => path.join(runDir(runId), "lock"),
    stopRequestFile: (runId) => path.join(runDir(runId), "stop-request.json"),
    taskDir,
    taskCardFile: (runId, taskId) => path.join(taskDir(runId, taskId), "task_card.json"),
    roundDir,
    roundFile: (runId, taskId, round, name, phase) =>
      path.join(roundDir(runId, taskId, round, phase), name),
    attemptDir: (runId, taskId, round, seat, attempt, phase) =>
      path.join(roundDir(runId, taskId, round, phase), attempt === 1 ? seat : `${seat}-${attempt}`),
    askFile: (askId) => path.join(asksDir, `${safeSegment(askId, "ask id", asksDir)}.json`),
    answerFile: (askId) =>
      path.join(asksDir, "answers", `${safeSegment(askId, "ask id", asksDir)}.json`),
    tellFile: (tellId) => path.join(tellsDir, `${safeSegment(tellId, "tell id", tellsDir)}.json`),
    deliveredTellFile: (tellId) =>
      path.join(tellsDir, "delivered", `${safeSegment(tellId, "tell id", tellsDir)}.json`),
    treeLockFile: (realCwd) =>
      // A hash, not the path itself: a path may be longer than a file name or hold any byte.
      path.join(
        locksDir,
        `${createHash("sha256").update(realCwd).digest("hex").slice(0, 16)}.lock`,
      ),
    planFile: (runId) => path.join(runDir(runId), "plan.json"),
    summaryFile: (runId) => path.join(runDir(runId), "summary.md"),
    taskFile: (runId, taskId, name) => path.join(taskDir(runId, taskId), name),
    runLogFile: (runId, name) => path.join(runDir(runId), name),
    boardFile: (runId) => path.join(runDir(runId), "board.json"),
    worktreesDir,
    worktreeDir: (runId, taskId) =>
      path.join(
        worktreesDir,
        safeSegment(runId, "run id", runsDir),
        safeSegment(taskId, "task id", runsDir),
      ),
    integrationDir: (runId) =>
      path.join(worktreesDir, safeSegment(runId, "run id", runsDir), "integration"),
    rawPhaseLogFile: (runId) => path.join(runDir(runId), "raw_phase_log.md"),
    decisionsFile: (runId) => path.join(runDir(runId), "decisions.md"),
    pairArtifactDir,
  };
}

/** What a run, task or ask id may look like: it becomes a file or directory name. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What bosun's own run ids look like (`createRunId`): `20261122-125012-a1b2`. */
const RUN_ID = /^\d{8}-\d{6}-[0-9a-f]{4}$/;

/** What a bad id is told, wherever it was given. */
export const SAFE_ID_RULE =
  'an id is letters, digits, ".", "_" and "-" (at most 128, starting with a letter or digit)';

/** True when `value` can be used as an id (a file name that cannot escape `.bosun/`). */
export function isSafeId(value: string): boolean {
  return SAFE_ID.test(value);
}

/** True when `name` (a directory under `.bosun/runs/`) is a run bosun created, not a stray. */
export function isRunId(name: string): boolean {
  return RUN_ID.test(name);
}

/**
 * Ids become directory names; refuse anything that could escape `.bosun/`. Ids typed on the
 * command line are checked by the CLI first (a usage error); one that gets here came from a
 * file under `.bosun/`, so this is a StateError naming where it was used.
 */
function safeSegment(value: string, what: string, where: string): string {
  if (!isSafeId(value)) {
    throw new StateError(
      `Invalid ${what} ${JSON.stringify(value)} for a path in ${where}: ${SAFE_ID_RULE}. A file under .bosun/ that names it may be damaged.`,
    );
  }
  return value;
}
