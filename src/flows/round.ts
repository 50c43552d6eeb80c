/**
 * The round, the one primitive every loop is built from: a producer works, gates check what it
 * produced (cheap, deterministic checks first), and a verifier judges it only when every gate
 * passed. The result is a verdict: accept, fix (with the list of what to fix), or escalate.
 * Each step is journaled by the caller, so a resumed round skips what already finished.
 */
import type { FixItem, GateResult } from "../store/schema/reports.js";

/** Outcome of a gate. */
export interface GateOutcome {
  /** True when the gate passed. */
  passed: boolean;
  /** One-line explanation. */
  detail: string;
  /** What the next round must fix when it failed. */
  fixItems: FixItem[];
  /**
   * True when a failure is not "fix it next round" but a human's call (a worker that weakened its
   * own tests, wrote outside its worktree): the round escalates instead.
   */
  isEscalation?: boolean;
}

/** A check on what the producer made (report schema, no-op, verify command, protected files…). */
export interface Gate<P> {
  /** Name recorded in gates.json and events. */
  name: string;
  /** Runs the check. */
  run(production: P): Promise<GateOutcome>;
}

/** The verifier's judgement (a reviewer, a critic). */
export interface VerifierOutcome {
  /** approve → accept; changes_required → fix. */
  decision: "approve" | "changes_required";
  /** Items for the next round. */
  fixItems: FixItem[];
}

/** What a round decided. */
export type RoundVerdict =
  | { verdict: "accept"; fixItems: FixItem[] }
  | { verdict: "fix"; fixItems: FixItem[] }
  | { verdict: "escalate"; reason: string; fixItems: FixItem[] };

/** Durable memory of gate results within one round. */
export interface GateJournal {
  /** The recorded result of a gate, if it already ran. */
  readGate(name: string): GateResult | undefined;
  /** Records a gate result (on disk, before the next step). */
  writeGate(result: GateResult): Promise<void>;
}

/** What the producer (or verifier) step gave: its work, or a verdict that ends the round early. */
export type StepResult<T> = { kind: "done"; value: T } | { kind: "verdict"; verdict: RoundVerdict };

/** The parts of one round. */
export interface RoundParts<P> {
  /** Runs (or recovers) the producer; may end the round early with a verdict. */
  produce(): Promise<StepResult<P>>;
  /** Gates, in order; the first failure stops the rest (later gates assume earlier ones). */
  gates: ReadonlyArray<Gate<P>>;
  /** Runs (or recovers) the verifier (reviewer, critic) once every gate passed; may end with a verdict. */
  verifier?(production: P): Promise<StepResult<VerifierOutcome>>;
}

/** Runs one round to its verdict. */
export async function runRound<P>(
  journal: GateJournal,
  parts: RoundParts<P>,
): Promise<RoundVerdict> {
  const produced = await parts.produce();
  if (produced.kind === "verdict") return produced.verdict;
  const production = produced.value;
  for (const gate of parts.gates) {
    let result = journal.readGate(gate.name);
    if (result === undefined) {
      const startedAt = performance.now();
      const outcome = await gate.run(production);
      result = {
        name: gate.name,
        ...outcome,
        durationMs: Math.round(performance.now() - startedAt),
      };
      await journal.writeGate(result);
    }
    if (result.passed) continue;
    if (result.isEscalation === true)
      return {
        verdict: "escalate",
        reason: `gate ${gate.name}: ${result.detail}`,
        fixItems: result.fixItems,
      };
    // A failed gate makes the fix list without spending a verifier call.
    return { verdict: "fix", fixItems: result.fixItems };
  }
  if (parts.verifier === undefined) return { verdict: "accept", fixItems: [] };
  const judged = await parts.verifier(production);
  if (judged.kind === "verdict") return judged.verdict;
  return judged.value.decision === "approve"
    ? { verdict: "accept", fixItems: [] }
    : { verdict: "fix", fixItems: judged.value.fixItems };
}
