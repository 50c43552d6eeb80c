/**
 * What the built CLI loads before it does anything: the static imports of `dist/cli.js` and of the
 * `status` and `board` command chunks, read from the chunks and their source maps. Every module
 * loaded costs start-up time on each command (compiling it, building its schemas), so the read
 * commands must not pull in the journal's schemas, the plan's, YAML, git or all of zod.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BOSUN_CLI, assertBosunBuilt } from "../helpers/run-bosun.js";

beforeAll(() => assertBosunBuilt());

const DIST = path.dirname(BOSUN_CLI);

/** `from"./x.js"` and `import"./x.js"`; not `import("./x.js")`, which loads only when it runs. */
const STATIC_IMPORT = /(?:\bfrom|\bimport)\s*["'](\.{1,2}\/[^"']+\.js)["']/g;

/** The sources (repository paths) bundled into `file` and every chunk it imports statically. */
function readLoadedSources(file: string): string[] {
  const seen = new Set<string>();
  const sources = new Set<string>();
  const visit = (chunk: string): void => {
    if (seen.has(chunk)) return;
    seen.add(chunk);
    const map = JSON.parse(readFileSync(`${chunk}.map`, "utf8")) as { sources: string[] };
    for (const source of map.sources)
      sources.add(toRepoPath(path.resolve(path.dirname(chunk), source)));
    for (const match of readFileSync(chunk, "utf8").matchAll(STATIC_IMPORT))
      visit(path.resolve(path.dirname(chunk), match[1] ?? ""));
  };
  visit(file);
  return [...sources];
}

/** `src/…` for bosun's sources, `node_modules/…` for packages, wherever they really are. */
function toRepoPath(file: string): string {
  const at = file.lastIndexOf("/node_modules/");
  return at >= 0 ? file.slice(at + 1) : path.relative(path.dirname(DIST), file);
}

/** The chunk a command's module was bundled into. */
function findCommandChunk(source: string): string {
  const chunks = path.join(DIST, "chunks");
  const found = readdirSync(chunks)
    .filter((name) => name.endsWith(".js"))
    .map((name) => path.join(chunks, name))
    .find((chunk) => readLoadedSources(chunk)[0] === source);
  if (found === undefined) throw new Error(`No chunk of dist/ starts with ${source}`);
  return found;
}

/** The loaded sources matching any of `patterns`. */
function findLoaded(sources: readonly string[], patterns: readonly RegExp[]): string[] {
  return sources.filter((source) => patterns.some((pattern) => pattern.test(source)));
}

/** Modules no read command needs: journal and plan schemas, YAML, git, the JSON Schema part of zod. */
const HEAVY_FOR_READS = [
  /^src\/store\/schema\/(events|plan|config)\.ts$/,
  /^src\/workspace\/git\.ts$/,
  /^node_modules\/yaml\//,
  /^node_modules\/zod\/v4\/classic\/from-json-schema\.js$/,
];

describe("what the built CLI loads at start", () => {
  it("loads neither zod nor any schema before a command is chosen", () => {
    const sources = readLoadedSources(BOSUN_CLI);
    expect(sources).toContain("src/cli/main.ts");
    expect(
      findLoaded(sources, [/^node_modules\/zod\//, /^src\/store\/schema\/(?!config-defaults)/]),
    ).toEqual([]);
    expect(findLoaded(sources, HEAVY_FOR_READS)).toEqual([]);
    // The dashboard's server is loaded by bosun dashboard alone.
    expect(findLoaded(sources, [/^node_modules\/(hono|@hono)\//, /^src\/dashboard\//])).toEqual([]);
  });

  it("runs bosun status with run.json's schema alone", () => {
    const sources = readLoadedSources(findCommandChunk("src/cli/commands/status.ts"));
    expect(sources).toContain("src/store/schema/run.ts");
    expect(findLoaded(sources, HEAVY_FOR_READS)).toEqual([]);
    expect(
      findLoaded(sources, [/^src\/store\/(jsonl|run-read)\.ts$/, /^src\/cli\/printer\.ts$/]),
    ).toEqual([]);
  });

  it("runs bosun board with board.json's schema alone, the rebuild loaded only when needed", () => {
    const sources = readLoadedSources(findCommandChunk("src/cli/commands/board.ts"));
    expect(sources).toContain("src/store/schema/board.ts");
    expect(findLoaded(sources, HEAVY_FOR_READS)).toEqual([]);
    expect(
      findLoaded(sources, [
        /^src\/flows\//,
        /^src\/store\/(jsonl|run-read)\.ts$/,
        /^src\/cli\/printer\.ts$/,
      ]),
    ).toEqual([]);
  });
});
