/** Test runner config: unit tests next to sources, CLI-level tests in test/e2e. */
import { defineConfig } from "vitest/config";

export const config = defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "bench/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real agent CLIs are heavy processes; two cores cannot run many at once.
    maxWorkers: 2,
    pool: "forks",
  },
});

// vitest needs a default export to find its config; it is the one exception to named exports.
export default config;
