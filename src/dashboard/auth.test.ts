import { describe, expect, it } from "vitest";
import {
  checkAccess,
  createAuthCookie,
  createDashboardAuth,
  isLoopbackHost,
  isSensitivePath,
  spendLoginCode,
  type RequestFacts,
} from "./auth.js";

function makeRequest(extra: Partial<RequestFacts> = {}): RequestFacts {
  return {
    method: "GET",
    path: "/api/runs",
    host: "127.0.0.1:4318",
    origin: undefined,
    authorization: undefined,
    cookie: undefined,
    ...extra,
  };
}

describe("isLoopbackHost", () => {
  it("takes 127/8, ::1 and localhost as loopback, and nothing else", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "example.com", "128.0.0.1"])
      expect(isLoopbackHost(host), host).toBe(false);
  });
});

describe("checkAccess", () => {
  it("on a loopback bind serves reads without a token, to loopback Host names only", () => {
    const auth = createDashboardAuth("127.0.0.1");
    expect(checkAccess(auth, makeRequest())).toEqual({ isAllowed: true, hasToken: false });
    expect(checkAccess(auth, makeRequest({ host: "localhost:4318" })).isAllowed).toBe(true);
    // A rebound DNS name reaching 127.0.0.1 carries its own name.
    expect(checkAccess(auth, makeRequest({ host: "evil.example:4318" }))).toMatchObject({
      isAllowed: false,
      status: 403,
    });
  });

  it("on any other bind refuses everything without the token (401), and takes bearer or cookie", () => {
    const auth = createDashboardAuth("0.0.0.0");
    expect(auth.isTokenRequired).toBe(true);
    expect(checkAccess(auth, makeRequest({ host: "10.1.1.1:4318" }))).toMatchObject({
      isAllowed: false,
      status: 401,
    });
    expect(checkAccess(auth, makeRequest({ path: "/" })).isAllowed).toBe(false);
    expect(checkAccess(auth, makeRequest({ authorization: "Bearer wrong" })).isAllowed).toBe(false);
    expect(
      checkAccess(auth, makeRequest({ authorization: `Bearer ${auth.token}`, host: "x:1" })),
    ).toEqual({ isAllowed: true, hasToken: true });
    expect(
      checkAccess(auth, makeRequest({ cookie: `a=b; bosun_dashboard=${auth.token}`, host: "x:1" })),
    ).toEqual({ isAllowed: true, hasToken: true });
    // The login link is the one way in without it.
    expect(checkAccess(auth, makeRequest({ path: "/login" })).isAllowed).toBe(true);
  });

  it("takes a POST, on any bind, with the bearer token or the login cookie from the page's own origin", () => {
    for (const host of ["127.0.0.1", "0.0.0.0"]) {
      const auth = createDashboardAuth(host);
      const post = makeRequest({ method: "POST", path: "/api/runs/x/stop" });
      const cookie = `bosun_dashboard=${auth.token}`;
      const sameOrigin = "http://127.0.0.1:4318";
      // An Origin any local process can forge is no proof: a page without the login link is
      // read-only, and is told how to log in.
      const forged = checkAccess(auth, { ...post, origin: sameOrigin });
      expect(forged, host).toMatchObject({ isAllowed: false, status: 401 });
      expect(forged.isAllowed ? "" : forged.message).toContain("open the login link");
      expect(checkAccess(auth, post), host).toMatchObject({ isAllowed: false, status: 401 });
      expect(checkAccess(auth, { ...post, authorization: `Bearer ${auth.token}` }), host).toEqual({
        isAllowed: true,
        hasToken: true,
      });
      expect(checkAccess(auth, { ...post, cookie, origin: sameOrigin }), host).toEqual({
        isAllowed: true,
        hasToken: true,
      });
      // The cookie is sent by other sites' forms too: never enough on its own.
      expect(checkAccess(auth, { ...post, cookie }), host).toMatchObject({ status: 403 });
      expect(
        checkAccess(auth, { ...post, cookie, origin: "http://evil.example" }),
        host,
      ).toMatchObject({ isAllowed: false, status: 403 });
    }
  });

  it("serves agent logs only with the token, on loopback too", () => {
    const auth = createDashboardAuth("127.0.0.1");
    const log = makeRequest({ path: "/api/runs/20261201-090000-a1b2/log" });
    expect(checkAccess(auth, log)).toMatchObject({ isAllowed: false, status: 401 });
    expect(checkAccess(auth, { ...log, cookie: `bosun_dashboard=${auth.token}` }).isAllowed).toBe(
      true,
    );
  });
});

describe("isSensitivePath", () => {
  it("covers an agent's log, its live follow and a run's diffs, and nothing else of the API", () => {
    const run = "/api/runs/20261201-090000-a1b2";
    for (const path of [`${run}/log`, `${run}/log/stream`, `${run}/diff`, `${run}/diff/`])
      expect(isSensitivePath(path), path).toBe(true);
    for (const path of [run, `${run}/board`, `${run}/stream`, `${run}/events`, "/api/runs"])
      expect(isSensitivePath(path), path).toBe(false);
  });

  it("holds diffs back from a caller without the token, on loopback too", () => {
    const auth = createDashboardAuth("127.0.0.1");
    const diff = makeRequest({ path: "/api/runs/20261201-090000-a1b2/diff" });
    expect(checkAccess(auth, diff)).toMatchObject({ isAllowed: false, status: 401 });
    expect(checkAccess(auth, { ...diff, authorization: `Bearer ${auth.token}` })).toEqual({
      isAllowed: true,
      hasToken: true,
    });
  });
});

describe("the login link", () => {
  it("works once, with its own code, and sets an HttpOnly same-site cookie", () => {
    const auth = createDashboardAuth("0.0.0.0");
    expect(spendLoginCode(auth, "wrong")).toBe(false);
    expect(spendLoginCode(auth, auth.token)).toBe(false);
    expect(spendLoginCode(auth, auth.loginCode)).toBe(true);
    expect(spendLoginCode(auth, auth.loginCode)).toBe(false);
    expect(createAuthCookie(auth)).toBe(
      `bosun_dashboard=${auth.token}; HttpOnly; SameSite=Strict; Path=/`,
    );
  });

  it("makes new secrets per start", () => {
    const first = createDashboardAuth("127.0.0.1");
    const second = createDashboardAuth("127.0.0.1");
    expect(first.token).not.toBe(second.token);
    expect(first.loginCode).not.toBe(first.token);
    expect(first.token.length).toBeGreaterThanOrEqual(32);
  });
});
