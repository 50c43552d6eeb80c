/**
 * Config problems as data (`ConfigIssue`: file, line, key, message) and as one readable line:
 * zod issues mapped to the YAML line they point at, unknown keys with the nearest known key.
 */
import type { Document, LineCounter } from "yaml";
import { isMap, isScalar } from "yaml";
import { z } from "zod";
import { ConfigError, type ConfigIssue } from "../errors.js";
import { WrittenConfigSchema } from "./schema/config.js";

/** Issues shown in one error message; the rest are counted (validate --json lists them all). */
const MAX_ISSUES_IN_MESSAGE = 5;

/** Builds the ConfigError for a list of issues: `Invalid <file>: <key>: <message> (line n); …`. */
export function createConfigError(
  issues: readonly ConfigIssue[],
  next = "Fix the file, then run the command again.",
): ConfigError {
  return new ConfigError(`${formatConfigIssues(issues)}. ${next}`, { issues });
}

/** One line for humans; a single whole-file problem reads `Invalid <file>:<line>: <message>`. */
export function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  const files = [...new Set(issues.map((issue) => issue.file))];
  return files
    .map((file) => {
      const mine = issues.filter((issue) => issue.file === file);
      const [only] = mine;
      if (mine.length === 1 && only !== undefined && only.key === "") {
        return `Invalid ${file}${only.line === undefined ? "" : `:${only.line}`}: ${only.message}`;
      }
      const shown = mine.slice(0, MAX_ISSUES_IN_MESSAGE).map(formatIssue);
      const more = mine.length - shown.length;
      return `Invalid ${file}: ${shown.join("; ")}${more > 0 ? `; and ${more} more` : ""}`;
    })
    .join(". ");
}

function formatIssue(issue: ConfigIssue): string {
  const key = issue.key === "" ? "" : `${issue.key}: `;
  const line = issue.line === undefined ? "" : ` (line ${issue.line})`;
  return `${key}${issue.message}${line}`;
}

/** Maps zod's issues for a parsed YAML document to ConfigIssues with lines and suggestions. */
export function getSchemaIssues(
  issues: readonly z.core.$ZodIssue[],
  doc: Document,
  lineCounter: LineCounter,
  file: string,
): ConfigIssue[] {
  const lineAt = (offset: number | undefined): number | undefined =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;
  const result: ConfigIssue[] = [];
  for (const issue of issues) {
    const where = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      const known = getKnownKeys(where);
      for (const key of issue.keys) {
        const suggestion = suggestKey(key, known);
        const hint =
          suggestion === undefined
            ? known.length === 0
              ? ""
              : ` (known keys here: ${known.join(", ")})`
            : `; did you mean "${suggestion}"?`;
        const line = lineAt(findKeyOffset(doc, where, key));
        result.push({
          file,
          ...(line === undefined ? {} : { line }),
          key: [...where, key].join("."),
          message: `unknown key${hint}`,
        });
      }
      continue;
    }
    const line = lineAt(findValueOffset(doc, where));
    result.push({
      file,
      ...(line === undefined ? {} : { line }),
      key: where.length === 0 ? "(root)" : where.join("."),
      message: issue.message,
    });
  }
  return result;
}

/** The keys the schema allows at a dot path (record keys such as agent names are any string). */
export function getKnownKeys(where: readonly string[]): string[] {
  let schema: unknown = WrittenConfigSchema;
  for (const key of where) {
    schema = unwrapOptional(schema);
    if (schema instanceof z.ZodObject) schema = schema.shape[key];
    else if (schema instanceof z.ZodRecord) schema = schema.valueType;
    else return [];
  }
  schema = unwrapOptional(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrapOptional(schema: unknown): unknown {
  let current = schema;
  while (current instanceof z.ZodOptional) current = current.unwrap();
  return current;
}

/**
 * The known key a typo most likely meant: same letters in another case, one a prefix of the
 * other (`timeout` → `timeoutSec`), or at most a third of its letters wrong, missing or swapped
 * (`maxRound`, `modle`).
 */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  const lower = unknown.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const candidate = key.toLowerCase();
    if (candidate === lower) return key;
    const isPrefix =
      lower.length >= 3 && (candidate.startsWith(lower) || lower.startsWith(candidate));
    const distance = isPrefix ? 1 : getEditDistance(lower, candidate);
    if (distance <= Math.max(1, Math.floor(key.length / 3)) && distance < (best?.distance ?? 99))
      best = { key, distance };
  }
  return best?.key;
}

/** Edit distance counting an insertion, a deletion, a substitution or a swap of neighbours as 1. */
function getEditDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (rows[i - 1]?.[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (rows[i - 1]?.[j - 1] ?? 0) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}

/** Offset of the key `key` in the mapping at `where`, if the document has it. */
function findKeyOffset(doc: Document, where: readonly string[], key: string): number | undefined {
  const map = where.length === 0 ? doc.contents : doc.getIn(where, true);
  if (!isMap(map)) return undefined;
  const pair = map.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
  return isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
}

/** Offset of the value at `where`, or of its nearest ancestor present in the document. */
function findValueOffset(doc: Document, where: readonly string[]): number | undefined {
  for (let length = where.length; length > 0; length -= 1) {
    const node: unknown = doc.getIn(where.slice(0, length), true);
    const range = getRange(node);
    if (range !== undefined) return range;
  }
  return getRange(doc.contents);
}

function getRange(node: unknown): number | undefined {
  if (typeof node !== "object" || node === null || !("range" in node)) return undefined;
  const { range } = node;
  return Array.isArray(range) && typeof range[0] === "number" ? range[0] : undefined;
}
