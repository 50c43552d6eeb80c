/**
 * Parser for agent CLIs without structured output (amp, cursor-agent, custom templates): every
 * non-empty stdout line is assistant text. There is no session, usage or final marker to find.
 */
import type { LineParser } from "../agent-event.js";

/** Parses one line of plain-text agent output. */
export const parsePlainLine: LineParser = (line) =>
  line.trim() === "" ? [] : [{ type: "text", text: line }];
