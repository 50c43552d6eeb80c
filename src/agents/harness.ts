/**
 * A harness is data: how to run one agent CLI headlessly, which parser reads its output, which
 * env vars mean it is authenticated and where it is usually installed. Argument templates use
 * `{{prompt_file}}`, `{{model}}`, `{{thinking}}`, `{{session_id}}`, `{{script}}` and
 * `{{max_budget_usd}}`.
 */

import type { ParserName as VendorParserName } from "./parsers.js";

/** Names of the output parsers: the vendor parsers plus the offline agent's own. */
export type ParserName = VendorParserName | "offline";

/** How to run one agent CLI. */
export interface HarnessSpec {
  /** Harness name used in config and on the command line. */
  name: string;
  /** Default binary (name on PATH or absolute path). */
  command: string;
  /** Arguments before the binary's own args (e.g. node's script path for the offline agent). */
  prefixArgs?: readonly string[];
  /** Headless one-shot arguments. Without `{{prompt_file}}` the prompt goes on stdin. */
  headlessArgs: readonly string[];
  /** Replaces headlessArgs when resuming a session (`{{session_id}}`); absent if unsupported. */
  resumeArgs?: readonly string[];
  /** Appended when a model is set. */
  modelArgs: readonly string[];
  /** Appended when a thinking level is set. */
  thinkingArgs: readonly string[];
  /**
   * Appended when the call has a USD cap (`{{max_budget_usd}}`); absent when the CLI cannot cap
   * its own spend, and then the cap is not passed.
   */
  budgetArgs?: readonly string[];
  /** Arguments for an interactive session in a terminal lane. */
  interactiveArgs: readonly string[];
  /** Parser for stdout. */
  parser: ParserName;
  /** When true, a run without a `final` event failed even if it exited 0 (Claude: no result line). */
  isFinalRequired: boolean;
  /** Env vars whose presence means the CLI can authenticate (names only). */
  authEnv: readonly string[];
  /** Files whose presence means a stored login (relative to home, `~/`-prefixed). */
  authFiles: readonly string[];
  /** Usual install locations besides PATH (`~/` = home). */
  installPaths: readonly string[];
  /** Arguments that print the version. */
  versionArgs: readonly string[];
  /** npm package, when it is installable from npm. */
  npmPackage?: string;
  /** The model the CLI uses when bosun passes none, read from its own config (for pricing). */
  readDefaultModel?: (
    env: Readonly<Record<string, string | undefined>>,
  ) => Promise<string | undefined>;
}
