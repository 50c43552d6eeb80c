/**
 * Who may use the dashboard: a token made per start, a one-time login link that turns it into an
 * HttpOnly cookie, and the checks every request passes (loopback names, the token for changes).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";

/** The cookie the login link sets: it holds the token, never readable by the page's scripts. */
export const AUTH_COOKIE = "bosun_dashboard";

/** The secrets of one dashboard start (never written anywhere, printed once). */
export interface DashboardAuth {
  /** The bearer token (also the cookie's value). */
  readonly token: string;
  /** The login link's code: good for one use. */
  readonly loginCode: string;
  /** True when the bind is not loopback: then every request needs the token. */
  readonly isTokenRequired: boolean;
  /** True once the login link was used. */
  isLoginUsed: boolean;
}

/** Creates the secrets for a server bound to `host`. */
export function createDashboardAuth(host: string): DashboardAuth {
  return {
    token: randomBytes(24).toString("base64url"),
    loginCode: randomBytes(18).toString("base64url"),
    isTokenRequired: !isLoopbackHost(host),
    isLoginUsed: false,
  };
}

/** True for 127.0.0.0/8, ::1 and localhost: addresses only this machine reaches. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (bare === "localhost") return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  return bare === "::1" || bare === "::ffff:127.0.0.1";
}

/** What the checks need of a request. */
export interface RequestFacts {
  /** HTTP method. */
  method: string;
  /** URL path. */
  path: string;
  /** The `Host` header. */
  host: string | undefined;
  /** The `Origin` header. */
  origin: string | undefined;
  /** The `Authorization` header. */
  authorization: string | undefined;
  /** The `Cookie` header. */
  cookie: string | undefined;
}

/** How a request fares: allowed (and whether it proved the token), or refused with a status. */
export type AccessDecision =
  { isAllowed: true; hasToken: boolean } | { isAllowed: false; status: 401 | 403; message: string };

/**
 * Paths that show what agents wrote or read — their logs (a tail, or followed live) and the
 * diffs of their work: served only with the token, on any bind, because a log can quote
 * anything the agent read and a diff shows the code itself.
 */
export function isSensitivePath(path: string): boolean {
  return /^\/api\/runs\/[^/]+\/(log|log\/stream|diff)\/?$/.test(path);
}

/**
 * The rules, in order:
 * - the token (bearer header or the login cookie) proves the caller; the login link itself is
 *   the one way in without it;
 * - on a non-loopback bind nothing else is served without it (401);
 * - on a loopback bind without it, the Host header must name a loopback address (a page on
 *   another site that rebinds its DNS name to 127.0.0.1 would send its own name);
 * - a change (any method but GET and HEAD) needs the token on any bind: the bearer header, or
 *   the login cookie with an Origin equal to this server's (a cookie alone is sent by other
 *   sites' forms too). An Origin alone is not enough: any local process can forge one, and a
 *   change can be a tell, text put into an agent's prompt (agents have a shell). A page opened
 *   without the login link is read-only;
 * - agent logs and diffs need the token everywhere.
 */
export function checkAccess(auth: DashboardAuth, request: RequestFacts): AccessDecision {
  const bearer = getBearerToken(request.authorization);
  const cookieToken = getCookie(request.cookie, AUTH_COOKIE);
  const hasBearer = bearer !== undefined && isSameSecret(bearer, auth.token);
  const hasToken =
    hasBearer || (cookieToken !== undefined && isSameSecret(cookieToken, auth.token));
  if (request.path === "/login" && request.method === "GET") return { isAllowed: true, hasToken };
  if (auth.isTokenRequired && !hasToken) {
    return {
      isAllowed: false,
      status: 401,
      message:
        "This dashboard needs its token: open the login link bosun dashboard printed, or send Authorization: Bearer <token>.",
    };
  }
  if (!hasToken && !isLoopbackHostHeader(request.host)) {
    return {
      isAllowed: false,
      status: 403,
      message: `Host ${JSON.stringify(request.host ?? "")} is not this machine's loopback address; open the dashboard at http://127.0.0.1:<port>/.`,
    };
  }
  if (request.method !== "GET" && request.method !== "HEAD" && !hasBearer) {
    if (!hasToken) {
      return {
        isAllowed: false,
        status: 401,
        message:
          "Changes need the dashboard's token, and this page was opened without it (read-only): open the login link bosun dashboard printed, or send Authorization: Bearer <token>.",
      };
    }
    if (!isSameOrigin(request.origin, request.host)) {
      return {
        isAllowed: false,
        status: 403,
        message:
          "A change with the login cookie must come from the dashboard's own page (same origin); scripts send Authorization: Bearer <token>.",
      };
    }
  }
  if (isSensitivePath(request.path) && !hasToken) {
    return {
      isAllowed: false,
      status: 401,
      message:
        "Agent logs and diffs need the dashboard's token: open the login link bosun dashboard printed (or send Authorization: Bearer <token>).",
    };
  }
  return { isAllowed: true, hasToken };
}

/** Spends the one-time login code: true (and spent) when it matches and was not used before. */
export function spendLoginCode(auth: DashboardAuth, code: string | undefined): boolean {
  if (auth.isLoginUsed || code === undefined || !isSameSecret(code, auth.loginCode)) return false;
  auth.isLoginUsed = true;
  return true;
}

/** The Set-Cookie value that carries the token: HttpOnly, same-site only, for the whole server. */
export function createAuthCookie(auth: DashboardAuth): string {
  return `${AUTH_COOKIE}=${auth.token}; HttpOnly; SameSite=Strict; Path=/`;
}

function getBearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}

function getCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Constant-time comparison: a wrong guess takes as long whatever it shares with the secret. */
function isSameSecret(given: string, secret: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

function isLoopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined) return false;
  // "127.0.0.1:4318", "[::1]:4318", "localhost": the name without its port.
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0];
  return isLoopbackHost(name ?? "");
}

function isSameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined || host === undefined) return false;
  return origin === `http://${host}`;
}
