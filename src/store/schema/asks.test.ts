import { describe, expect, it } from "vitest";
import { parseWithSchema } from "../json-file.js";
import { AnswerSchema, AskSchema } from "./asks.js";

function makeAsk(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    id: "ask-1",
    runId: "r1",
    createdAt: "2026-11-22T12:00:00.000Z",
    question: "More rounds?",
    options: [{ key: "more", label: "run more" }],
    context: "",
    ...overrides,
  };
}

describe("AskSchema", () => {
  it("accepts a valid ask", () => {
    expect(parseWithSchema(makeAsk(), AskSchema, "ask.json")).toEqual(makeAsk());
  });

  it("rejects an option without a label, naming its path", () => {
    expect(() =>
      parseWithSchema(makeAsk({ options: [{ key: "more" }] }), AskSchema, "ask-1.json"),
    ).toThrow(/^Invalid ask-1\.json: options\.0\.label: /);
  });

  it("rejects a missing question", () => {
    const { question: _question, ...ask } = makeAsk();
    expect(() => parseWithSchema(ask, AskSchema, "a")).toThrow(/question: /);
  });
});

describe("AnswerSchema", () => {
  it("rejects an answer that is not a string, naming the field", () => {
    const answer = { version: 1, askId: "ask-1", answer: 3, answeredAt: "t", source: "cli" };
    expect(() => parseWithSchema(answer, AnswerSchema, "answers/ask-1.json")).toThrow(
      /^Invalid answers\/ask-1\.json: answer: /,
    );
  });
});
