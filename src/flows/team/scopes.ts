/**
 * Whether two tasks' scopes (paths and globs they expect to change) can name the same file: the
 * scheduler's hint for which tasks are better not run side by side.
 *
 * Hand-written on purpose. picomatch and minimatch sit in node_modules only as dev tools'
 * dependencies (bosun does not depend on them, and they ship no types here), and both answer a
 * different question, "does this path match this glob": two scopes overlap when some path could
 * match both globs, a question about two patterns that neither library can answer.
 */

/**
 * The glob syntax understood, in paths relative to the repository root:
 * - `**` as a whole segment: any number of segments, none included;
 * - `*` inside a segment: any characters but `/` (a leading dot included, unlike shells: a scope
 *   is better too wide than too narrow);
 * - `?`: one character but `/`;
 * - `{a,b}`: either alternative (nesting allowed);
 * - anything else is literal, `[` and `]` included, since `src/app/[id]/page.tsx` is a real path.
 * A directory covers everything under it: an entry that ends in `/`, or whose last segment is
 * plain text that does not look like a file name (`src/store`, `.github`, `v1.2`; not
 * `src/cli.ts`). A glob covers what it matches, as in git and minimatch: `src/*` is the entries
 * of `src/`, not the files in its subdirectories (write `src/` or `src/**` for those).
 */
export function scopesOverlap(a: readonly string[], b: readonly string[]): boolean {
  return findScopeOverlap(a, b) !== undefined;
}

/** The first pair of entries (one of `a`, one of `b`) that can name the same file, if any. */
export function findScopeOverlap(
  a: readonly string[],
  b: readonly string[],
): [string, string] | undefined {
  const patternsB = b.map((entry) => ({ entry, patterns: compileScope(entry) }));
  for (const entryA of a) {
    const patternsA = compileScope(entryA);
    for (const { entry: entryB, patterns } of patternsB) {
      // undefined: too many brace alternatives to compare; say they overlap, the safe answer
      // for a hint that only orders work.
      if (patternsA === undefined || patterns === undefined) return [entryA, entryB];
      if (patternsA.some((pa) => patterns.some((pb) => patternsIntersect(pa, pb)))) {
        return [entryA, entryB];
      }
    }
  }
  return undefined;
}

/** Most alternatives one entry's braces may expand to before it is treated as "anything". */
const MAX_BRACE_EXPANSIONS = 256;

/** A compiled scope entry: one segment list per brace alternative (a directory ends in `**`). */
type Pattern = readonly string[];

/** Expands braces and splits into normalized segments; undefined when there are too many. */
function compileScope(entry: string): Pattern[] | undefined {
  const expanded = expandBraces(entry);
  if (expanded === undefined) return undefined;
  return expanded.map((alternative) => {
    const segments = alternative
      .split("/")
      .filter((segment) => segment !== "" && segment !== ".")
      .map((segment) =>
        segment.includes("**") && segment !== "**" ? segment.replace(/\*+/g, "*") : segment,
      );
    const last = segments[segments.length - 1];
    if (last === undefined || alternative.endsWith("/") || isDirectoryName(last)) {
      segments.push("**");
    }
    return segments;
  });
}

/**
 * True when a last segment names a directory as far as the text can tell: plain text without
 * a file extension. Only the file system knows for sure; guessing "file" for `node.js/` written
 * without its slash costs no more than a missed overlap, which the merge step still catches.
 */
function isDirectoryName(segment: string): boolean {
  if (/[*?]/.test(segment)) return false;
  return !/[^.]\.[A-Za-z][A-Za-z0-9]*$/.test(segment);
}

/** `{a,b}` alternatives, nested ones too; undefined past MAX_BRACE_EXPANSIONS. */
function expandBraces(text: string): string[] | undefined {
  const open = findBraceGroup(text);
  if (open === undefined) return [text];
  const { start, end, alternatives } = open;
  const results: string[] = [];
  for (const alternative of alternatives) {
    const expanded = expandBraces(text.slice(0, start) + alternative + text.slice(end + 1));
    if (expanded === undefined) return undefined;
    results.push(...expanded);
    if (results.length > MAX_BRACE_EXPANSIONS) return undefined;
  }
  return results;
}

