import { render } from "ink-testing-library";
import { createElement } from "react";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { makeTestDir } from "../../test/helpers/testdir.js";
import { waitFor } from "../../test/helpers/wait-for.js";
import { readAsk, writeAsk } from "../human/asks.js";
import { createBosunPaths, type BosunPaths } from "../store/paths.js";
import type { Ask } from "../store/schema/asks.js";
import { ClientApp } from "./client-app.js";
import { startClientSource } from "./client-source.js";

// ink draws only the last frame where CI is set (is-in-ci, read when ink loads), and colours
// follow CI too: these tests watch frames change, as a human at a terminal does.
vi.hoisted(() => {
  Reflect.deleteProperty(process.env, "CI");
});

const RUN_ID = "20261122-120000-abcd";

function makeAsk(id: string, options: Ask["options"] = []): Ask {
  return {
    version: 1,
    id,
    runId: RUN_ID,
    createdAt: new Date().toISOString(),
    question: `Question of ${id}?`,
    options,
    context: "",
  };
}

/** The client on a fresh repository's `.bosun/` (no asks folder yet), unmounted at the end. */
async function startClient(): Promise<{ paths: BosunPaths; app: ReturnType<typeof render> }> {
  const paths = createBosunPaths(await makeTestDir());
  const stop = new AbortController();
  const controller = startClientSource({ paths, signal: stop.signal });
  const app = render(
    createElement(ClientApp, { controller, theme: { isColor: false }, columns: 100 }),
  );
  onTestFinished(() => {
    app.unmount();
    stop.abort();
  });
  return { paths, app };
}

async function waitForFrame(app: ReturnType<typeof render>, text: string): Promise<string> {
  return waitFor(
    `the frame to show ${JSON.stringify(text)}`,
    () => {
      const frame = app.lastFrame() ?? "";
      return frame.includes(text) ? frame : undefined;
    },
    { timeoutMs: 10_000 },
  );
}

describe("bosun client", () => {
  it("shows an ask the moment it opens, even before .bosun/asks/ existed", async () => {
    const { paths, app } = await startClient();
    await waitForFrame(app, "no open asks");
    await writeAsk(paths, makeAsk("ask-1"));
    expect(await waitForFrame(app, "Question of ask-1?")).toContain("1 open ask(s)");
  });

  it("answers the selected ask with an option's number, which writes the answer file and closes the ask", async () => {
    const { paths, app } = await startClient();
    await writeAsk(paths, makeAsk("ask-1"));
    await writeAsk(
      paths,
      makeAsk("ask-2", [
        { key: "more", label: "more rounds" },
        { key: "abort", label: "cancel" },
      ]),
    );
    await waitForFrame(app, "2 open ask(s)");
    app.stdin.write("j");
    await waitForFrame(app, "› ask-2");
    app.stdin.write("a");
    await waitForFrame(app, "2  abort: cancel");
    app.stdin.write("1");
    await waitForFrame(app, "Continue its run with");
    expect((await readAsk(paths, "ask-2")).answer).toMatchObject({
      answer: "more",
      source: "client",
    });
    expect(await waitForFrame(app, "1 open ask(s)")).not.toContain("Question of ask-2");
  });

  it("says why an answer is refused, and keeps the ask open", async () => {
    const { paths, app } = await startClient();
    await writeAsk(paths, makeAsk("ask-1", [{ key: "more", label: "more rounds" }]));
    await waitForFrame(app, "1 open ask(s)");
    app.stdin.write("a");
    await waitForFrame(app, "Enter sends");
    app.stdin.write("maybe");
    await waitForFrame(app, "> maybe");
    app.stdin.write("\r");
    expect(await waitForFrame(app, "is not an answer to ask-1")).toContain("1 open ask(s)");
    expect((await readAsk(paths, "ask-1")).answer).toBeNull();
  });

  it("drops an ask answered by another channel", async () => {
    const { paths, app } = await startClient();
    await writeAsk(paths, makeAsk("ask-1"));
    await waitForFrame(app, "1 open ask(s)");
    const { writeAnswer } = await import("../human/asks.js");
    await writeAnswer(paths, "ask-1", "done", { source: "cli" });
    await waitForFrame(app, "0 open ask(s)");
  });
});
