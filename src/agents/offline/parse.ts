/** Parser for the offline agent, whose stdout is already AgentEvent JSON lines (validated here). */
import { z } from "zod";
import { parseJsonLine, type AgentEvent, type LineParser } from "../agent-event.js";

const UsageSchema = z.object({
  inputTokens: z.number(),
  cachedInputTokens: z.number(),
  outputTokens: z.number(),
});

const AgentEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("session"), sessionId: z.string(), model: z.string().optional() }),
  z.object({ type: z.literal("text"), text: z.string() }),
  z.object({
    type: z.literal("tool.use"),
    tool: z.string(),
    summary: z.string(),
    id: z.string().optional(),
  }),
  z.object({
    type: z.literal("tool.result"),
    id: z.string().optional(),
    isError: z.boolean(),
    output: z.string().optional(),
  }),
  z.object({
    type: z.literal("file.edit"),
    path: z.string(),
    kind: z.enum(["add", "update", "delete"]),
  }),
  z.object({
    type: z.literal("usage"),
    usage: UsageSchema,
    costUsd: z.number().optional(),
    isCumulative: z.boolean(),
  }),
  z.object({ type: z.literal("final"), text: z.string(), isError: z.boolean() }),
  z.object({ type: z.literal("error"), message: z.string(), isFatal: z.boolean() }),
  z.object({ type: z.literal("unknown"), raw: z.string() }),
]);

/** Parses one offline-agent line; anything that is not a valid event is kept as unknown. */
export const parseOfflineLine: LineParser = (line) => {
  const data = parseJsonLine(line);
  const result = AgentEventSchema.safeParse(data);
  if (!result.success) return line.trim() === "" ? [] : [{ type: "unknown", raw: line }];
  const event: AgentEvent = result.data;
  return [event];
};