/**
 * The first `{…}` holding a top-level comma, with its alternatives. Braces without a comma, or
 * unbalanced ones, are literal, as in bash.
 */
function findBraceGroup(
  text: string,
): { start: number; end: number; alternatives: string[] } | undefined {
  for (let start = text.indexOf("{"); start !== -1; start = text.indexOf("{", start + 1)) {
    let depth = 0;
    let partStart = start + 1;
    const alternatives: string[] = [];
    for (let i = start; i < text.length; i++) {
      const char = text[i];
      if (char === "{") depth++;
      else if (char === "}") depth--;
      else if (char === "," && depth === 1) {
        alternatives.push(text.slice(partStart, i));
        partStart = i + 1;
      }
      if (depth === 0) {
        if (alternatives.length === 0) break;
        alternatives.push(text.slice(partStart, i));
        return { start, end: i, alternatives };
      }
    }
  }
  return undefined;
}

/**
 * True when some path matches both segment patterns. A walk over pairs of positions: a `**` may
 * match no segment (step past it) or one more (stay on it while the other side steps); two
 * ordinary segments step together when some name matches both. O(|a|·|b|) pairs.
 */
function patternsIntersect(a: Pattern, b: Pattern): boolean {
  return walkPairs(a.length, b.length, (i, j, visit) => {
    const sa = a[i];
    const sb = b[j];
    if (sa === "**") visit(i + 1, j);
    if (sb === "**") visit(i, j + 1);
    if (sa === undefined || sb === undefined) return;
    if (sa === "**" && sb !== "**") visit(i, j + 1);
    else if (sb === "**" && sa !== "**") visit(i + 1, j);
    else if (sa !== "**" && segmentsIntersect(sa, sb)) visit(i + 1, j + 1);
  });
}

/**
 * True when some file name matches both segment globs (`*`, `?`, literals). The same walk over
 * character positions: a `*` may match nothing (step past it) or one more character (stay on it
 * while the other side steps over a `?` or a literal). O(|a|·|b|) pairs.
 */
function segmentsIntersect(a: string, b: string): boolean {
  return walkPairs(a.length, b.length, (i, j, visit) => {
    const ca = a[i];
    const cb = b[j];
    if (ca === "*") visit(i + 1, j);
    if (cb === "*") visit(i, j + 1);
    if (ca === undefined || cb === undefined) return;
    if (ca === "*" && cb !== "*") visit(i, j + 1);
    else if (cb === "*" && ca !== "*") visit(i + 1, j);
    else if (ca !== "*" && (ca === "?" || cb === "?" || ca === cb)) visit(i + 1, j + 1);
  });
}

/**
 * Reachability over position pairs (i, j) from (0, 0) to (lengthA, lengthB), each pair visited
 * once; `step` calls `visit` for each pair reachable in one move.
 */
function walkPairs(
  lengthA: number,
  lengthB: number,
  step: (i: number, j: number, visit: (i: number, j: number) => void) => void,
): boolean {
  const width = lengthB + 1;
  const isSeen = new Uint8Array((lengthA + 1) * width);
  const queue: number[] = [0];
  isSeen[0] = 1;
  const visit = (i: number, j: number): void => {
    if (i > lengthA || j > lengthB || isSeen[i * width + j] === 1) return;
    isSeen[i * width + j] = 1;
    queue.push(i * width + j);
  };
  for (let head = 0; head < queue.length; head++) {
    const cell = queue[head] ?? 0;
    const i = Math.floor(cell / width);
    const j = cell % width;
    if (i === lengthA && j === lengthB) return true;
    step(i, j, visit);
  }
  return false;
}
