/**
 * JSON written by an agent in its reply: found whether it came bare, in one ```json fence or
 * inside prose, and, when it is not valid, an error that names the line, column and mistake.
 */

/** The JSON value found in a reply, or the exact reason there is none (fed back to the agent). */
export type JsonReplyResult = { ok: true; value: unknown } | { ok: false; error: string };

/** Languages of a fenced block that may hold the JSON (an unlabelled fence counts). */
const JSON_FENCE_LANGUAGES = new Set(["", "json", "jsonc", "json5"]);

/** A fenced block: ``` at the start of a line, an optional language, the body, a closing ```. */
const FENCE = /^```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\r?\n([\s\S]*?)^```[ \t]*$/gm;

/**
 * Finds and parses the one JSON value in an agent's reply. Accepted: the bare value; exactly one
 * ```json (or unlabelled) fenced block, with prose around it; a single object inside prose
 * (from the first `{` to the last `}`). Anything else is an error saying what to send instead.
 */
export function parseJsonReply(text: string): JsonReplyResult {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: false, error: "the reply is empty: send one JSON object" };
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    return parseAt(text, 0, text.length, "the reply");
  }
  const fences = [...text.matchAll(FENCE)].filter((match) =>
    JSON_FENCE_LANGUAGES.has((match[1] ?? "").toLowerCase()),
  );
  if (fences.length > 1) {
    const lines = fences.map((match) => getLineColumn(text, match.index).line).join(", ");
    return {
      ok: false,
      error: `the reply has ${fences.length} \`\`\`json blocks (at lines ${lines}): send exactly one JSON object`,
    };
  }
  const fence = fences[0];
  if (fence !== undefined) {
    const body = fence[2] ?? "";
    const bodyStart = fence.index + fence[0].indexOf("\n") + 1;
    return parseAt(text, bodyStart, bodyStart + body.length, "the ```json block");
  }
  const unclosed = /^```[ \t]*json[ \t]*$/im.exec(text);
  if (unclosed !== null) {
    const { line } = getLineColumn(text, unclosed.index);
    return {
      ok: false,
      error: `the \`\`\`json block that opens at line ${line} is never closed (was the reply cut off?): send the whole JSON object again`,
    };
  }
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start === -1 || end < start) {
    return {
      ok: false,
      error: 'the reply holds no JSON object (no "{" in it): send one JSON object and nothing else',
    };
  }
  return parseAt(text, start, end + 1, "the JSON object in the reply");
}

/** Parses `text[start, end)`; a syntax error is reported with its place in the whole reply. */
function parseAt(text: string, start: number, end: number, where: string): JsonReplyResult {
  const slice = text.slice(start, end);
  try {
    return { ok: true, value: JSON.parse(slice) };
  } catch (error) {
    // V8's messages differ between Node versions and some carry no position at all, so the
    // message is bosun's own scanner's; JSON.parse's is kept for the impossible disagreement.
    const found = findJsonSyntaxError(slice);
    if (found === undefined) {
      return { ok: false, error: `${where} is not valid JSON: ${String(error)}` };
    }
    const offset = start + found.offset;
    const { line, column } = getLineColumn(text, offset);
    return {
      ok: false,
      error: `${where} is not valid JSON at line ${line}, column ${column}: ${found.message}. Near: ${getNear(text, offset)}`,
    };
  }
}

/** A syntax error in JSON text: where (offset into the text) and what is wrong. */
export interface JsonSyntaxError {
  /** 0-based offset of the offending character (the text's length when it ends too early). */
  offset: number;
  /** What is wrong and, for the mistakes agents make most, what to write instead. */
  message: string;
}

type Expect = "value" | "value-or-close" | "key" | "key-or-close" | "colon" | "comma-or-close";

