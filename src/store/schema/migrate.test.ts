import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildRunIndex, getRoundState, getTaskState } from "../run-index.js";
import { reduceRunEvents } from "../run-state.js";
import { parseWithSchema } from "../json-file.js";
import { RunEventSchema } from "./events.js";
import { RunFileReadSchema, createJournalLineSchema } from "./migrate.js";

/** A paused review run as bosun 0.1 wrote it (journal version 1), captured from that build. */
const FIXTURE = path.join(import.meta.dirname, "../../../test/fixtures/v1-run");
const v1Lines = readFileSync(path.join(FIXTURE, "events.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((line): unknown => JSON.parse(line));

describe("journal version 1 → 2", () => {
  it("upgrades every line of a real version 1 journal to a valid version 2 event", () => {
    // The v1 lines are not valid v2 events as they are: the upgrade is what makes them so.
    expect(RunEventSchema.safeParse(v1Lines[2]).success).toBe(false);
    const schema = createJournalLineSchema();
    const events = v1Lines.map((line) => schema.parse(line));
    expect(events[0]).toMatchObject({ type: "run.created", version: 2, taskId: "T-001" });
    expect(events.filter((event) => "round" in event)).not.toHaveLength(0);
    for (const event of events) {
      if ("round" in event) expect(event).toMatchObject({ taskId: "T-001" });
      if (event.type.startsWith("dispatch.")) {
        expect(event).toHaveProperty("seat");
        expect(event).not.toHaveProperty("role");
      }
    }
    expect(events.find((event) => event.type === "review.completed")).toMatchObject({
      seat: "reviewer",
    });
  });

  it("gives the upgraded journal the state a version 2 run would have: resume picks up round 2", () => {
    const schema = createJournalLineSchema();
    const events = v1Lines.map((line) => schema.parse(line));
    const run = reduceRunEvents(events, "20261202-232306-fa6f");
    expect(run).toMatchObject({ flow: "review", status: "paused", round: 1, openAskIds: [] });
    const task = getTaskState(buildRunIndex(events), "T-001");
    expect(task?.lastStartedRound).toBe(1);
    expect(task?.lastCompleted?.verdict).toBe("fix");
    const round = getRoundState(buildRunIndex(events), "T-001", 1);
    expect(round?.checkpoint?.filesChanged).toEqual(["feature.txt"]);
    expect([...(round?.gates.keys() ?? [])]).toEqual(["report", "noop"]);
    expect(round?.completedDispatches.has("reviewer:1")).toBe(true);
  });

  it("passes lines a resumed run appended in version 2 through untouched, and gives old asks the task", () => {
    const schema = createJournalLineSchema();
    schema.parse(v1Lines[0]);
    const v2 = {
      seq: 14,
      ts: "t",
      type: "round.started",
      taskId: "T-001",
      round: 2,
      head: "abc",
    };
    expect(schema.parse(v2)).toEqual(v2);
    expect(
      schema.parse({ seq: 15, ts: "t", type: "ask.created", askId: "a", question: "q" }),
    ).toMatchObject({ taskId: "T-001" });
  });

  it("still refuses a line that is damaged, whatever its version", () => {
    const schema = createJournalLineSchema();
    schema.parse(v1Lines[0]);
    expect(schema.safeParse({ seq: 2, ts: "t", type: "round.started", round: "one" }).success).toBe(
      false,
    );
    expect(schema.safeParse("not an object").success).toBe(false);
  });
});

describe("run.json version 1 → 2", () => {
  it("reads a real version 1 run.json, with its open ask as a list", () => {
    const v1 = JSON.parse(readFileSync(path.join(FIXTURE, "run.json"), "utf8")) as object;
    expect(parseWithSchema(v1, RunFileReadSchema, "run.json")).toMatchObject({
      version: 2,
      flow: "review",
      status: "paused",
      openAskIds: [],
    });
    expect(
      parseWithSchema({ ...v1, openAskId: "ask-1" }, RunFileReadSchema, "run.json"),
    ).toMatchObject({ openAskIds: ["ask-1"] });
  });
});
