import { describe, expect, it } from "vitest";
import { IntegrationHead } from "./integration-head.js";

describe("IntegrationHead", () => {
  it("reads git once, then keeps what the merge queue sets, until asked to read again", async () => {
    const answers = ["from-git-1", "from-git-2"];
    let reads = 0;
    const head = new IntegrationHead(() => Promise.resolve(answers[reads++] ?? "none"));

    expect([await head.get(), await head.get()]).toEqual(["from-git-1", "from-git-1"]);
    head.set("merged", "its-tree");
    expect(await head.get()).toBe("merged");
    expect([head.getTree("merged"), head.getTree("from-git-1")]).toEqual(["its-tree", undefined]);
    expect(await head.refresh()).toBe("from-git-2");
    // Read from git: its tree is not known.
    expect(head.getTree("from-git-2")).toBeUndefined();
    expect(await head.get()).toBe("from-git-2");
    expect(reads).toBe(2);
  });
});
