/**
 * `bosun doctor` / `bosun auth status`: which agent CLIs are installed and can authenticate, and
 * whether the agents the config names for the worker and the reviewer can run at all.
 */
import { checkHarness, type HarnessHealth } from "../../agents/doctor.js";
import { BUILTIN_HARNESSES, resolveHarness } from "../../agents/harnesses.js";
import { getErrorMessage } from "../../errors.js";
import type { ResolvedConfig } from "../../store/config.js";
import type { CliContext } from "../context.js";
import { color, formatTable, printJson } from "../format.js";

/** The roles whose agents `bosun review` runs, as named in config. */
const ROLES = ["worker", "reviewer"] as const;

/** Readiness of the agent one configured role would run (part of `doctor --json`). */
export interface RoleCheck {
  /** The role. */
  role: (typeof ROLES)[number];
  /** Harness name from `review.<role>`. */
  harness: string;
  /** Where that value came from: "default" or the config file that set it. */
  source: string;
  /** True when the role's CLI was found (always true for `manual`, which runs no CLI). */
  isFound: boolean;
  /** True when found and some auth is present (or none is needed). */
  isReady: boolean;
  /** What is wrong and how to fix it; null when found. */
  problem: string | null;
  /** Advice that does not stop a run (e.g. no auth detected). */
  notes: string[];
}

/** Everything `doctor --json` prints. */
export interface DoctorReport {
  /** True when every configured role's CLI was found; the exit code is 0 exactly then. */
  isRunnable: boolean;
  /** The configured worker and reviewer. */
  roles: RoleCheck[];
  /** Every known harness (built-in and from config). */
  harnesses: HarnessHealth[];
}

/** Prints harness readiness; exit 1 when a configured role's CLI is missing, else 0. */
export async function runDoctor(ctx: CliContext): Promise<number> {
  const resolved = await ctx.getConfig();
  const { config } = resolved;
  const names = [...new Set([...Object.keys(BUILTIN_HARNESSES), ...Object.keys(config.agents)])];
  const checked = new Map<string, Promise<HarnessHealth | Error>>();
  const check = (name: string): Promise<HarnessHealth | Error> => {
    let result = checked.get(name);
    if (result === undefined) {
      // An invalid or unknown harness entry becomes an Error: "bosun validate" reports it in
      // full; the list shows the rest, and a role that names it is reported as not runnable.
      result = Promise.resolve()
        .then(() => checkHarness(resolveHarness(name, config.agents).spec))
        .catch((error: unknown) => new Error(getErrorMessage(error)));
      checked.set(name, result);
    }
    return result;
  };
  const health = (await Promise.all(names.map(check))).filter(
    (result): result is HarnessHealth => !(result instanceof Error),
  );
  const roles = await Promise.all(
    ROLES.map(async (role) => {
      const name = config.review[role];
      // "manual" runs no CLI: a person or a tool writes the report.
      return checkRole(role, resolved, name === "manual" ? "manual" : await check(name));
    }),
  );
  const isRunnable = roles.every((role) => role.isFound);
  const report: DoctorReport = { isRunnable, roles, harnesses: health };
  if (ctx.isJson) printJson(report);
  else process.stdout.write(formatReport(report));
  return isRunnable ? 0 : 1;
}

/** Judges one role: found or not, and what to do about it. */
function checkRole(
  role: (typeof ROLES)[number],
  { config, sources }: ResolvedConfig,
  health: HarnessHealth | Error | "manual",
): RoleCheck {
  const harness = config.review[role];
  const source = sources[`review.${role}`] ?? "default";
  const base = { role, harness, source };
  const switchHint = `or use another agent: set review.${role} in bosun.yaml, or pass --${role} <harness> to bosun review`;
  if (health === "manual") {
    const notes = ["manual: no CLI; a person or a tool writes the report file bosun names"];
    return { ...base, isFound: true, isReady: true, problem: null, notes };
  }
  if (health instanceof Error) {
    const problem = `${health.message} Fix it (bosun validate shows every problem), ${switchHint}.`;
    return { ...base, isFound: false, isReady: false, problem, notes: [] };
  }
  if (health.path === null) {
    // A template replaces `command`, so advising agents.<name>.command would not help there.
    const override = config.agents[harness];
    const npmPackage = BUILTIN_HARNESSES[harness]?.npmPackage;
    const install =
      override?.template !== undefined
        ? `install it, or fix agents.${harness}.template in bosun.yaml`
        : `install it${npmPackage === undefined || override?.command !== undefined ? "" : ` ("npm install -g ${npmPackage}")`}, or set agents.${harness}.command in bosun.yaml to where it is`;
    const problem = `The ${role} agent "${harness}" is not installed: "${health.command}" was not found on PATH or in its usual places. To fix: ${install}; ${switchHint}.`;
    return { ...base, isFound: false, isReady: false, problem, notes: [] };
  }
  return { ...base, isFound: true, isReady: health.isReady, problem: null, notes: health.notes };
}

function formatReport(report: DoctorReport): string {
  const rows = report.harnesses.map((h) => [
    h.isReady ? color.green("✓") : h.path === null ? color.red("✗") : color.yellow("!"),
    h.name,
    h.path === null ? color.dim("not found") : (h.version ?? "?"),
    h.authEnvSet.length > 0
      ? `env: ${h.authEnvSet.join(", ")}`
      : h.authFilesFound.length > 0
        ? `login: ${h.authFilesFound.join(", ")}`
        : color.dim(h.authEnvKnown.length === 0 ? "no auth needed" : "no auth"),
    color.dim(h.notes.join("; ")),
  ]);
  const roleRows = report.roles.map((r) => [
    r.isReady ? color.green("✓") : r.isFound ? color.yellow("!") : color.red("✗"),
    r.role,
    r.harness,
    color.dim(r.source === "default" ? "(built-in default)" : `(from ${r.source})`),
    r.isFound ? (r.isReady ? "ready" : "found; no auth detected") : color.red("not found"),
  ]);
  const lines = [
    formatTable(rows),
    "Auth is detected by variable names and login files only; bosun never reads or stores their values.",
    "",
    color.bold("Configured roles (bosun review)"),
    formatTable(roleRows),
  ];
  for (const r of report.roles) {
    if (r.problem !== null) lines.push(`${color.red("✗")} ${r.problem}`);
    const mark = r.isReady ? color.dim("·") : color.yellow("!");
    for (const note of r.notes) lines.push(`${mark} ${r.role}: ${note}`);
  }
  const missing = report.roles.filter((r) => !r.isFound).map((r) => r.role);
  const unauthenticated = report.roles.filter((r) => r.isFound && !r.isReady).map((r) => r.role);
  if (missing.length > 0)
    lines.push(
      `${color.red("Not ready:")} bosun review cannot run the ${missing.join(" and ")} agent${missing.length > 1 ? "s" : ""} as configured.`,
    );
  else if (unauthenticated.length > 0)
    lines.push(
      `${color.yellow("Installed:")} the configured agents were found, but no auth was detected for the ${unauthenticated.join(" and ")} (bosun sees env vars and login files only).`,
    );
  else lines.push(`${color.green("Ready:")} the configured worker and reviewer agents can run.`);
  return `${lines.join("\n")}\n`;
}
