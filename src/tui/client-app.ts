/**
 * `bosun client`'s screen: the repository's open asks, always on screen, and a prompt to answer
 * the selected one. Nothing else: no runs, no logs.
 */
import { Box, useApp, type Key } from "ink";
import { createElement as h, useState, useSyncExternalStore, type ReactElement } from "react";
import { getAnswerKeyAction } from "./answer-keys.js";
import type { ClientController } from "./client-source.js";
import { AnswerPrompt, AskLines, Line } from "./monitor-view.js";
import type { Theme } from "./theme.js";
import { useKeys } from "./use-keys.js";
import { useWindowSize } from "./window-size.js";

/** The client. `columns` overrides the terminal's (tests). */
export function ClientApp(props: {
  controller: ClientController;
  theme: Theme;
  columns?: number;
}): ReactElement {
  const { controller, theme } = props;
  const { exit } = useApp();
  const size = useWindowSize();
  useSyncExternalStore(controller.subscribe, () => controller.model.version);
  const asks = [...controller.model.asks.values()].sort((a, b) =>
    a.createdAt.localeCompare(b.createdAt),
  );
  const [selected, setSelected] = useState(0);
  const [answering, setAnswering] = useState<{ askId: string; typed: string } | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const selectedIndex = Math.max(0, Math.min(selected, asks.length - 1));

  useKeys((input: string, key: Key) => {
    if (answering === undefined) {
      setNotice(undefined);
      if (input === "q") exit();
      else if (input === "j" || key.downArrow)
        setSelected((selectedIndex + 1) % Math.max(1, asks.length));
      else if (input === "k" || key.upArrow)
        setSelected((selectedIndex - 1 + asks.length) % Math.max(1, asks.length));
      else if (input === "a" || key.return) {
        const ask = asks[selectedIndex];
        if (ask === undefined) setNotice("no open ask to answer");
        else setAnswering({ askId: ask.id, typed: "" });
      }
      return;
    }
    const ask = controller.model.asks.get(answering.askId);
    if (ask === undefined) {
      setAnswering(undefined);
      setNotice(`${answering.askId} is no longer open`);
      return;
    }
    const action = getAnswerKeyAction(input, key, ask.options, answering.typed);
    switch (action.kind) {
      case "cancel":
        setAnswering(undefined);
        return;
      case "send":
        setAnswering(undefined);
        setNotice(`answering ${ask.id}: ${action.answer}…`);
        controller.answer(ask.id, action.answer).then(
          () => setNotice(undefined),
          (error: unknown) => setNotice(error instanceof Error ? error.message : String(error)),
        );
        return;
      case "edit":
        setAnswering((previous) =>
          previous === undefined ? previous : { ...previous, typed: action.edit(previous.typed) },
        );
        return;
      case "none":
        return;
    }
  });

  const open = answering === undefined ? undefined : controller.model.asks.get(answering.askId);
  return h(
    Box,
    { flexDirection: "column", width: props.columns ?? size.columns },
    h(Line, { theme, isBold: true }, `bosun client · ${asks.length} open ask(s)`),
    asks.length === 0 ? h(Line, { theme, tone: "gray" }, "  no open asks: waiting for one") : null,
    ...asks.map((ask, index) =>
      h(AskLines, {
        key: ask.id,
        ask: {
          askId: ask.id,
          taskId: undefined,
          question: `${ask.question} (run ${ask.runId})`,
          options: ask.options,
        },
        theme,
        isSelected: index === selectedIndex,
      }),
    ),
    open === undefined || answering === undefined
      ? null
      : h(AnswerPrompt, {
          ask: {
            askId: open.id,
            taskId: undefined,
            question: open.question,
            options: open.options,
          },
          typed: answering.typed,
          theme,
        }),
    h(
      Line,
      { theme, tone: "gray" },
      notice ?? controller.model.message ?? "j / k select · a or Enter answers · q quits",
    ),
  );
}
