/**
 * Runs bosun's `main()` in the test process (no spawn: a few ms per call instead of ~200), with
 * stdout and stderr captured and the env stubbed, for tests that try hundreds of command lines.
 */
import { vi } from "vitest";
import { main } from "../../src/cli/main.js";

/** How one in-process CLI call ended. */
export interface InProcessResult {
  /** main()'s exit code. */
  exitCode: number;
  /** Everything written to stdout. */
  stdout: string;
  /** Everything written to stderr, without colour codes. */
  stderr: string;
}

// Colour codes (ESC [ … m), removed so assertions see plain text whatever the terminal.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Runs `bosun <args>` through main() with `env` stubbed for the call. */
export async function runMainInProcess(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<InProcessResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const capture =
    (sink: string[]) =>
    (chunk: unknown): boolean => {
      sink.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString());
      return true;
    };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  // main() adds an EPIPE listener to stdout for the life of a CLI process; a test process calls
  // it hundreds of times, so the ones it added are removed again.
  const errorListeners = process.stdout.listeners("error").length;
  const outSpy = vi.spyOn(process.stdout, "write").mockImplementation(capture(stdout));
  const errSpy = vi.spyOn(process.stderr, "write").mockImplementation(capture(stderr));
  let exitCode: number;
  try {
    exitCode = await main(args);
  } finally {
    outSpy.mockRestore();
    errSpy.mockRestore();
    vi.unstubAllEnvs();
    const added = process.stdout.listeners("error").slice(errorListeners);
    for (const listener of added) process.stdout.off("error", listener as (error: Error) => void);
  }
  return {
    exitCode,
    stdout: stdout.join(""),
    stderr: stderr.join("").replace(ANSI, ""),
  };
}
