import { describe, expect, it } from "vitest";
import type { GateResult } from "../store/schema/reports.js";
import { runRound, type Gate, type GateJournal } from "./round.js";

function makeJournal(initial: GateResult[] = []): GateJournal & { written: GateResult[] } {
  const written: GateResult[] = [...initial];
  return {
    written,
    readGate: (name) => written.find((gate) => gate.name === name),
    writeGate: (result) => {
      written.push(result);
      return Promise.resolve();
    },
  };
}

function makeGate(name: string, passed: boolean, calls: string[]): Gate<{ id: number }> {
  return {
    name,
    run: () => {
      calls.push(name);
      return Promise.resolve({
        passed,
        detail: name,
        fixItems: passed ? [] : [{ source: "verify", reason: `${name} failed` }],
      });
    },
  };
}

describe("runRound", () => {
  it("accepts when every gate passes and the verifier approves", async () => {
    const calls: string[] = [];
    const verdict = await runRound(makeJournal(), {
      produce: () => Promise.resolve({ kind: "done", value: { id: 1 } }),
      gates: [makeGate("a", true, calls), makeGate("b", true, calls)],
      verifier: () =>
        Promise.resolve({ kind: "done", value: { decision: "approve", fixItems: [] } }),
    });
    expect(verdict.verdict).toBe("accept");
    expect(calls).toEqual(["a", "b"]);
  });

  it("stops at the first failed gate and never calls the verifier", async () => {
    const calls: string[] = [];
    let isVerifierCalled = false;
    const verdict = await runRound(makeJournal(), {
      produce: () => Promise.resolve({ kind: "done", value: { id: 1 } }),
      gates: [makeGate("a", false, calls), makeGate("b", true, calls)],
      verifier: () => {
        isVerifierCalled = true;
        return Promise.resolve({ kind: "done", value: { decision: "approve", fixItems: [] } });
      },
    });
    expect(verdict).toEqual({
      verdict: "fix",
      fixItems: [{ source: "verify", reason: "a failed" }],
    });
    expect(calls).toEqual(["a"]);
    expect(isVerifierCalled).toBe(false);
  });

  it("reuses journaled gate results instead of running the gate again", async () => {
    const calls: string[] = [];
    const journal = makeJournal([{ name: "a", passed: true, detail: "earlier", fixItems: [] }]);
    await runRound(journal, {
      produce: () => Promise.resolve({ kind: "done", value: { id: 1 } }),
      gates: [makeGate("a", true, calls), makeGate("b", true, calls)],
    });
    expect(calls).toEqual(["b"]);
    expect(journal.written.map((gate) => gate.name)).toEqual(["a", "b"]);
  });

  it("turns changes_required into a fix verdict with the verifier's items", async () => {
    const verdict = await runRound(makeJournal(), {
      produce: () => Promise.resolve({ kind: "done", value: { id: 1 } }),
      gates: [],
      verifier: () =>
        Promise.resolve({
          kind: "done",
          value: { decision: "changes_required", fixItems: [{ source: "review", reason: "x" }] },
        }),
    });
    expect(verdict).toEqual({ verdict: "fix", fixItems: [{ source: "review", reason: "x" }] });
  });

  it("passes a producer's early verdict straight through", async () => {
    const verdict = await runRound(makeJournal(), {
      produce: () =>
        Promise.resolve({
          kind: "verdict",
          verdict: { verdict: "escalate", reason: "agent failed", fixItems: [] },
        }),
      gates: [makeGate("a", true, [])],
    });
    expect(verdict.verdict).toBe("escalate");
  });

  it("takes a production that has a field named verdict for a production, not a verdict", async () => {
    const verdict = await runRound(makeJournal(), {
      produce: () => Promise.resolve({ kind: "done", value: { verdict: "escalate" } }),
      gates: [],
    });
    expect(verdict.verdict).toBe("accept");
  });

  it("escalates on a failed gate that says a human must look, skipping the verifier", async () => {
    let isVerifierCalled = false;
    const verdict = await runRound(makeJournal(), {
      produce: () => Promise.resolve({ kind: "done", value: { id: 1 } }),
      gates: [
        {
          name: "protected",
          run: () =>
            Promise.resolve({
              passed: false,
              detail: "test/a.test.ts was changed",
              fixItems: [{ source: "protected", reason: "restore test/a.test.ts" }],
              isEscalation: true,
            }),
        },
      ],
      verifier: () => {
        isVerifierCalled = true;
        return Promise.resolve({ kind: "done", value: { decision: "approve", fixItems: [] } });
      },
    });
    expect(verdict).toEqual({
      verdict: "escalate",
      reason: "gate protected: test/a.test.ts was changed",
      fixItems: [{ source: "protected", reason: "restore test/a.test.ts" }],
    });
    expect(isVerifierCalled).toBe(false);
  });
});
