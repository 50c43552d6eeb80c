/** What every command gets: the repository root and paths, output mode, and the cancel signal. */
import { existsSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../errors.js";
import { createEventBus, type EventBus } from "../flows/event-bus.js";
import { readCheckoutRoots, type CheckoutRoots } from "../workspace/repo-root.js";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import type { ResolvedConfig } from "../store/config.js";
import type { Config } from "../store/schema/config.js";

/** Global CLI options. */
export interface GlobalOptions {
  /** --root: repository root. */
  root?: string;
  /** --json output. */
  json?: boolean;
  /** --verbose output. */
  verbose?: boolean;
}

/** Context of one CLI invocation. */
export interface CliContext {
  /** Output as JSON. */
  isJson: boolean;
  /** Verbose output. */
  isVerbose: boolean;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /**
   * The repository root: the working tree commands act on (--root, else the git top level of the
   * cwd, which may be a linked worktree). Throws outside a repo.
   */
  getRoot(): Promise<string>;
  /**
   * Paths under the root, with `.bosun/` in the main checkout: every worktree of a repository
   * shares one `.bosun/` (with --root, the one in that directory).
   */
  getPaths(): Promise<BosunPaths>;
  /**
   * The paths of the runs a command reads or acts on: the repository's, else (outside any
   * repository, without --root) those of the nearest folder up that holds runs — where a
   * `bosun pipeline --no-git` keeps them. Commands that need git use `getPaths`.
   */
  getStatePaths(): Promise<BosunPaths>;
  /** Resolved config for the root (or the cwd outside a repo), harness names checked. */
  getConfig(): Promise<ResolvedConfig>;
  /**
   * The one stream of this invocation's flow events: a flow command passes `events.publish` as
   * the flow's `onEvent`, and every surface (the printer today) subscribes to it.
   */
  readonly events: EventBus;
}

/** What main() wants to hear about. */
export interface CliContextHooks {
  /** Called with every config loaded (main() takes the stop grace period from it). */
  onConfig?(config: Config): void;
}

/** Builds the context from global options. */
export function createCliContext(
  options: GlobalOptions,
  signal: AbortSignal,
  hooks: CliContextHooks = {},
): CliContext {
  let roots: Promise<CheckoutRoots> | undefined;
  const getRoots = (): Promise<CheckoutRoots> => {
    if (roots !== undefined) return roots;
    // --root is taken as given, without asking git: it also names a directory outside any repo.
    const given = options.root === undefined ? undefined : path.resolve(options.root);
    roots =
      given === undefined
        ? findCheckoutRoots(process.cwd())
        : Promise.resolve({ workTree: given, mainCheckout: given });
    return roots;
  };
  const getRoot = async (): Promise<string> => (await getRoots()).workTree;
  const getPaths = async (): Promise<BosunPaths> => {
    const { workTree, mainCheckout } = await getRoots();
    return createBosunPaths(workTree, mainCheckout);
  };
  return {
    events: createEventBus(),
    isJson: options.json === true,
    isVerbose: options.verbose === true,
    signal,
    getRoot,
    getPaths,
    getStatePaths: async () => {
      try {
        return await getPaths();
      } catch (error) {
        if (options.root !== undefined || !(error instanceof UsageError)) throw error;
        const stateRoot = findStateRoot(process.cwd());
        if (stateRoot === undefined) throw error;
        return createBosunPaths(stateRoot);
      }
    },
    getConfig: async () => {
      let dir: string;
      try {
        dir = await getRoot();
      } catch {
        // Outside a repository only the global config applies; the cwd has no bosun.yaml of a repo.
        dir = process.cwd();
      }
      // Loaded on demand: the YAML parser is only needed by commands that read config.
      const [{ loadConfig }, { assertHarnessNames }] = await Promise.all([
        import("../store/config.js"),
        import("../agents/config-check.js"),
      ]);
      const resolved = await loadConfig(dir);
      // Here, where store/ and agents/ are both visible: an unknown harness in a config file
      // is a ConfigError naming that file and key, not a bare "Unknown harness" mid-run.
      assertHarnessNames(resolved);
      hooks.onConfig?.(resolved.config);
      return resolved;
    },
  };
}

/**
 * The roots of the cwd's repository: read from its files (no spawn) when they settle it; git, and
 * the modules that run it, are loaded only when they do not.
 */
async function findCheckoutRoots(cwd: string): Promise<CheckoutRoots> {
  const fromFiles = readCheckoutRoots(cwd);
  if (fromFiles !== undefined) return fromFiles;
  const { getCheckoutRootsFromGit } = await import("../workspace/git.js");
  return getCheckoutRootsFromGit(cwd);
}

/** The nearest folder from `cwd` up that holds bosun's runs (`.bosun/runs/`). */
function findStateRoot(cwd: string): string | undefined {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, ".bosun", "runs"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}
