/**
 * HTTP plumbing shared by the mock model servers: a loopback server that records every request,
 * JSON body reading, SSE and JSON replies, and narrowing helpers for untyped request bodies.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { MockServer, RecordedRequest } from "./mock-script.js";

/** A request with its body read and parsed. */
export interface MockHttpRequest {
  /** HTTP method. */
  method: string;
  /** Path including the query string. */
  url: string;
  /** Path without the query string. */
  pathname: string;
  /** Node's parsed headers. */
  headers: IncomingMessage["headers"];
  /** Parsed JSON body, undefined when empty. */
  body: unknown;
}

/** Answers one request; returns the record to store (without the fields the server fills in). */
export type MockHandler = (
  request: MockHttpRequest,
  response: ServerResponse,
) => Omit<RecordedRequest, "method" | "url" | "headers" | "body"> & { unmatchedPrompt?: string };

/** Starts a recording HTTP server on 127.0.0.1 with a random port. */
export async function startMockHttpServer(handler: MockHandler): Promise<MockServer> {
  const requests: RecordedRequest[] = [];
  const unmatched: string[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const request = await readRequest(req);
      const { method, url, headers, body } = request;
      try {
        const { unmatchedPrompt, ...record } = handler(request, res);
        requests.push({ method, url, headers, body, ...record });
        if (unmatchedPrompt !== undefined) unmatched.push(unmatchedPrompt);
      } catch (error) {
        // A bug in a script or the mock: fail the request loudly rather than hang the CLI.
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        requests.push({ method, url, headers, body, kind: "unknown" });
        if (!res.headersSent)
          sendJson(res, 500, { error: { message: `mock crashed: ${message}` } });
        else res.end();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  // listen() on a TCP port always yields an AddressInfo, never a pipe name string.
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    unmatched,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}

async function readRequest(req: IncomingMessage): Promise<MockHttpRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    const data: unknown = chunk;
    chunks.push(Buffer.isBuffer(data) ? data : Buffer.from(String(data)));
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let body: unknown;
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: keep the raw text so the record still shows what arrived.
    body = text;
  }
  const url = req.url ?? "/";
  return {
    method: req.method ?? "GET",
    url,
    pathname: new URL(url, "http://127.0.0.1").pathname,
    headers: req.headers,
    body,
  };
}

/** Sends a JSON body with the given status. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** One server-sent event; `type` is also the SSE `event:` name. */
export interface SseEvent {
  /** Event name, repeated inside the JSON payload as the vendors do. */
  type: string;
  [field: string]: unknown;
}

/** Sends a whole SSE stream: each event gets `event:` and `data:` lines. */
export function sendSse(res: ServerResponse, events: readonly SseEvent[]): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (const event of events) res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  res.end();
}

/** The value as a plain object, or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? // Checked above: a non-null, non-array object; its keys are read as unknown values.
      (value as Record<string, unknown>)
    : undefined;
}

/** The value as an array, or an empty array. */
export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

/** The value if it is a string, else undefined. */
export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A short random id with a prefix, like the vendors' `msg_…`/`call_…` ids. */
export function createId(prefix: string): string {
  return `${prefix}_${Math.random().toString(36).slice(2, 12)}`;
}
