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

/** The parts of one round. */
export interface RoundParts<P> {
  /** Runs (or recovers) the producer; may end the round early with a verdict. */
  produce(): Promise<P | RoundVerdict>;
  /** Gates, in order; the first failure stops the rest (later gates assume earlier ones). */
  gates: ReadonlyArray<Gate<P>>;
  /** Runs (or recovers) the verifier once every gate passed; may end with a verdict. */
  verify?(production: P): Promise<VerifierOutcome | RoundVerdict>;
}

/** Runs one round to its verdict. */
export async function runRound<P extends object>(
  journal: GateJournal,
  parts: RoundParts<P>,
): Promise<RoundVerdict> {
  const production = await parts.produce();
  if (isVerdict(production)) return production;
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
    // A failed gate makes the fix list without spending a verifier call.
    if (!result.passed) return { verdict: "fix", fixItems: result.fixItems };
  }
  if (parts.verify === undefined) return { verdict: "accept", fixItems: [] };
  const judged = await parts.verify(production);
  if (isVerdict(judged)) return judged;
  return judged.decision === "approve"
    ? { verdict: "accept", fixItems: [] }
    : { verdict: "fix", fixItems: judged.fixItems };
}

function isVerdict(value: object): value is RoundVerdict {
  return "verdict" in value;
}
