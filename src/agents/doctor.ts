/**
 * Readiness of each agent CLI: is the binary there (PATH, then the usual install places), what
 * version it reports, and which auth env vars or login files exist. Names only: values are never
 * read into output and nothing is written to disk.
 */
import { access, constants } from "node:fs/promises";
import path from "node:path";
import { getErrorMessage } from "../errors.js";
import { runProcess } from "../proc/run-process.js";
import { getHomeDir } from "../store/paths.js";
import type { HarnessSpec } from "./harness.js";

/** One harness's readiness. */
export interface HarnessHealth {
  /** Harness name. */
  name: string;
  /** Command looked for. */
  command: string;
  /** Absolute path found, or null. */
  path: string | null;
  /** First line of `--version`, or null. */
  version: string | null;
  /** Auth env var names that are set. */
  authEnvSet: string[];
  /** Auth env var names that would work. */
  authEnvKnown: string[];
  /** Login files that exist (`~/…`). */
  authFilesFound: string[];
  /** True when found and some auth is present (or none is needed). */
  isReady: boolean;
  /** Hints for the user. */
  notes: string[];
}

/** Finds the binary: an absolute/relative path as is, else PATH, else the usual install places. */
export async function findHarnessBinary(
  spec: HarnessSpec,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const home = getHomeDir();
  if (spec.command.includes("/"))
    return (await isExecutable(spec.command)) ? path.resolve(spec.command) : undefined;
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, spec.command);
    if (await isExecutable(candidate)) return candidate;
  }
  for (const place of spec.installPaths) {
    const candidate = place.startsWith("~/") ? path.join(home, place.slice(2)) : place;
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Checks one harness. */
export async function checkHarness(
  spec: HarnessSpec,
  env: NodeJS.ProcessEnv = process.env,
): Promise<HarnessHealth> {
  const found = (await findHarnessBinary(spec, env)) ?? null;
  const notes: string[] = [];
  let version: string | null = null;
  if (found !== null) {
    // The binary's own directory surely exists (HOME may not, e.g. HOME=/nonexistent in CI).
    const cwd = path.dirname(found);
    const args = [...(spec.prefixArgs ?? []), ...spec.versionArgs];
    try {
      const result = await runProcess({
        command: found,
        args,
        cwd,
        timeoutMs: 15_000,
        graceMs: 1_000,
      });
      // pi prints its version on stderr.
      const output = result.stdout.trim() || result.stderrTail.trim();
      version = result.exitCode === 0 ? (output.split("\n")[0] ?? null) : null;
    } catch (error) {
      // A found binary that cannot be started is reported as such, never dropped from the list.
      notes.push(`could not run "${found}": ${getErrorMessage(error)}`);
    }
    if (version === null) notes.push(`"${found} ${spec.versionArgs.join(" ")}" failed`);
  } else {
    notes.push(
      spec.npmPackage === undefined
        ? `install ${spec.command}`
        : `npm install -g ${spec.npmPackage}`,
    );
  }
  const authEnvSet = spec.authEnv.filter((name) => (env[name] ?? "") !== "");
  const authFilesFound: string[] = [];
  for (const file of spec.authFiles) {
    if (await exists(path.join(getHomeDir(), file.replace(/^~\//, "")))) authFilesFound.push(file);
  }
  const needsAuth = spec.authEnv.length + spec.authFiles.length > 0;
  const hasAuth = !needsAuth || authEnvSet.length > 0 || authFilesFound.length > 0;
  if (found !== null && !hasAuth)
    notes.push(`no auth found: set ${spec.authEnv.join(" or ")} or log in with ${spec.command}`);
  if (spec.name === "claude" && process.getuid?.() === 0 && (env["IS_SANDBOX"] ?? "") === "") {
    notes.push(
      "running as root: Claude Code refuses --dangerously-skip-permissions unless IS_SANDBOX=1 is set",
    );
  }
  return {
    name: spec.name,
    command: spec.command,
    path: found,
    version,
    authEnvSet,
    authEnvKnown: [...spec.authEnv],
    authFilesFound,
    isReady: found !== null && hasAuth,
    notes,
  };
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    // Not there or not executable: keep looking.
    return false;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    // Absent.
    return false;
  }
}
