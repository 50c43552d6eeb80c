import { describe, expect, it } from "vitest";
import { selectAgentCpuMs } from "./team-run.js";

describe("the team run's agent CPU", () => {
  it("counts only the agents that ended between the first task's start and the last merge", () => {
    const agents = [
      { cpuMs: 900, endMs: 1000 }, // the planner, done before the first task starts
      { cpuMs: 300, endMs: 1500 },
      { cpuMs: 280, endMs: 2000 },
      { cpuMs: 310, endMs: 2600 }, // after the last merge (a stopped run)
    ];
    expect(selectAgentCpuMs(agents, 1000, 2000)).toEqual([300, 280]);
  });
});
