// Builds dist/: the CLI and the offline agent as ESM bundles with shared chunks. Bundling (not
// plain tsc output) because `bosun status` spent most of its time resolving ~150 small ES modules.
import { build } from "esbuild";
import { rm } from "node:fs/promises";

await rm(new URL("../dist", import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: ["src/cli.ts", "src/agents/offline/offline-agent.ts"],
  outdir: "dist",
  entryNames: "[name]",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  // commander is CommonJS and requires Node built-ins; give the ESM bundle a `require` for it.
  banner: { js: "import { createRequire as __bosunCreateRequire } from 'node:module'; const require = __bosunCreateRequire(import.meta.url);" },
});
