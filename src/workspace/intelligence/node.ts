/**
 * Node projects: the package manager from packageManager or the lockfile, the scripts of
 * package.json as that manager runs them, and well-known frameworks among the dependencies.
 */
import { z } from "zod";
import {
  clip,
  type DetectedCommand,
  type DetectedTool,
  type Detection,
  type CommandKind,
  type RepoView,
} from "./shared.js";

const DependencyMapSchema = z.record(z.string(), z.unknown()).optional().catch(undefined);

/** The parts of package.json the scanner reads; anything else is ignored. */
const PackageJsonSchema = z.object({
  scripts: DependencyMapSchema,
  dependencies: DependencyMapSchema,
  devDependencies: DependencyMapSchema,
  peerDependencies: DependencyMapSchema,
  optionalDependencies: DependencyMapSchema,
  packageManager: z.string().optional().catch(undefined),
});

/** npm package name → what to call it. */
const NODE_FRAMEWORKS: Readonly<Record<string, string>> = {
  react: "React",
  next: "Next.js",
  vue: "Vue",
  nuxt: "Nuxt",
  svelte: "Svelte",
  "@sveltejs/kit": "SvelteKit",
  "@angular/core": "Angular",
  "solid-js": "Solid",
  astro: "Astro",
  "@remix-run/react": "Remix",
  express: "Express",
  fastify: "Fastify",
  koa: "Koa",
  hono: "Hono",
  "@nestjs/core": "NestJS",
  electron: "Electron",
  "react-native": "React Native",
  expo: "Expo",
  graphql: "GraphQL",
  prisma: "Prisma",
  "drizzle-orm": "Drizzle",
  tailwindcss: "Tailwind CSS",
  typescript: "TypeScript",
  vite: "Vite",
  webpack: "webpack",
  esbuild: "esbuild",
  vitest: "Vitest",
  jest: "Jest",
  mocha: "Mocha",
  "@playwright/test": "Playwright",
  cypress: "Cypress",
  eslint: "ESLint",
  prettier: "Prettier",
  "@biomejs/biome": "Biome",
};

/** Script names for each kind, best first; `<name>:<variant>` scripts follow the exact name. */
const SCRIPT_NAMES: ReadonlyArray<readonly [CommandKind, readonly string[]]> = [
  ["test", ["test"]],
  ["build", ["build"]],
  ["lint", ["lint"]],
  ["typecheck", ["typecheck", "type-check", "check-types", "tsc"]],
  ["format", ["format", "fmt"]],
];

/** What `npm init` writes as `scripts.test`: a placeholder that always fails, not a test command. */
const NPM_PLACEHOLDER_TEST = /no test specified/;
/** package.json: manager, scripts, frameworks. */
export function detectNode(repo: RepoView): Partial<Detection> {
  const text = repo.text("package.json");
  if (text === undefined) return {};
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      warnings: [
        `package.json is not valid JSON (${why}); its scripts and dependencies were not read.`,
      ],
    };
  }
  const parsed = PackageJsonSchema.safeParse(data);
  if (!parsed.success)
    return {
      warnings: ["package.json is not a JSON object; its scripts and dependencies were not read."],
    };
  const pkg = parsed.data;
  const manager = getNodePackageManager(repo, pkg.packageManager);
  const scripts = Object.entries(pkg.scripts ?? {}).flatMap(([name, body]) =>
    typeof body === "string" ? [[name, body] as const] : [],
  );
  const commands: DetectedCommand[] = [];
  for (const [kind, names] of SCRIPT_NAMES) {
    const exact = names.flatMap((name) => scripts.filter(([script]) => script === name));
    const variants = names.flatMap((name) =>
      scripts.filter(([script]) => script.startsWith(`${name}:`)),
    );
    for (const [name, body] of [...exact, ...variants]) {
      if (name === "test" && NPM_PLACEHOLDER_TEST.test(body)) continue;
      commands.push({
        kind,
        command: runScript(manager.name, name),
        source: `package.json scripts.${name}: ${clip(body)}`,
      });
    }
  }
  const frameworks: DetectedTool[] = [];
  for (const field of [
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
  ] as const) {
    for (const name of Object.keys(pkg[field] ?? {})) {
      const display = NODE_FRAMEWORKS[name];
      if (
        display !== undefined &&
        Object.hasOwn(NODE_FRAMEWORKS, name) &&
        !frameworks.some((f) => f.name === display)
      )
        frameworks.push({ name: display, source: `package.json ${field}` });
    }
  }
  return { packageManagers: [manager], frameworks, commands };
}

type NodeManager = "npm" | "pnpm" | "yarn" | "bun";

function getNodePackageManager(
  repo: RepoView,
  declared: string | undefined,
): DetectedTool & { name: NodeManager } {
  const fromField = /^(npm|pnpm|yarn|bun)@/.exec(declared ?? "")?.[1];
  if (fromField === "npm" || fromField === "pnpm" || fromField === "yarn" || fromField === "bun")
    return { name: fromField, source: `package.json packageManager: ${declared}` };
  const locks: ReadonlyArray<readonly [string, NodeManager]> = [
    ["pnpm-lock.yaml", "pnpm"],
    ["yarn.lock", "yarn"],
    ["bun.lock", "bun"],
    ["bun.lockb", "bun"],
    ["package-lock.json", "npm"],
    ["npm-shrinkwrap.json", "npm"],
  ];
  for (const [file, name] of locks) if (repo.has(file)) return { name, source: file };
  return { name: "npm", source: "package.json (no lockfile; npm assumed)" };
}

/** How each package manager runs a script; `bun test` would run bun's own test runner instead. */
function runScript(manager: NodeManager, script: string): string {
  if (script === "test" && manager !== "bun") return `${manager} test`;
  return `${manager} run ${script}`;
}
