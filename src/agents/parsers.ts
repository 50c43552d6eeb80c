/**
 * The stdout parser of each built-in output format, by name. Harnesses name their parser; the
 * dispatcher looks it up here and feeds it one line at a time.
 */
import type { LineParser } from "./agent-event.js";
import { parseClaudeLine } from "./claude/parse.js";
import { parseCodexLine } from "./codex/parse.js";
import { parseGeminiLine } from "./gemini/parse.js";
import { parseOpencodeLine } from "./opencode/parse.js";
import { parsePiLine } from "./pi/parse.js";
import { parsePlainLine } from "./plain/parse.js";

/** Names of the built-in stdout parsers. */
export type ParserName = "claude" | "codex" | "gemini" | "opencode" | "pi" | "plain";

/** The line parser for each built-in output format. */
export const PARSERS: Readonly<Record<ParserName, LineParser>> = {
  claude: parseClaudeLine,
  codex: parseCodexLine,
  gemini: parseGeminiLine,
  opencode: parseOpencodeLine,
  pi: parsePiLine,
  plain: parsePlainLine,
};
