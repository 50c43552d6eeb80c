import { describe, expect, it } from "vitest";
import { CancelledError, ConfigError, StateError, UsageError } from "../../errors.js";
import { CONTRACT, WAIT_TIMEOUT_EXIT_CODE, createContractError } from "./output.js";
import {
  CONTRACT_OUTPUTS,
  CONTRACT_VERSION,
  getContractJsonSchema,
  isContractSchemaName,
} from "./schemas.js";

describe("the contract's schemas", () => {
  it("carry one contract version, the one the zod-free output module prints", () => {
    expect(CONTRACT).toBe(CONTRACT_VERSION);
    for (const name of Object.keys(CONTRACT_OUTPUTS)) {
      if (!isContractSchemaName(name)) throw new Error(name);
      const schema = getContractJsonSchema(name);
      expect(schema["$schema"]).toBe("https://json-schema.org/draft/2020-12/schema");
      expect(schema["required"]).toContain("contract");
    }
    expect(isContractSchemaName("toString")).toBe(false);
  });

  it("turn every failure into an error document with its code and exit code", () => {
    const cases = [
      [new UsageError("u"), "usage", 2],
      [new ConfigError("c"), "config", 2],
      [new StateError("s"), "state", 1],
      [new CancelledError("x"), "cancelled", 130],
      [new Error("boom"), "internal", 70],
    ] as const;
    for (const [error, code, exitCode] of cases) {
      const body = createContractError(error);
      expect(body).toMatchObject({ code, exitCode });
      expect(CONTRACT_OUTPUTS.error.safeParse({ contract: 1, error: body }).success).toBe(true);
    }
    expect(createContractError(new Error("boom")).message).toContain("this is a bug in bosun");
    expect(WAIT_TIMEOUT_EXIT_CODE).toBe(124);
  });
});
