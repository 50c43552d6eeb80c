import { describe, expect, it } from "vitest";
import { MAX_PHASES, parsePhasePlan, parseVerdict, type Phase } from "./pipeline.js";

function makePhase(id: string, dependsOn: string[] = []): Phase {
  return {
    id,
    title: `Phase ${id}`,
    scope: `Everything about ${id}; nothing else.`,
    depends_on: dependsOn,
    acceptance_criteria: [`${id} works`],
    risks: [],
    rollback: `git revert the ${id} commits`,
  };
}

describe("parsePhasePlan", () => {
  it("accepts a plan whose second phase depends on the first", () => {
    const plan = { version: 1, phases: [makePhase("core"), makePhase("cli", ["core"])] };

    expect(parsePhasePlan(plan)).toEqual({ ok: true, value: plan });
  });

  it("names the field a phase gets wrong, and a field it does not know", () => {
    const bad = { ...makePhase("core"), acceptance_criteria: [], owner: "me" };

    const result = parsePhasePlan({ version: 1, phases: [bad] });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain("phases.0.acceptance_criteria");
    expect(result.error).toContain("owner");
  });

  it("lists the graph's problems in the phases' words: unknown dependency, cycle, duplicate id", () => {
    const phases = [
      makePhase("a", ["b"]),
      makePhase("b", ["a"]),
      makePhase("c", ["storage"]),
      makePhase("a"),
    ];

    const result = parsePhasePlan({ version: 1, phases });

    expect(result).toEqual({
      ok: false,
      error: [
        "the plan has 3 problems:",
        '- phases[0] and phases[3] both have the id "a": give each phase its own id',
        '- phase "c" depends on "storage", which is not a phase of this plan: name a phase\'s id or remove it',
        "- dependency cycle: a → b → a (each phase depends on the next): remove one of these dependencies",
      ].join("\n"),
    });
  });

  it("refuses more than MAX_PHASES phases", () => {
    const phases = Array.from({ length: MAX_PHASES + 1 }, (_, index) => makePhase(`p${index}`));

    const result = parsePhasePlan({ version: 1, phases });

    expect(result.ok ? "" : result.error).toContain(`more than the ${MAX_PHASES} allowed`);
  });
});

describe("parseVerdict", () => {
  it("accepts each kind of verdict", () => {
    const verdicts = [
      { verdict: "complete", summary: "all criteria hold" },
      { verdict: "continue", missing: ["handle the empty input"], summary: "one case missing" },
      { verdict: "question", question: "Keep the old flag?", options: ["keep", "drop"] },
      { verdict: "blocked", reason: "the API key is not in the environment" },
    ];

    expect(verdicts.map((verdict) => parseVerdict(verdict).ok)).toEqual([true, true, true, true]);
  });

  it("drops keys a verdict does not use instead of refusing the verdict", () => {
    expect(parseVerdict({ verdict: "question", question: "Keep it?", summary: "looked" })).toEqual({
      ok: true,
      value: { verdict: "question", question: "Keep it?" },
    });
  });

  it("refuses a continue with nothing to do, and an unknown verdict, saying where", () => {
    const empty = parseVerdict({ verdict: "continue", missing: [], summary: "hm" });
    const unknown = parseVerdict({ verdict: "approve" });

    expect(empty.ok ? "" : empty.error).toContain("missing: needs at least one thing");
    expect(unknown.ok ? "" : unknown.error).toContain("verdict");
  });
});
