/**
 * The order implement and test take a plan's phases: every phase after the phases it depends on,
 * and among phases ready at once, the planner's order. The plan was checked for unknown
 * dependencies and cycles before (`parsePhasePlan`).
 */
import type { Phase } from "../../store/schema/pipeline.js";

/** Phase ids, dependencies first, ties in plan order. */
export function orderPhases(phases: readonly Pick<Phase, "id" | "depends_on">[]): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < phases.length) {
    const ready = phases.find(
      (phase) => !done.has(phase.id) && phase.depends_on.every((id) => done.has(id)),
    );
    // Unreachable for a checked plan; a guard so a damaged one cannot loop forever.
    if (ready === undefined) throw new Error("the phase plan has a dependency cycle");
    done.add(ready.id);
    order.push(ready.id);
  }
  return order;
}
