// Builds dist/: the CLI and the offline agent as ESM bundles with shared chunks. Bundling (not
// plain tsc output) because `bosun status` spent most of its time resolving ~150 small ES modules.
import { build } from "esbuild";
import { cp, rm } from "node:fs/promises";
import { REQUIRE_BANNER, zodTreeShaking, zodWithoutLocales } from "./esbuild-plugins.mjs";

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
  banner: { js: REQUIRE_BANNER },
  // ink loads React's devtools bridge only under DEV=true and only when it is installed; bosun
  // never ships it, so the import stays a (never taken) runtime lookup.
  external: ["react-devtools-core"],
  // React's production build, for the terminal screens: its development build is larger and
  // slower, and nothing else in bosun reads NODE_ENV.
  define: { "process.env.NODE_ENV": '"production"' },
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

// The dashboard's page ships as it is written (plain ES modules, no build step for the user);
// the server finds it at dist/dashboard/static/ when it runs from the bundle.
await cp(
  new URL("../src/dashboard/static", import.meta.url),
  new URL("../dist/dashboard/static", import.meta.url),
  { recursive: true },
);
