import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { StateError, UsageError } from "../errors.js";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import { tryAcquireRunLock } from "../store/run-lock.js";
import type { Ask } from "../store/schema/asks.js";
import { createAskId, listAsks, readAsk, writeAnswer, writeAsk } from "./asks.js";

function makeAsk(id: string, overrides: Partial<Ask> = {}): Ask {
  return {
    version: 1,
    id,
    runId: "r1",
    createdAt: "2026-11-22T12:00:00.000Z",
    question: "Round 3 ran without approval. What now?",
    options: [
      { key: "more", label: "run more rounds" },
      { key: "accept", label: "accept as is" },
      { key: "abort", label: "stop the run" },
    ],
    context: "Open issues:\n1. sum() is wrong",
    ...overrides,
  };
}

async function makePaths(): Promise<BosunPaths> {
  return createBosunPaths(await makeTestDir());
}

/** Written by hand or by another tool: valid JSON, but "sideways" is not an option. */
async function writeInvalidAnswer(paths: BosunPaths, askId: string): Promise<void> {
  await mkdir(paths.answersDir, { recursive: true });
  await writeFile(
    paths.answerFile(askId),
    JSON.stringify({
      version: 1,
      askId,
      answer: "sideways",
      answeredAt: "2026-11-22T12:00:00.000Z",
      source: "script",
    }),
  );
}