/**
 * Scans JSON text (RFC 8259) and returns its first syntax error, or undefined when it is valid.
 * An explicit stack instead of recursion, so deeply nested input cannot overflow the call stack.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const openers: { char: "{" | "["; offset: number }[] = [];
  let expect: Expect = "value";
  let hasTopValue = false;
  let i = 0;
  const fail = (offset: number, message: string): JsonSyntaxError => ({ offset, message });
  for (;;) {
    while (i < text.length && " \t\n\r".includes(text.charAt(i))) i++;
    if (i >= text.length) break;
    const char = text.charAt(i);
    const top = openers.at(-1);
    if (char === "/" && (text[i + 1] === "/" || text[i + 1] === "*")) {
      return fail(i, "comments are not allowed in JSON");
    }
    if (top === undefined && hasTopValue) {
      return fail(i, `unexpected ${describe(text, i)} after the end of the JSON value`);
    }
    if (expect === "colon") {
      if (char !== ":")
        return fail(i, `expected ":" after a property name, found ${describe(text, i)}`);
      i++;
      expect = "value";
      continue;
    }
    if (expect === "comma-or-close") {
      const close = top?.char === "{" ? "}" : "]";
      if (char === ",") {
        i++;
        expect = top?.char === "{" ? "key" : "value";
        continue;
      }
      if (char !== close) {
        const after = top?.char === "{" ? "a property value" : "an array element";
        return fail(i, `expected "," or "${close}" after ${after}, found ${describe(text, i)}`);
      }
      openers.pop();
      i++;
      expect = "comma-or-close";
      if (openers.length === 0) hasTopValue = true;
      continue;
    }
    if (expect === "key" || expect === "key-or-close") {
      if (char === "}") {
        if (expect === "key") return fail(i, 'trailing comma before "}": remove the last ","');
        openers.pop();
        i++;
        expect = "comma-or-close";
        if (openers.length === 0) hasTopValue = true;
        continue;
      }
      if (char === "'") return fail(i, "property names must be in double quotes, not single");
      if (char !== '"') {
        return fail(i, `expected a property name in double quotes, found ${describe(text, i)}`);
      }
      const end = scanString(text, i);
      if (typeof end !== "number") return end;
      i = end;
      expect = "colon";
      continue;
    }
    // expect is "value" or "value-or-close".
    if (char === "]" && top?.char === "[") {
      if (expect === "value") return fail(i, 'trailing comma before "]": remove the last ","');
      openers.pop();
      i++;
      expect = "comma-or-close";
      if (openers.length === 0) hasTopValue = true;
      continue;
    }
    if (char === "{" || char === "[") {
      openers.push({ char, offset: i });
      i++;
      expect = char === "{" ? "key-or-close" : "value-or-close";
      continue;
    }
    let end: number | JsonSyntaxError;
    if (char === '"') end = scanString(text, i);
    else if (char === "'") return fail(i, "strings must be in double quotes, not single");
    else if (char === "-" || (char >= "0" && char <= "9")) end = scanNumber(text, i);
    else end = scanLiteral(text, i);
    if (typeof end !== "number") return end;
    i = end;
    expect = "comma-or-close";
    if (openers.length === 0) hasTopValue = true;
  }
  const open = openers.at(-1);
  if (open !== undefined) {
    const { line, column } = getLineColumn(text, open.offset);
    return fail(
      text.length,
      `the JSON ends before the "${open.char}" opened at line ${line}, column ${column} is closed (was it cut off?)`,
    );
  }
  if (!hasTopValue) return fail(text.length, "the text ends before any JSON value");
  return undefined;
}

/** Scans a string starting at its opening quote; returns the offset after the closing quote. */
function scanString(text: string, start: number): number | JsonSyntaxError {
  let i = start + 1;
  while (i < text.length) {
    const char = text.charAt(i);
    if (char === '"') return i + 1;
    if (char === "\\") {
      const next = text.charAt(i + 1);
      if (next === "u") {
        if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) {
          return { offset: i, message: 'a "\\u" escape needs four hex digits' };
        }
        i += 6;
        continue;
      }
      if (!'"\\/bfnrt'.includes(next) || next === "") {
        return { offset: i, message: `invalid escape "\\${next}" in a string` };
      }
      i += 2;
      continue;
    }
    if (char < " ") {
      return {
        offset: i,
        message:
          'a raw line break or control character inside a string: write it as "\\n" or "\\t"',
      };
    }
    i++;
  }
  const { line, column } = getLineColumn(text, start);
  return {
    offset: text.length,
    message: `the string opened at line ${line}, column ${column} is never closed`,
  };
}

/** Scans a number; returns the offset after it. */
function scanNumber(text: string, start: number): number | JsonSyntaxError {
  const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(start));
  const end = start + (match?.[0].length ?? 0);
  if (match === null || /[0-9A-Za-z.+-]/.test(text.charAt(end))) {
    return {
      offset: start,
      message: "invalid number (no leading zeros, no leading + or ., no NaN or Infinity)",
    };
  }
  return end;
}

/** Scans `true`, `false` or `null`; returns the offset after it. */
function scanLiteral(text: string, start: number): number | JsonSyntaxError {
  for (const literal of ["true", "false", "null"]) {
    if (
      text.startsWith(literal, start) &&
      !/[0-9A-Za-z_]/.test(text.charAt(start + literal.length))
    ) {
      return start + literal.length;
    }
  }
  return { offset: start, message: `expected a JSON value, found ${describe(text, start)}` };
}

/** The character at `offset` (or a word starting there) quoted, for a message. */
function describe(text: string, offset: number): string {
  const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(offset, offset + 40));
  return JSON.stringify(word?.[0] ?? text.charAt(offset));
}

/** 1-based line and column of an offset. */
export function getLineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** The line around `offset`, trimmed to about 60 characters, in backticks for a message. */
function getNear(text: string, offset: number): string {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const lineEnd = text.indexOf("\n", offset);
  const line = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd);
  const column = offset - lineStart;
  const from = Math.max(0, column - 40);
  const excerpt = line.slice(from, from + 60).trim();
  // Backticks, not JSON.stringify: escaped quotes would make the agent's own JSON unreadable.
  return excerpt === "" ? "(end of text)" : `\`${excerpt}\``;
}
