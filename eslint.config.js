// Typed lint for the whole repo; layer boundaries are enforced with no-restricted-imports.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const layer = (folder, forbidden) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: forbidden.map((name) => ({
          group: [`**/${name}/*`, `../${name}/*`, `../../${name}/*`],
          message: `src/${folder} must not import from src/${name} (dependencies point inward, see STYLE.md).`,
        })),
      },
    ],
  },
});

const SURFACES = ["cli", "tui", "web", "lanes", "dashboard"];

export default tseslint.config(
  { ignores: ["dist/**", ".bench-build/**", "node_modules/**", "coverage/**", "test/fixtures/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: true },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "ExportDefaultDeclaration", message: "Use named exports." },
        { selector: "TSEnumDeclaration", message: "Use string-literal unions." },
      ],
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/**/*.test.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-type-assertion": "error",
      "no-console": "error",
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/store/paths.ts", "src/**/*.test.ts"],
    rules: {
      "no-restricted-properties": [
        "error",
        { object: "os", property: "homedir", message: "Use store/paths.ts." },
        { object: "os", property: "tmpdir", message: "Use store/paths.ts." },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "ExportDefaultDeclaration", message: "Use named exports." },
        { selector: "TSEnumDeclaration", message: "Use string-literal unions." },
        {
          selector: "MemberExpression[object.name='process'][property.name='exit']",
          message: "Only main() ends the process.",
        },
      ],
    },
  },
  { files: ["src/cli/**/*.ts", "src/cli.ts", "src/tui/**/*.ts"], rules: { "no-console": "off" } },
  layer("proc", ["store", "workspace", "agents", "flows", "human", ...SURFACES]),
  layer("store", ["workspace", "agents", "flows", "human", ...SURFACES]),
  layer("workspace", ["store", "agents", "flows", "human", ...SURFACES]),
  layer("agents", ["workspace", "flows", "human", ...SURFACES]),
  layer("human", ["flows", ...SURFACES]),
  layer("flows", SURFACES),
  {
    files: ["**/*.js", "**/*.mjs", "vitest.config.ts"],
    rules: { "no-restricted-syntax": "off" },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, project: null },
      globals: { process: "readonly", console: "readonly", URL: "readonly" },
    },
  },
  {
    // The dashboard's page: plain ES modules run by the browser, not by node.
    files: ["src/dashboard/static/**/*.js"],
    languageOptions: {
      globals: Object.fromEntries(
        [
          "document",
          "window",
          "fetch",
          "requestAnimationFrame",
          "history",
          "location",
          "EventSource",
          "setInterval",
          "clearInterval",
          "console",
          "URL",
        ].map((name) => [name, "readonly"]),
      ),
    },
  },
);
