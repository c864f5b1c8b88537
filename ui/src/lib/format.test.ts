import { describe, expect, it } from "vitest";
import { ago, count, duration, expiresIn, num, plural, statusText } from "./format";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe("countdown formatting", () => {
  it("reads like a countdown at every scale", () => {
    expect(duration(3 * DAY + 23 * HOUR + 59 * MIN)).toBe("3 d 23 h");
    expect(duration(2 * DAY)).toBe("2 d");
    expect(duration(5 * HOUR + 12 * MIN + 30_000)).toBe("5 h 12 min");
    expect(duration(5 * HOUR)).toBe("5 h");
    expect(duration(12 * MIN)).toBe("12 min");
    expect(duration(30_000)).toBe("< 1 min");
    expect(duration(0)).toBe("0 min");
    expect(duration(-5)).toBe("0 min");
    expect(duration(Number.NaN)).toBe("0 min");
  });

  it("says 'in …', 'expired' or '—' for an expiry time", () => {
    const now = Date.parse("2026-07-13T12:00:00Z");
    expect(expiresIn("2026-07-17T11:00:00Z", now)).toBe("in 3 d 23 h");
    expect(expiresIn("2026-07-13T12:45:00Z", now)).toBe("in 45 min");
    expect(expiresIn("2026-07-13T11:59:00Z", now)).toBe("expired");
    expect(expiresIn(null, now)).toBe("—");
    expect(expiresIn("not a date", now)).toBe("—");
  });

  it("says how long ago something started", () => {
    const now = Date.parse("2026-07-13T12:00:00Z");
    expect(ago("2026-07-13T11:59:40Z", now)).toBe("just now");
    expect(ago("2026-07-13T10:00:00Z", now)).toBe("2 h ago");
    expect(ago(null, now)).toBe("");
  });
});

describe("numbers and words", () => {
  it("drops needless decimals and groups thousands", () => {
    expect(num(2)).toBe("2");
    expect(num(8.59)).toBe("8.59");
    expect(num(0.0123)).toBe("0.01");
    expect(num(0.0123, 3)).toBe("0.012");
    expect(num(null)).toBe("—");
    expect(count(2000)).toBe("2,000");
    expect(plural(1, "session")).toBe("1 session");
    expect(plural(2000, "session")).toBe("2,000 sessions");
    expect(plural(2, "entry", "entries")).toBe("2 entries");
  });

  it("shows unknown statuses verbatim", () => {
    expect(statusText("Running")).toBe("Running");
    expect(statusText({ Unknown: "Evicted" })).toBe("Evicted");
  });
});

describe("certificate and sign-in wording", () => {
  it("counts a certificate down in the backend's words", async () => {
    const { countdown } = await import("./format");
    const now = Date.parse("2026-07-13T12:00:00Z");
    const at = (ms: number) => new Date(now + ms).toISOString();
    expect(countdown(at(6 * DAY + 4 * HOUR + 59 * MIN), now)).toBe("6 d 4 h left");
    expect(countdown(at(3 * HOUR + 12 * MIN + 5000), now)).toBe("3 h 12 min left");
    expect(countdown(at(5 * MIN), now)).toBe("5 min left");
    expect(countdown(at(30_000), now)).toBe("less than a minute left");
    expect(countdown(at(-20_000), now)).toBe("expired just now");
    expect(countdown(at(-2 * HOUR - 30_000), now)).toBe("expired 2 h ago");
    expect(countdown(null, now)).toBeNull();
    expect(countdown("not a date", now)).toBeNull();
  });

  it("shows a short code timer, a backend message after what happened, and a URL's host", async () => {
    const { timer, said, host } = await import("./format");
    expect(timer(600_000)).toBe("10:00");
    expect(timer(599_001)).toBe("10:00");
    expect(timer(65_000)).toBe("1:05");
    expect(timer(-5)).toBe("0:00");
    expect(said("Not renewed", "the service refused; try again")).toBe("Not renewed: the service refused; try again.");
    expect(said("Sign-in failed", "the provider refused. Try again.")).toBe("Sign-in failed: the provider refused. Try again.");
    expect(host("https://login.example.org/realms/canfar")).toBe("login.example.org");
    expect(host("not a url")).toBe("not a url");
    expect(host(null)).toBe("");
  });
});
