/**
 * `bosun dashboard` that cannot listen, through the built CLI: it says why, naming the port and
 * `--port`, and exits 1 at once instead of hanging on the watchers it had started.
 */
import { createServer, type Server } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { createOfflineRepo, useOfflineRepos } from "../helpers/offline-repo.js";
import { expectNoInternalError } from "../helpers/run-bosun.js";

/** A hung dashboard is killed after this, and the test fails on its exit code. */
const CLI_TIMEOUT_MS = 15_000;

const repos = useOfflineRepos();

/** Listens on a free loopback port, closed after the test; resolves with the port. */
async function takePort(): Promise<number> {
  const server: Server = createServer();
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("bosun dashboard that cannot listen", () => {
  it("exits 1 promptly on a taken port, naming the port and --port", async () => {
    const repo = await createOfflineRepo([], {}, { cliTimeoutMs: CLI_TIMEOUT_MS });
    repos.push(repo);
    const port = await takePort();
    const result = await repo.runCli(["dashboard", "--port", String(port)]);
    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toContain(
      `Cannot start the dashboard on 127.0.0.1:${port}: port ${port} is taken: give another with --port.`,
    );
    expect(result.durationMs).toBeLessThan(CLI_TIMEOUT_MS / 2);
  });

  it("exits 1 on an address this machine does not have", async () => {
    const repo = await createOfflineRepo([], {}, { cliTimeoutMs: CLI_TIMEOUT_MS });
    repos.push(repo);
    // TEST-NET-3 (RFC 5737): never one of this machine's addresses (EADDRNOTAVAIL).
    const result = await repo.runCli(["dashboard", "--host", "203.0.113.9", "--port", "0"]);
    expectNoInternalError(result);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toContain("Cannot start the dashboard on 203.0.113.9:0");
  });
});
