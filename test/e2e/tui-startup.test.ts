/**
 * The terminal screens (ink, React, yoga's WebAssembly, src/tui) are loaded only by `bosun
 * monitor` and `bosun client`, and only once they know they have a terminal: every other command
 * starts without them. Read from dist/'s chunks and their source maps, as startup-imports does.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BOSUN_CLI, assertBosunBuilt } from "../helpers/run-bosun.js";

beforeAll(() => assertBosunBuilt());

const DIST = path.dirname(BOSUN_CLI);

/** `from"./x.js"` and `import"./x.js"`; not `import("./x.js")`, which loads only when it runs. */
const STATIC_IMPORT = /(?:\bfrom|\bimport)\s*["'](\.{1,2}\/[^"']+\.js)["']/g;

/** The screens' modules. */
const SCREEN_MODULES = [/node_modules\/(ink|react|react-reconciler|yoga-layout)\//, /^src\/tui\//];

/** The sources bundled into `file` and every chunk it imports statically. */
function readLoadedSources(file: string): string[] {
  const seen = new Set<string>();
  const sources = new Set<string>();
  const visit = (chunk: string): void => {
    if (seen.has(chunk)) return;
    seen.add(chunk);
    const map = JSON.parse(readFileSync(`${chunk}.map`, "utf8")) as { sources: string[] };
    for (const source of map.sources) {
      const full = path.resolve(path.dirname(chunk), source);
      const at = full.lastIndexOf("/node_modules/");
      sources.add(at >= 0 ? full.slice(at + 1) : path.relative(path.dirname(DIST), full));
    }
    for (const match of readFileSync(chunk, "utf8").matchAll(STATIC_IMPORT))
      visit(path.resolve(path.dirname(chunk), match[1] ?? ""));
  };
  visit(file);
  return [...sources];
}

/** The chunk whose first source is `source`. */
function findChunk(source: string): string {
  const chunks = path.join(DIST, "chunks");
  const found = readdirSync(chunks)
    .filter((name) => name.endsWith(".js"))
    .map((name) => path.join(chunks, name))
    .find((chunk) => readLoadedSources(chunk)[0] === source);
  if (found === undefined) throw new Error(`No chunk of dist/ starts with ${source}`);
  return found;
}

/** The chunk that bundles `source` (wherever it is among the chunk's own sources). */
function findChunkHolding(source: string): string {
  const chunks = path.join(DIST, "chunks");
  const found = readdirSync(chunks)
    .filter((name) => name.endsWith(".js"))
    .map((name) => path.join(chunks, name))
    .find((chunk) => {
      const map = JSON.parse(readFileSync(`${chunk}.map`, "utf8")) as { sources: string[] };
      return map.sources.some((entry) => entry.endsWith(source));
    });
  if (found === undefined) throw new Error(`No chunk of dist/ holds ${source}`);
  return found;
}

function findScreenModules(sources: readonly string[]): string[] {
  return sources.filter((source) => SCREEN_MODULES.some((pattern) => pattern.test(source)));
}

describe("what loads the terminal screens", () => {
  it("is neither bosun's start nor a read command", () => {
    expect(findScreenModules(readLoadedSources(BOSUN_CLI))).toEqual([]);
    for (const command of ["status", "board", "log", "asks", "answer", "stop"])
      expect(
        findScreenModules(readLoadedSources(findChunk(`src/cli/commands/${command}.ts`))),
      ).toEqual([]);
  });

  it("is monitor and client only once they run: their command modules load no screen", () => {
    for (const command of ["monitor", "client"])
      expect(
        findScreenModules(readLoadedSources(findChunk(`src/cli/commands/${command}.ts`))),
      ).toEqual([]);
    const screen = readLoadedSources(findChunkHolding("src/tui/run-screen.ts"));
    expect(screen.some((source) => source.startsWith("node_modules/ink/"))).toBe(true);
  });
});
