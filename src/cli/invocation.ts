/**
 * How a person can run this very bosun again from any directory, for commands bosun prints for
 * copy and paste: `bosun` when the first `bosun` on PATH is this installation, else `node <path>`.
 */
import { access, constants, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findPackageRoot } from "../store/paths.js";

/** The executable this installation's `bin` points at, relative to the package root. */
const BIN_ENTRY = path.join("dist", "cli.js");

/** Where this installation lives and how it runs now. */
export interface Installation {
  /** Absolute path of the built entry (`<package>/dist/cli.js`). */
  builtEntry: string;
  /** Absolute path of the source entry (`<package>/src/cli.ts`), for runs from source. */
  sourceEntry: string;
  /** True when this process runs the built bundle (false under tsx, e.g. `npm run dev`). */
  isBuilt: boolean;
}

/** This installation, found from this module's own location (any chunk of dist/, or src/). */
export function getInstallation(): Installation {
  const here = fileURLToPath(import.meta.url);
  const root = findPackageRoot(import.meta.url);
  return {
    builtEntry: path.join(root, BIN_ENTRY),
    sourceEntry: path.join(root, "src", "cli.ts"),
    isBuilt: !here.endsWith(".ts"),
  };
}

/**
 * The command prefix that runs this bosun, quoted for a POSIX shell: `bosun` when the first
 * `bosun` on PATH resolves to this installation's entry, else `node <absolute entry>` (with
 * Node's absolute path when `node` on PATH is another Node). From source, the tsx loader is
 * named by absolute path, so the command works outside this package too.
 */
export async function getBosunCommand(
  installation: Installation = getInstallation(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const { builtEntry, sourceEntry, isBuilt } = installation;
  if (isBuilt && (await isFirstOnPath("bosun", builtEntry, env))) return "bosun";
  const node = (await isFirstOnPath("node", process.execPath, env))
    ? "node"
    : quoteForShell(process.execPath);
  if (isBuilt) return `${node} ${quoteForShell(builtEntry)}`;
  const loader = fileURLToPath(import.meta.resolve("tsx"));
  return `${node} --import ${quoteForShell(loader)} ${quoteForShell(sourceEntry)}`;
}

/** Quotes a word for a POSIX shell, leaving plain paths as they are. */
export function quoteForShell(word: string): string {
  if (/^[\w./:@%+,=-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** True when the shell's first `name` on PATH is (after symlinks) the same file as `target`. */
async function isFirstOnPath(
  name: string,
  target: string,
  env: NodeJS.ProcessEnv,
): Promise<boolean> {
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) {
    // An empty PATH entry means the current directory, which differs between directories.
    if (dir === "" || !path.isAbsolute(dir)) continue;
    // npx and npm scripts put node_modules/.bin dirs on the PATH of what they start (npx bosun
    // finds bosun in its own cache there); the user's shell, where the command is typed, has none.
    if (isNodeModulesBin(dir)) continue;
    const candidate = path.join(dir, name);
    if (!(await isExecutable(candidate))) continue;
    try {
      return (await realpath(candidate)) === (await realpath(target));
    } catch {
      // The target itself is missing (not built): nothing on PATH can be it.
      return false;
    }
  }
  return false;
}

function isNodeModulesBin(dir: string): boolean {
  return path.basename(dir) === ".bin" && path.basename(path.dirname(dir)) === "node_modules";
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    // Not there or not executable: the shell would skip it too.
    return false;
  }
}
