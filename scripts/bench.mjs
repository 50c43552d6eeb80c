// `npm run bench`: bundles bench/run.ts with bosun's sources the way the CLI's build does and
// runs it with plain node. Run through tsx instead, the benchmark's process would hold tsx and
// TypeScript's transpiled modules: twice the memory of the shipped CLI, and every fork of git or
// an agent (the team run's main cost) slower for it.
import { build } from "esbuild";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { REQUIRE_BANNER, zodTreeShaking, zodWithoutLocales } from "./esbuild-plugins.mjs";

// Another entry (a benchmark of one thing) may be given: `node scripts/bench.mjs bench/x.ts`.
// Its own arguments follow, and it reads them where it would find them run directly.
const entry = process.argv[2] ?? "bench/run.ts";
process.argv.splice(2, 1);
// One level below the package root, as bench/ is: bench/util.ts finds the root from its location.
const outfile = fileURLToPath(
  new URL(`../.bench-build/${path.basename(entry, ".ts")}.mjs`, import.meta.url),
);
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  plugins: [zodWithoutLocales, zodTreeShaking],
  banner: { js: REQUIRE_BANNER },
  // Loaded from node_modules as it is: its bundle finds its own files from __dirname.
  external: ["playwright-core"],
});
await import(outfile);
