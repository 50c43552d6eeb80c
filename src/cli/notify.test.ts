import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  makeDispatch,
  makeJournal,
  makeTeamCreated,
  TEAM_RUN_ID,
} from "../../test/helpers/team-run.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { createEventBus } from "../flows/event-bus.js";
import { createBosunPaths } from "../store/paths.js";
import { DEFAULT_CONFIG } from "../store/schema/config-defaults.js";
import type { Config } from "../store/schema/config.js";
import type { RunEvent } from "../store/schema/events.js";
import { getNotifyArgv, subscribeNotifier } from "./notify.js";

/** A bus with a notifier whose command appends its stdin to `received` in a test dir. */
async function makeNotifier(notify: Partial<Config["notify"]> = {}) {
  const dir = await makeTestDir();
  const received = path.join(dir, "received.jsonl");
  const bus = createEventBus();
  const warnings: string[] = [];
  bus.subscribe((event) => {
    if (event.type === "warning") warnings.push(event.message);
  });
  const notifier = subscribeNotifier(
    { ...DEFAULT_CONFIG.notify, command: `cat >> '${received}'`, ...notify },
    {
      events: bus,
      getPaths: () => Promise.resolve(createBosunPaths(dir)),
      getCwd: () => Promise.resolve(dir),
    },
  );
  if (notifier === undefined) throw new Error("a notify command was given");
  const publish = (events: readonly RunEvent[]): void => {
    for (const event of events) bus.publish({ ...event, runId: TEAM_RUN_ID });
  };
  const readReceived = async (): Promise<Array<Record<string, unknown>>> => {
    await notifier.drain();
    const text = await readFile(received, "utf8").catch(() => "");
    return text
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  return { publish, readReceived, warnings };
}

describe("subscribeNotifier", () => {
  it("sends budget.near once, when a run's spend first reaches 80% of its cap", async () => {
    const { publish, readReceived } = await makeNotifier();
    // A $5 cap: $3.90 is 78%, $4.10 is 82%, $4.50 is 90% (already told).
    publish(
      makeJournal([
        makeTeamCreated(),
        ...makeDispatch("a", 1, "worker", "claude", 3.9),
        ...makeDispatch("b", 1, "worker", "claude", 0.2),
        ...makeDispatch("c", 1, "worker", "claude", 0.4),
      ]),
    );
    const received = await readReceived();
    expect(received).toMatchObject([
      {
        contract: 1,
        kind: "budget.near",
        runId: TEAM_RUN_ID,
        budget: { spentUsd: expect.closeTo(4.1, 5) as number, capUsd: 5 },
        event: { type: "dispatch.completed", taskId: "b" },
      },
    ]);
    expect(received[0]?.["message"]).toContain("82%");
  });

  it("sends only the kinds listed in notify.on, in event order", async () => {
    const { publish, readReceived } = await makeNotifier({
      on: ["run.finished", "budget.exhausted"],
    });
    publish(
      makeJournal([
        makeTeamCreated(),
        ...makeDispatch("a", 1, "worker", "claude", 4.5),
        { type: "budget.exhausted", scope: "run", limitUsd: 5, spentUsd: 4.9 },
        { type: "run.completed", status: "budget_exhausted", reason: "the cap" },
      ]),
    );
    expect((await readReceived()).map((notification) => notification["kind"])).toEqual([
      "budget.exhausted",
      "run.finished",
    ]);
  });

  it("turns a command that runs over notify.timeoutSec into a warning", async () => {
    const { publish, readReceived, warnings } = await makeNotifier({
      command: "sleep 30",
      timeoutSec: 0.2,
    });
    publish(
      makeJournal([makeTeamCreated(), { type: "run.completed", status: "failed", reason: "x" }]),
    );
    await readReceived();
    expect(warnings).toEqual([
      expect.stringContaining("failed on run.finished: it ran over notify.timeoutSec (0.2 s)"),
    ]);
  });
});

describe("getNotifyArgv", () => {
  it("runs a command line through the shell, an argv list as it is, and nothing for none", () => {
    expect(getNotifyArgv("ntfy publish bosun")).toEqual(["/bin/sh", "-c", "ntfy publish bosun"]);
    expect(getNotifyArgv(["notify-send", "bosun"])).toEqual(["notify-send", "bosun"]);
    expect(getNotifyArgv("  ")).toBeUndefined();
    expect(getNotifyArgv([])).toBeUndefined();
  });
});
