import { describe, expect, it } from "vitest";
import { describeWorldChanges, type WorldSnapshot } from "./world.js";

function makeSnapshot(overrides: Partial<WorldSnapshot> = {}): WorldSnapshot {
  return {
    version: 1,
    playbookSha: "p1",
    goals: { ci: "g1" },
    signals: { ci: "green" },
    openAskIds: [],
    runs: {},
    workers: {},
    ...overrides,
  };
}

describe("what changed since the last decision", () => {
  it("says where a new run or worker stands, not only that it is new", () => {
    // The run the last decision started has often ended by the next beat.
    const before = makeSnapshot();
    const after = makeSnapshot({
      runs: { "20261203-141120-aa06": "succeeded" },
      workers: { fixer: "waiting-ask" },
      signals: { ci: "green", queue: { depth: 3 } },
      goals: { ci: "g1", docs: "g2" },
    });
    expect(describeWorldChanges(before, after)).toEqual([
      "goal docs is new",
      'sensor queue is new: signal {"depth":3}',
      'run 20261203-141120-aa06 is new: "succeeded"',
      'worker fixer is new: "waiting-ask"',
    ]);
  });

  it("names each change from one value to the next, and what is gone", () => {
    const before = makeSnapshot({ runs: { r1: "running" }, openAskIds: ["ask-1"] });
    const after = makeSnapshot({
      playbookSha: "p2",
      signals: { ci: "red" },
      runs: {},
      workers: {},
      openAskIds: ["ask-2"],
    });
    expect(describeWorldChanges(before, after)).toEqual([
      "the playbook changed",
      'sensor ci: signal "green" → "red"',
      "run r1 is gone",
      "asks opened: ask-2",
      "asks answered: ask-1",
    ]);
  });

  it("says so when nothing changed, and when there is nothing to compare with", () => {
    expect(describeWorldChanges(makeSnapshot(), makeSnapshot())).toEqual([
      "nothing that counts changed",
    ]);
    expect(describeWorldChanges(null, makeSnapshot())).toEqual([
      "first decision: everything is new",
    ]);
  });
});