describe("asks", () => {
  it("writes an ask as JSON under .bosun/asks and reads it back, unanswered", async () => {
    const paths = await makePaths();
    await writeAsk(paths, makeAsk("ask-1"));
    expect(JSON.parse(await readFile(paths.askFile("ask-1"), "utf8"))).toEqual(makeAsk("ask-1"));
    expect(await readAsk(paths, "ask-1")).toEqual({ ask: makeAsk("ask-1"), answer: null });
  });

  it("lists asks oldest first, open only or all", async () => {
    const paths = await makePaths();
    expect(await listAsks(paths, true)).toEqual([]);
    await writeAsk(paths, makeAsk("ask-b"));
    await writeAsk(paths, makeAsk("ask-a"));
    await writeAnswer(paths, "ask-a", "accept");
    expect(
      (await listAsks(paths, false)).map((item) => [item.ask.id, item.answer?.answer ?? null]),
    ).toEqual([
      ["ask-a", "accept"],
      ["ask-b", null],
    ]);
    expect((await listAsks(paths, true)).map((item) => item.ask.id)).toEqual(["ask-b"]);
  });

  it("records an answer with its note and source, trimming the key", async () => {
    const paths = await makePaths();
    await writeAsk(paths, makeAsk("ask-1"));
    const answer = await writeAnswer(paths, "ask-1", " more ", {
      note: "focus on tests",
      source: "tui",
    });
    expect(answer).toMatchObject({
      version: 1,
      askId: "ask-1",
      answer: "more",
      note: "focus on tests",
      source: "tui",
    });
    expect((await readAsk(paths, "ask-1")).answer).toEqual(answer);
  });

  it("refuses an answer that is not among the options, listing the choices", async () => {
    const paths = await makePaths();
    await writeAsk(paths, makeAsk("ask-1"));
    const error: unknown = await writeAnswer(paths, "ask-1", "maybe").catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as Error).message).toBe(
      '"maybe" is not an answer to ask-1. Choose one of: "more" (run more rounds), "accept" (accept as is), "abort" (stop the run).',
    );
    expect(await readdir(paths.asksDir)).toEqual(["ask-1.json"]);
  });

  it("accepts free text when the ask has no options", async () => {
    const paths = await makePaths();
    await writeAsk(paths, makeAsk("ask-1", { options: [] }));
    expect((await writeAnswer(paths, "ask-1", "use the v2 API")).answer).toBe("use the v2 API");
  });

  it("refuses a second answer, naming the first", async () => {
    const paths = await makePaths();
    await writeAsk(paths, makeAsk("ask-1"));
    const first = await writeAnswer(paths, "ask-1", "more");
    const error: unknown = await writeAnswer(paths, "ask-1", "abort").catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toBe(
      `Ask ask-1 was already answered "more" at ${first.answeredAt}.`,
    );
    expect((await readAsk(paths, "ask-1")).answer?.answer).toBe("more");
  });

  it("lets exactly one of two answers given at once through; the other is told who answered", async () => {
    const paths = await makePaths();
    // Many asks, so a lucky interleaving cannot hide a last-write-wins.
    for (let n = 0; n < 20; n += 1) {
      const askId = `ask-${n}`;
      await writeAsk(paths, makeAsk(askId));
      const results = await Promise.allSettled([
        writeAnswer(paths, askId, "more", { source: "dashboard" }),
        writeAnswer(paths, askId, "abort", { source: "monitor" }),
      ]);
      const won = results.flatMap((result) =>
        result.status === "fulfilled" ? [result.value] : [],
      );
      const lost = results.flatMap((result): unknown[] =>
        result.status === "rejected" ? [result.reason] : [],
      );
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]).toBeInstanceOf(StateError);
      expect((lost[0] as Error).message).toBe(
        `Ask ${askId} was already answered "${won[0]?.answer}" at ${won[0]?.answeredAt}.`,
      );
      expect((await readAsk(paths, askId)).answer).toEqual(won[0]);
    }
    // No temp file is left behind.
    expect((await readdir(paths.answersDir)).filter((name) => !name.endsWith(".json"))).toEqual([]);
  });

  it("lets exactly one of two answers replace an answer that is not an option, keeping the bad file aside", async () => {
    const paths = await makePaths();
    for (let n = 0; n < 10; n += 1) {
      const askId = `ask-${n}`;
      await writeAsk(paths, makeAsk(askId));
      await writeInvalidAnswer(paths, askId);
      const results = await Promise.allSettled([
        writeAnswer(paths, askId, "more"),
        writeAnswer(paths, askId, "abort"),
      ]);
      const won = results.flatMap((result) =>
        result.status === "fulfilled" ? [result.value] : [],
      );
      const lost = results.flatMap((result): unknown[] =>
        result.status === "rejected" ? [result.reason] : [],
      );
      expect(won).toHaveLength(1);
      expect(lost[0]).toBeInstanceOf(StateError);
      expect((await readAsk(paths, askId)).answer).toEqual(won[0]);
      const aside = (await readdir(paths.answersDir)).filter((name) =>
        name.startsWith(`${askId}.json.invalid-`),
      );
      expect(aside).toHaveLength(1);
      expect(
        JSON.parse(await readFile(`${paths.answersDir}/${aside[0] ?? ""}`, "utf8")),
      ).toMatchObject({ answer: "sideways" });
    }
  });

  it("replaces an answer that is not an option only under its lock: a writer already replacing it is named", async () => {
    const paths = await makePaths();
    await writeAsk(paths, makeAsk("ask-1"));
    await writeInvalidAnswer(paths, "ask-1");
    // Another writer in the middle of replacing the bad answer holds this lock.
    const other = await tryAcquireRunLock(`${paths.answerFile("ask-1")}.lock`);
    if (other.type !== "acquired") throw new Error("the test could not take the lock");
    await expect(writeAnswer(paths, "ask-1", "more")).rejects.toThrow(
      `Ask ask-1 is being answered by process ${process.pid} right now (${paths.answerFile("ask-1")}.lock); see its answer with "bosun asks --all".`,
    );
    expect((await readAsk(paths, "ask-1")).answer?.answer).toBe("sideways");
    await other.lock.release();
    expect((await writeAnswer(paths, "ask-1", "more")).answer).toBe("more");
  });

  it("keeps an ask open while its answer file holds no option, and lets a valid answer replace it", async () => {
    const paths = await makePaths();
    await writeAsk(paths, makeAsk("ask-1"));
    await writeInvalidAnswer(paths, "ask-1");
    const read = await readAsk(paths, "ask-1");
    expect(read.answerProblem).toBe(
      `${paths.answerFile("ask-1")}: "sideways" is not an answer to ask-1. Choose one of: "more" (run more rounds), "accept" (accept as is), "abort" (stop the run)`,
    );
    expect((await listAsks(paths, true)).map((item) => item.ask.id)).toEqual(["ask-1"]);
    const replaced = await writeAnswer(paths, "ask-1", "accept");
    expect(await readAsk(paths, "ask-1")).toEqual({ ask: makeAsk("ask-1"), answer: replaced });
    expect(await listAsks(paths, true)).toEqual([]);
  });

  it("says an unknown ask was not found and how to list them", async () => {
    const paths = await makePaths();
    await expect(writeAnswer(paths, "ask-404", "more")).rejects.toThrow(
      /^Ask "ask-404" not found in .*bosun asks/,
    );
  });

  it("refuses ask ids that could escape .bosun/asks", async () => {
    const paths = await makePaths();
    await expect(readAsk(paths, "../../etc/passwd")).rejects.toThrow(/Invalid ask id/);
  });

  it("reports an invalid ask file naming the file and field", async () => {
    const paths = await makePaths();
    await writeAsk(paths, makeAsk("ask-1"));
    await writeFile(
      paths.askFile("ask-1"),
      JSON.stringify({ ...makeAsk("ask-1"), options: "more" }),
    );
    await expect(readAsk(paths, "ask-1")).rejects.toThrow(
      `Invalid ${paths.askFile("ask-1")}: options: `,
    );
  });

  it("creates sortable, path-safe ask ids", () => {
    const id = createAskId(new Date("2026-11-22T12:50:12Z"));
    expect(id).toMatch(/^ask-20261122-125012-[0-9a-f]{4}$/);
    expect(() => createBosunPaths("/r").askFile(id)).not.toThrow();
  });
});
