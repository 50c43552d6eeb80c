// esbuild settings shared by the CLI's build (build.mjs) and the benchmark's (bench.mjs), so the
// benchmark measures the code as it ships.
import { readFile } from "node:fs/promises";

/**
 * zod re-exports all ~50 message locales as `z.locales`; bosun uses only the default English one
 * (loaded separately by zod), so the index of the others is replaced by an empty module. It is
 * a third of zod's size and it would be parsed on every start.
 */
export const zodWithoutLocales = {
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
export const zodTreeShaking = {
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

/** commander is CommonJS and requires Node built-ins: an ESM bundle needs a `require` for it. */
export const REQUIRE_BANNER =
  "import { createRequire as __bosunCreateRequire } from 'node:module'; const require = __bosunCreateRequire(import.meta.url);";
