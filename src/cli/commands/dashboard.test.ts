import { describe, expect, it } from "vitest";
import { getStartLines } from "./dashboard.js";

const TOKEN = "tok-abc";

describe("getStartLines", () => {
  it("prints the token on loopback too, for the scripts the error messages tell to send it", () => {
    const lines = getStartLines({
      url: "http://127.0.0.1:4318/",
      loginUrl: "http://127.0.0.1:4318/login?code=c",
      token: TOKEN,
      isTokenRequired: false,
      host: "127.0.0.1",
    });
    expect(lines.join("\n")).toContain(`token (shown only now, never written): ${TOKEN}`);
    expect(lines.join("\n")).not.toContain("every address");
  });

  it("on 0.0.0.0 or :: says to put this machine's name in the links", () => {
    for (const [host, url] of [
      ["0.0.0.0", "http://0.0.0.0:4318/"],
      ["::", "http://[::]:4318/"],
    ] as const) {
      const text = getStartLines({
        url,
        loginUrl: `${url}login?code=c`,
        token: TOKEN,
        isTokenRequired: true,
        host,
      }).join("\n");
      expect(text, host).toContain(TOKEN);
      expect(text, host).toContain("every request needs the token");
      expect(text, host).toContain(
        `replace ${new URL(url).hostname} with this machine's name (or one of its addresses)`,
      );
    }
  });
});
