import { describe, expect, it } from "vitest";
import { SAFE_ID_RULE, createBosunPaths } from "../paths.js";
import { SafeIdSchema } from "./ids.js";

describe("SafeIdSchema", () => {
  it("accepts exactly the ids createBosunPaths accepts", () => {
    const paths = createBosunPaths("/repo");
    for (const id of ["a", "T-001.v2", "x_y", "9", "a".repeat(128)]) {
      expect(SafeIdSchema.safeParse(id).success).toBe(true);
      expect(() => paths.taskDir("r1", id)).not.toThrow();
    }
    for (const id of ["", "../x", "a/b", ".hidden", "-a", "a b", "a".repeat(129)]) {
      expect(SafeIdSchema.safeParse(id).success).toBe(false);
      expect(() => paths.taskDir("r1", id)).toThrow();
    }
  });

  it("tells a bad id the one rule", () => {
    const result = SafeIdSchema.safeParse("a/b");
    expect(result.error?.issues[0]?.message).toBe(SAFE_ID_RULE);
  });
});
