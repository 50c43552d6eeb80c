import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeDispatchResult } from "../../../test/helpers/dispatch-result.js";
import { makeTestDir } from "../../../test/helpers/testdir.js";
import type { AgentRunner } from "../../agents/dispatch.js";
import { createBosunPaths } from "../../store/paths.js";
import { DEFAULT_CONFIG } from "../../store/schema/config.js";
import { readDaemonInfo, runPulseDaemon } from "./daemon.js";
import type { PulseEnv } from "./pulse-env.js";

describe("the pulse daemon", () => {
  it("keeps running when a schedule file is damaged, and says so each beat", async () => {
    const root = await makeTestDir();
    const paths = createBosunPaths(root);
    await mkdir(paths.pulse.schedulesDir, { recursive: true });
    await writeFile(path.join(paths.pulse.schedulesDir, "half-saved.json"), "{bad");
    const runner: AgentRunner = () =>
      Promise.resolve({
        ...makeDispatchResult(0),
        finalText: JSON.stringify({ critique: "quiet", actions: [{ type: "noop" }] }),
      });
    const controller = new AbortController();
    const lines: string[] = [];
    const env: PulseEnv & { signal: AbortSignal } = {
      repoRoot: root,
      paths,
      config: { ...DEFAULT_CONFIG, pulse: { ...DEFAULT_CONFIG.pulse, brain: "offline" } },
      cliPath: "/nonexistent/bosun.js",
      runner,
      now: () => Date.now(),
      log: (line) => lines.push(line),
      signal: controller.signal,
    };
    let failure: unknown;
    const daemon = runPulseDaemon(env).catch((error: unknown) => {
      failure = error;
    });
    await expect.poll(async () => (await readDaemonInfo(env))?.lastBeat).toContain("half-saved");
    // One turn of the event loop past the beat: a daemon that died would have rejected by now.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(failure).toBeUndefined();
    controller.abort();
    await daemon;
    expect(failure).toBeUndefined();
    expect(lines.join("\n")).toContain("cannot tell when to beat next");
  });
});
