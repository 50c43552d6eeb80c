/**
 * What a key does while a human answers an ask, shared by the monitor and the client: a digit
 * picks an option (before anything is typed), Enter sends what was typed, Esc cancels, and the
 * rest edits the text.
 */
import type { Key } from "ink";
import type { Ask } from "../store/schema/asks.js";

/** What a key means in the answer prompt. */
export type AnswerKeyAction =
  | { kind: "send"; answer: string }
  | { kind: "cancel" }
  | { kind: "edit"; edit: (typed: string) => string }
  | { kind: "none" };

/** The action of one key, given the ask's options and the text typed so far. */
export function getAnswerKeyAction(
  input: string,
  key: Key,
  options: Ask["options"],
  typed: string,
): AnswerKeyAction {
  if (key.escape) return { kind: "cancel" };
  const picked = /^[1-9]$/.test(input) ? options[Number(input) - 1] : undefined;
  if (typed === "" && picked !== undefined) return { kind: "send", answer: picked.key };
  if (key.return)
    return typed.trim() === "" ? { kind: "none" } : { kind: "send", answer: typed.trim() };
  if (key.backspace || key.delete) return { kind: "edit", edit: (text) => text.slice(0, -1) };
  if (input !== "" && !key.ctrl && !key.meta && !key.tab)
    return { kind: "edit", edit: (text) => text + input };
  return { kind: "none" };
}
