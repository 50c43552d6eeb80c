/**
 * Which parser reads an agent's stdout: by parser name for the dispatcher, by harness name for the
 * monitor and the dashboard, which read a log written earlier, perhaps by another process.
 */
import type { LineParser } from "./agent-event.js";
import type { ParserName } from "./harness.js";
import { resolveHarness } from "./harnesses.js";
import { parseOfflineLine } from "./offline/parse.js";
import { PARSERS } from "./parsers.js";

/** The line parser of a built-in output format or the offline agent's. */
export function getLineParser(name: ParserName): LineParser {
  return name === "offline" ? parseOfflineLine : PARSERS[name];
}

/**
 * The line parser of `harness` as the config's `agents:` defines it; undefined for a harness the
 * config no longer defines (one renamed since the run): its log is still worth showing, unparsed.
 */
export function findHarnessLineParser(
  harness: string,
  agents: Parameters<typeof resolveHarness>[1],
): LineParser | undefined {
  try {
    return getLineParser(resolveHarness(harness, agents).spec.parser);
  } catch {
    return undefined;
  }
}
