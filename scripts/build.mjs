// Builds dist/: the CLI and the offline agent as ESM bundles with shared chunks. Bundling (not
// plain tsc output) because `bosun status` spent most of its time resolving ~150 small ES modules.
import { build } from "esbuild";
import { readFile, rm } from "node:fs/promises";

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

/**
 * bosun's sources import zod as `import { z } from "zod"`, and esbuild keeps every export of a
 * namespace re-exported that way (zod's index has `export { z }`): all of zod, built at each start
 * (~40% of `bosun status`). Read as `import * as z from "zod"` (the same members: zod's index
 * re-exports the namespace's exports), each `z.object` is a plain import and the parts of zod
 * bosun never calls (fromJSONSchema, the JIT compiler, schema kinds it does not use) are left out.
 */
const zodTreeShaking = {
  name: "zod-tree-shaking",
  setup(builder) {
    builder.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      return {
        contents: source.replaceAll('import { z } from "zod";', 'import * as z from "zod";'),
        loader: "ts",
      };
    });
  },
};

/**
 * A module zod keeps only while the whole of zod is bundled. If it is in the output again, some
 * source uses the `z` namespace as a value (not `z.<name>`): find it, or drop this check.
 */
const ZOD_CANARY = "/zod/v4/classic/from-json-schema.js";

await rm(new URL("../dist", import.meta.url), { recursive: true, force: true });
const result = await build({
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
  plugins: [zodWithoutLocales, zodTreeShaking],
  metafile: true,
  // commander is CommonJS and requires Node built-ins; give the ESM bundle a `require` for it.
  banner: {
    js: "import { createRequire as __bosunCreateRequire } from 'node:module'; const require = __bosunCreateRequire(import.meta.url);",
  },
});
// Input paths are relative to the cwd, through wherever node_modules really is.
const hasWholeZod = Object.values(result.metafile.outputs).some((output) =>
  Object.entries(output.inputs).some(
    ([input, { bytesInOutput }]) => input.endsWith(ZOD_CANARY) && bytesInOutput > 0,
  ),
);
if (hasWholeZod) {
  throw new Error(
    `dist/ bundles all of zod again (${ZOD_CANARY} is in it): a source uses the z namespace as a value, which turns tree shaking off. Use z.<name> only.`,
  );
}
