// Builds dist/: the CLI and the offline agent as ESM bundles with shared chunks. Bundling (not
// plain tsc output) because `bosun status` spent most of its time resolving ~150 small ES modules.
import { build } from "esbuild";
import { rm } from "node:fs/promises";

/**
 * zod re-exports all ~50 message locales as `z.locales`; bosun uses only the default English one
 * (loaded separately by zod), so the index of the others is replaced by an empty module. It is
 * a third of zod's size and it would be parsed on every start.
 */
const zodWithoutLocales = {
  name: "zod-without-locales",
  setup(builder) {
    builder.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${"node_modules"}/zod/`)
        ? { path: "zod-locales", namespace: "bosun-empty" }
        : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: "bosun-empty" }, () => ({
      contents: "export {};",
      loader: "js",
    }));
  },
};

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
  minify: true,
  logLevel: "warning",
  // commander is CommonJS and requires Node built-ins; give the ESM bundle a `require` for it.
  plugins: [zodWithoutLocales],
  banner: {
    js: "import { createRequire as __bosunCreateRequire } from 'node:module'; const require = __bosunCreateRequire(import.meta.url);",
  },
});
