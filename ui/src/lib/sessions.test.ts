import { describe, expect, it } from "vitest";
import { makeSession } from "../test/fake";
import type { Session } from "../platform/types";
import { NO_FILTER, filterSessions, rangeIds, sortSessions, splitImage, visibleSessions } from "./sessions";

const now = Date.parse("2026-07-13T12:00:00Z");
const at = (h: number) => new Date(now - h * 3_600_000).toISOString();

function list(): Session[] {
  return [
    makeSession({ id: "a0000001", name: "notebook1", kind: "notebook", status: "Running", startTime: at(5), expiryTime: at(-90), requestedCores: 2 }, now),
    makeSession({ id: "a0000002", name: "carta1", kind: "carta", status: "Pending", startTime: null, expiryTime: null, image: "images.canfar.net/skaha/carta:5.0", requestedCores: 4 }, now),
    makeSession({ id: "a0000003", name: "job-2", kind: "headless", status: "Completed", startTime: at(30), expiryTime: at(-300), requestedCores: 1 }, now),
    makeSession({ id: "a0000004", name: "job-10", kind: "headless", status: "Failed", startTime: at(20), expiryTime: at(-310), requestedCores: null }, now),
    makeSession({ id: "a0000005", name: "desktop1", kind: "desktop", status: { Unknown: "Evicted" }, startTime: at(1), expiryTime: at(-10), requestedCores: 1 }, now),
  ];
}
const names = (l: Session[]) => l.map((s) => s.name);

describe("filtering", () => {
  it("filters by type", () => {
    expect(names(filterSessions(list(), { ...NO_FILTER, kind: "headless" }))).toEqual(["job-2", "job-10"]);
  });

  it("filters by status, with 'active' meaning Pending or Running", () => {
    expect(names(filterSessions(list(), { ...NO_FILTER, status: "Completed" }))).toEqual(["job-2"]);
    expect(names(filterSessions(list(), { ...NO_FILTER, status: "active" }))).toEqual(["notebook1", "carta1"]);
    expect(names(filterSessions(list(), { ...NO_FILTER, status: "Evicted" }))).toEqual(["desktop1"]);
  });

  it("searches name, id, image, type and status; every word must match", () => {
    expect(names(filterSessions(list(), { ...NO_FILTER, search: "JOB" }))).toEqual(["job-2", "job-10"]);
    expect(names(filterSessions(list(), { ...NO_FILTER, search: "a0000003" }))).toEqual(["job-2"]);
    expect(names(filterSessions(list(), { ...NO_FILTER, search: "carta:5" }))).toEqual(["carta1"]);
    expect(names(filterSessions(list(), { ...NO_FILTER, search: "headless failed" }))).toEqual(["job-10"]);
    expect(names(filterSessions(list(), { ...NO_FILTER, search: "  " }))).toHaveLength(5);
    expect(filterSessions(list(), { ...NO_FILTER, search: "nothing-like-this" })).toEqual([]);
  });

  it("combines type, status and search", () => {
    expect(names(filterSessions(list(), { kind: "headless", status: "Completed", search: "job" }))).toEqual(["job-2"]);
  });
});

describe("sorting", () => {
  it("sorts names naturally (job-2 before job-10), both ways", () => {
    const asc = names(sortSessions(list(), { key: "name", dir: "asc" }));
    expect(asc).toEqual(["carta1", "desktop1", "job-2", "job-10", "notebook1"]);
    expect(names(sortSessions(list(), { key: "name", dir: "desc" }))).toEqual([...asc].reverse());
  });

  it("puts not-yet-started sessions first when newest-first by start time", () => {
    expect(names(sortSessions(list(), { key: "started", dir: "desc" }))).toEqual(["carta1", "desktop1", "notebook1", "job-10", "job-2"]);
  });

  it("keeps sessions without a value last in either direction", () => {
    expect(names(sortSessions(list(), { key: "expires", dir: "asc" })).at(-1)).toBe("carta1");
    expect(names(sortSessions(list(), { key: "expires", dir: "desc" })).at(-1)).toBe("carta1");
    expect(names(sortSessions(list(), { key: "cores", dir: "desc" })).at(-1)).toBe("job-10");
  });

  it("orders statuses by what needs attention", () => {
    expect(names(sortSessions(list(), { key: "status", dir: "asc" }))).toEqual(["notebook1", "carta1", "job-10", "job-2", "desktop1"]);
  });

  it("does not change the input", () => {
    const l = list();
    const before = names(l);
    sortSessions(l, { key: "name", dir: "asc" });
    expect(names(l)).toEqual(before);
  });

  it("filters and sorts together", () => {
    expect(names(visibleSessions(list(), { ...NO_FILTER, kind: "headless" }, { key: "name", dir: "desc" }))).toEqual(["job-10", "job-2"]);
  });
});

describe("ranges and images", () => {
  it("gives the ids between two rows in display order, either way round", () => {
    const l = sortSessions(list(), { key: "name", dir: "asc" });
    expect(rangeIds(l, "a0000002", "a0000003")).toEqual(["a0000002", "a0000005", "a0000003"]);
    expect(rangeIds(l, "a0000003", "a0000002")).toEqual(["a0000002", "a0000005", "a0000003"]);
    expect(rangeIds(l, "gone", "a0000003")).toEqual(["a0000003"]);
  });

  it("splits image ids into registry, project and name", () => {
    expect(splitImage("images.canfar.net/skaha/astroml:latest")).toEqual({ registry: "images.canfar.net", project: "skaha", name: "astroml:latest" });
    expect(splitImage("skaha/astroml")).toEqual({ registry: "", project: "skaha", name: "astroml" });
    expect(splitImage("astroml")).toEqual({ registry: "", project: "", name: "astroml" });
  });
});
