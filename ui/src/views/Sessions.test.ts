import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../App.svelte";
import { FakePlatform, demoSessions, manySessions } from "../test/fake";
import { AppError, type PageTimes } from "../platform/types";

async function openApp(p: FakePlatform) {
  render(App, { props: { platform: p } });
  await waitFor(() => expect(p.listening.sessions).toBe(1));
  return screen.findByTestId("session-grid");
}

const rows = () => screen.queryAllByTestId("session-row");

/** The demo list's two headless replicas, as core groups them. */
const FIT_BATCH = {
  name: "fit",
  image: "images.canfar.net/skaha/terminal:1.1.2",
  total: 2,
  pending: 0,
  running: 0,
  completed: 1,
  failed: 1,
  failedIds: ["h1job002"],
  ids: ["h1job001", "h1job002"],
  progress: "1 of 2 done, 1 failed",
};
const rowNames = () => rows().map((r) => r.getAttribute("data-name"));

describe("Sessions list", () => {
  it("moves only the time when the poller finds the list unchanged (no re-render)", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    const list = await screen.findByTestId("sessions-list");
    await waitFor(() => expect(list.getAttribute("data-render-count")).toBe("1"));
    const timelineReads = () => p.argsOf("expiryTimeline").length;
    // Settled: the start's reads are done (two looks in a row see the same count).
    let seen = -1;
    await waitFor(() => {
      const n = timelineReads();
      const settled = n > 0 && n === seen;
      seen = n;
      expect(settled).toBe(true);
    });
    const read = timelineReads();
    p.confirmSessions("2026-12-03T17:42:00Z");
    await waitFor(() => expect(screen.getByText(/As of/).textContent).toMatch(/As of \d\d:42/));
    expect(screen.getByTestId("statusbar-sessions").textContent).toMatch(/as of \d\d:42/);
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    expect(list.getAttribute("data-render-count")).toBe("1");
    expect(rows().length).toBeGreaterThan(0);
    // Nor is the expiry timeline read again; a new list or a new credential status is.
    expect(timelineReads()).toBe(read);
    p.emitSessions({ asOf: new Date().toISOString() });
    await waitFor(() => expect(timelineReads()).toBe(read + 1));
    p.emitCredential({ state: "signed_in", headline: "Signed in again", advice: null, expiresAt: null });
    await waitFor(() => expect(timelineReads()).toBe(read + 2));
  });

  it("tells the backend once when the first list is painted, with its length", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    await waitFor(() => expect(p.argsOf("listPainted").map(([n]) => n)).toEqual([demoSessions().length]));
    // With the page's steps to it, in order.
    const page = p.argsOf("listPainted")[0][1] as PageTimes;
    expect(page.statusMs).not.toBeNull();
    expect(page.listMs).not.toBeNull();
    expect(page.statusMs!).toBeLessThanOrEqual(page.paintedMs);
    expect(page.listMs!).toBeLessThanOrEqual(page.paintedMs);
    // Another list arriving is not a first paint.
    p.emitSessions({ asOf: new Date().toISOString() });
    await fireEvent.click(screen.getByTestId("sessions-refresh"));
    await waitFor(() => expect(p.calls).toContain("refreshSessions"));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    expect(p.argsOf("listPainted")).toHaveLength(1);
  });

  it("shows each session with type, name, status, image, resources, start and expiry", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    const row = rows().find((r) => r.dataset.name === "carta1")!;
    const text = row.textContent ?? "";
    expect(text).toContain("CARTA");
    expect(text).toContain("carta1");
    expect(text).toContain("Running");
    expect(text).toContain("skaha/carta:5.0");
    expect(text).toContain("4 cores");
    expect(text).toContain("1.5 in use");
    expect(text).toContain("16 GB");
    expect(text).toMatch(/in [34] h/);
    // Expiring within the warning lead time is marked in words, not colour alone.
    expect(within(row).getByTestId("session-expires").textContent).toContain("Soon:");
    // A pending session has not started and has no expiry yet; it is sorted first.
    expect(rowNames()[0]).toBe("desktop1");
    expect(rows()[0].textContent).toContain("not started");
  });

  it("filters by type and status and searches", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    expect(rows()).toHaveLength(5);
    await fireEvent.change(screen.getByTestId("filter-kind"), { target: { value: "headless" } });
    expect(rowNames().sort()).toEqual(["fit-1", "fit-2"]);
    await fireEvent.change(screen.getByTestId("filter-status"), { target: { value: "Failed" } });
    expect(rowNames()).toEqual(["fit-2"]);
    expect(screen.getByTestId("sessions-summary").textContent).toContain("Showing 1 of 5 sessions");
    await fireEvent.change(screen.getByTestId("filter-kind"), { target: { value: "all" } });
    await fireEvent.change(screen.getByTestId("filter-status"), { target: { value: "active" } });
    expect(rowNames().sort()).toEqual(["carta1", "desktop1", "notebook1"]);
    await fireEvent.change(screen.getByTestId("filter-status"), { target: { value: "all" } });
    await fireEvent.input(screen.getByTestId("session-search"), { target: { value: "note" } });
    expect(rowNames()).toEqual(["notebook1"]);
    await fireEvent.input(screen.getByTestId("session-search"), { target: { value: "zzz" } });
    expect(rows()).toHaveLength(0);
    expect(screen.getByText(/No session matches "zzz"/)).toBeTruthy();
    await fireEvent.click(screen.getByRole("button", { name: "Show all sessions" }));
    expect(rows()).toHaveLength(5);
  });

  it("sorts by a column and reverses on the second click", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    const nameHeader = screen.getByRole("columnheader", { name: /Name/ });
    await fireEvent.click(within(nameHeader).getByRole("button"));
    expect(nameHeader.getAttribute("aria-sort")).toBe("ascending");
    expect(rowNames()).toEqual(["carta1", "desktop1", "fit-1", "fit-2", "notebook1"]);
    await fireEvent.click(within(nameHeader).getByRole("button"));
    expect(nameHeader.getAttribute("aria-sort")).toBe("descending");
    expect(rowNames()[0]).toBe("notebook1");
  });

  it("follows sessionsUpdated events", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    p.emitSessions({ sessions: demoSessions().slice(0, 2) });
    await waitFor(() => expect(rows()).toHaveLength(2));
  });

  it("shows 'as of hh:mm — cannot reach the platform' with the reason over the stale list", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    expect(screen.queryByTestId("stale-banner")).toBeNull();
    p.emitSessions({
      asOf: "2026-07-13T14:05:00Z",
      error: { code: "platform_unreachable", message: "Cannot reach ws-uv.canfar.net: connection refused. Check your network." },
    });
    const banner = await screen.findByTestId("stale-banner");
    const hhmm = new Date("2026-07-13T14:05:00Z");
    const expected = `${String(hhmm.getHours()).padStart(2, "0")}:${String(hhmm.getMinutes()).padStart(2, "0")}`;
    expect(banner.textContent).toContain(`As of ${expected} — cannot reach the platform.`);
    expect(banner.textContent).toContain("connection refused. Check your network.");
    // The stale list stays.
    expect(rows()).toHaveLength(5);
    expect(screen.getByTestId("statusbar-sessions").textContent).toContain(`Offline — list as of ${expected}`);
    p.emitSessions({ asOf: new Date().toISOString(), error: null });
    await waitFor(() => expect(screen.queryByTestId("stale-banner")).toBeNull());
  });

  it("explains a first load that failed, with a retry", async () => {
    const p = FakePlatform.signedIn({
      sessions: [],
      snapshot: { asOf: null, error: { code: "platform_unavailable", message: "The platform is in maintenance; try again later." } },
    });
    render(App, { props: { platform: p } });
    const err = await screen.findByTestId("sessions-error");
    expect(err.textContent).toContain("maintenance");
    await fireEvent.click(within(err).getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(p.calls).toContain("refreshSessions"));
  });

  it("renders 2,000 sessions as a small window of rows with the full size for screen readers", async () => {
    const p = FakePlatform.signedIn({ sessions: manySessions(2000) });
    const grid = await openApp(p);
    expect(grid.getAttribute("aria-rowcount")).toBe("2001");
    const n = rows().length;
    expect(n).toBeGreaterThan(5);
    expect(n).toBeLessThan(60);
    expect(rows()[0].getAttribute("aria-rowindex")).toBe("2");
    // Scrolling far down swaps in the rows there.
    const scroller = screen.getByTestId("session-scroller");
    scroller.scrollTop = 46 * 1500;
    await fireEvent.scroll(scroller);
    const idx = rows().map((r) => Number(r.getAttribute("aria-rowindex")));
    expect(Math.min(...idx)).toBeGreaterThan(1400);
    expect(rows().length).toBeLessThan(60);
    expect(screen.getByTestId("sessions-summary").textContent).toContain("2,000 sessions");
    await waitFor(() => expect(Number(screen.getByTestId("sessions-list").dataset.renderMs)).toBeGreaterThan(0));
  });

  it("refreshes with Ctrl+R and focuses the search with /", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    await fireEvent.keyDown(window, { key: "r", ctrlKey: true });
    await waitFor(() => expect(p.calls).toContain("refreshSessions"));
    await fireEvent.keyDown(document.body, { key: "/" });
    expect(document.activeElement).toBe(screen.getByTestId("session-search"));
  });

  it("moves with the arrow keys and opens details with Enter, closes with Escape", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    const first = rows()[0];
    first.focus();
    await fireEvent.keyDown(first, { key: "ArrowDown" });
    await waitFor(() => expect(document.activeElement).toBe(rows()[1]));
    const name = rows()[1].dataset.name!;
    await fireEvent.keyDown(rows()[1], { key: "Enter" });
    const details = await screen.findByTestId("session-details");
    expect(within(details).getByRole("heading", { level: 2 }).textContent).toBe(name);
    await fireEvent.keyDown(details, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("session-details")).toBeNull());
  });
});

describe("Bulk actions", () => {
  it("selects with checkboxes, shift-click ranges and select-all-visible", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    await fireEvent.click(within(screen.getByRole("columnheader", { name: /Name/ })).getByRole("button"));
    // carta1, desktop1, fit-1, fit-2, notebook1
    await fireEvent.click(screen.getByRole("checkbox", { name: "Select desktop1" }));
    await fireEvent.click(screen.getByRole("checkbox", { name: "Select fit-2" }), { shiftKey: true });
    expect(screen.getByTestId("bulk-bar").textContent).toContain("3 selected");
    expect(rows().filter((r) => r.getAttribute("aria-selected") === "true").map((r) => r.dataset.name)).toEqual(["desktop1", "fit-1", "fit-2"]);
    // Select all that the filter shows.
    await fireEvent.change(screen.getByTestId("filter-kind"), { target: { value: "headless" } });
    await fireEvent.click(screen.getByRole("button", { name: "Clear selection" }));
    await fireEvent.click(screen.getByTestId("select-all"));
    expect(screen.getByTestId("bulk-bar").textContent).toContain("2 selected");
  });

  it("deletes the selection after one confirmation listing the names", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    await fireEvent.click(screen.getByRole("checkbox", { name: "Select fit-1" }));
    await fireEvent.click(screen.getByRole("checkbox", { name: "Select fit-2" }));
    await fireEvent.click(screen.getByTestId("bulk-delete"));
    const dialog = await screen.findByTestId("confirm-bulk-delete");
    expect(within(dialog).getByRole("heading", { level: 2 }).textContent).toBe("Delete 2 sessions?");
    const listed = within(dialog).getByTestId("confirm-names").textContent;
    expect(listed).toContain("fit-1");
    expect(listed).toContain("fit-2");
    expect(p.calls).not.toContain("deleteSessions");
    await fireEvent.click(within(dialog).getByTestId("confirm-bulk-delete-button"));
    await waitFor(() => expect(screen.queryByTestId("confirm-bulk-delete")).toBeNull());
    expect(p.argsOf("deleteSessions")).toEqual([[["h1job001", "h1job002"]]]);
    await waitFor(() => expect(rows().find((r) => r.dataset.name === "fit-1")?.textContent).toContain("Terminating"));
  });

  it("keeps the dialog open and names the sessions that could not be deleted", async () => {
    const p = FakePlatform.signedIn();
    p.override("deleteSessions", async (ids) =>
      ids.map((id) => ({ id, error: id === "h1job002" ? { code: "permission_denied" as const, message: "Not allowed; ask the owner." } : null })),
    );
    await openApp(p);
    await fireEvent.click(screen.getByRole("checkbox", { name: "Select fit-1" }));
    await fireEvent.click(screen.getByRole("checkbox", { name: "Select fit-2" }));
    await fireEvent.click(screen.getByTestId("bulk-delete"));
    const dialog = await screen.findByTestId("confirm-bulk-delete");
    await fireEvent.click(within(dialog).getByTestId("confirm-bulk-delete-button"));
    const alert = await within(dialog).findByRole("alert");
    expect(alert.textContent).toContain("fit-2");
    expect(alert.textContent).toContain("Not allowed; ask the owner.");
  });

  it("asks before deleting with the Delete key", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    rows()[0].focus();
    await fireEvent.keyDown(rows()[0], { key: "Delete" });
    const dialog = await screen.findByTestId("confirm-bulk-delete");
    expect(within(dialog).getByRole("heading", { level: 2 }).textContent).toBe(`Delete ${rows()[0].dataset.name}?`);
    await fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(p.calls).not.toContain("deleteSessions");
  });

  it("previews a prune rule before deleting what it selects", async () => {
    const p = FakePlatform.signedIn();
    // What the backend selects for each rule the test types (its matching is tested in core).
    const byName = (n: string) => p.snapshot.sessions.find((s) => s.name === n)!;
    p.override("prunePreview", async (rule) => {
      if (rule.regex && rule.pattern === "fit-(") {
        throw new AppError("validation", "the pattern is not a valid regular expression: unclosed group");
      }
      return rule.status ? [byName("fit-1")] : [byName("fit-1"), byName("fit-2")];
    });
    await openApp(p);
    await fireEvent.click(screen.getByTestId("open-prune"));
    const dialog = await screen.findByTestId("prune-dialog");
    // Default rule: finished headless jobs.
    await waitFor(() => expect(within(dialog).getByTestId("prune-count").textContent).toContain("1 session match"));
    expect(within(dialog).getByTestId("prune-preview").textContent).toContain("fit-1");
    await fireEvent.change(within(dialog).getByLabelText("Status"), { target: { value: "any" } });
    await fireEvent.input(within(dialog).getByLabelText("Name starts with"), { target: { value: "fit-" } });
    await waitFor(() => expect(within(dialog).getByTestId("prune-count").textContent).toContain("2 sessions match"));
    expect(p.argsOf("prunePreview").at(-1)).toEqual([{ pattern: "fit-", regex: false, kind: "headless", status: null }]);
    // A broken regular expression is explained next to the pattern.
    await fireEvent.click(within(dialog).getByRole("checkbox", { name: "Regular expression" }));
    await fireEvent.input(within(dialog).getByLabelText("Name starts with"), { target: { value: "fit-(" } });
    await waitFor(() => expect(within(dialog).getByText(/not a valid regular expression/)).toBeTruthy());
    expect((within(dialog).getByTestId("prune-confirm") as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.input(within(dialog).getByLabelText("Name starts with"), { target: { value: "^fit-\\d$" } });
    await waitFor(() => expect(within(dialog).getByTestId("prune-confirm").textContent).toContain("Delete 2 sessions"));
    await fireEvent.click(within(dialog).getByTestId("prune-confirm"));
    await waitFor(() => expect(screen.queryByTestId("prune-dialog")).toBeNull());
    expect(p.argsOf("deleteSessions")).toEqual([[["h1job001", "h1job002"]]]);
  });
});

describe("Expiry timeline", () => {
  it("puts everything that runs out on one axis, soonest first, each with its action", async () => {
    const now = Date.now();
    const at = (h: number) => new Date(now + h * 3_600_000).toISOString();
    const carta = demoSessions().find((s) => s.name === "carta1")!;
    const p = FakePlatform.signedIn({
      timeline: [
        { kind: "sign_in", label: "", sessionId: null, at: at(1), action: "sign_in", automatic: true, keptUntil: null, expired: false },
        { kind: "session", label: "carta1", sessionId: carta.id, at: at(20), action: "renew_session", automatic: true, keptUntil: at(72), expired: false },
        { kind: "certificate", label: "", sessionId: null, at: at(150), action: "renew_certificate", automatic: false, keptUntil: null, expired: false },
      ],
    });
    await openApp(p);
    const tl = await screen.findByTestId("expiry-timeline");
    expect(within(tl).getByTestId("timeline-next").textContent).toContain("next: Sign-in in");
    const rows = within(tl).getAllByTestId("timeline-item");
    expect(rows.map((r) => r.dataset.kind)).toEqual(["sign_in", "session", "certificate"]);
    expect(rows[0].textContent).toContain("Refreshed by itself before then.");
    expect(rows[1].textContent).toContain("Kept alive until");
    expect(rows[2].textContent).toContain("Automatic renewal is off: renew it yourself.");
    // Each with its action.
    await fireEvent.click(within(rows[1]).getByRole("button", { name: "Renew: carta1" }));
    await waitFor(() => expect(p.argsOf("renewSession")).toEqual([[carta.id]]));
    expect((await within(tl).findByRole("status")).textContent).toContain("Renewed carta1");
    await fireEvent.click(within(rows[2]).getByRole("button", { name: "Renew now: Certificate" }));
    await waitFor(() => expect(p.calls).toContain("renewCertificateNow"));
    // The session's name opens its details.
    await fireEvent.click(within(rows[1]).getByRole("button", { name: "carta1" }));
    expect(await screen.findByTestId("session-details")).toBeTruthy();
  });

  it("says nothing when nothing runs out", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    await screen.findByTestId("sessions-list");
    expect(screen.queryByTestId("expiry-timeline")).toBeNull();
  });
});

describe("Session details", () => {
  async function openDetails(p: FakePlatform, name: string) {
    await openApp(p);
    await fireEvent.click(rows().find((r) => r.dataset.name === name)!);
    return screen.findByTestId("session-details");
  }

  it("shows what a session used over its life against its request, and the size that would do", async () => {
    const carta = demoSessions().find((s) => s.name === "carta1")!;
    const t0 = Date.parse("2026-12-01T08:00:00Z");
    const samples = Array.from({ length: 24 }, (_, i) => ({
      at: new Date(t0 + i * 3 * 3_600_000).toISOString(),
      cores: 0.2 + (i % 3) / 10,
      ramGb: 1.0 + (i % 4) / 20,
    }));
    const p = FakePlatform.signedIn({
      usage: {
        [carta.id]: {
          track: {
            profile: "sim", id: carta.id, name: "carta1", image: carta.image,
            requestedCores: 4, requestedRamGb: 16,
            first: samples[0].at, last: samples[23].at,
            peakCores: 0.4, peakRamGb: 1.15, samples,
          },
          fit: { cores: 1, ramGb: 2, sentence: "Used at most 1.1 of 16 GB over 3 days: 2 GB would do; used at most 0.4 of 4 cores over 3 days: 1 core would do." },
        },
      },
    });
    const d = await openDetails(p, "carta1");
    const usage = await within(d).findByTestId("session-usage");
    expect(usage.textContent).toContain("CPU: at most 0.4 of 4 cores requested");
    expect(usage.textContent).toContain("RAM: at most 1.15 of 16 GB requested");
    expect(usage.textContent).toContain("2 d 21 h so far");
    // A chart for each figure, named for screen readers; the request drawn as a line.
    const charts = within(usage).getAllByRole("img");
    expect(charts.map((c) => c.getAttribute("aria-label"))).toEqual([
      "CPU: at most 0.4 of 4 cores requested, over 2 d 21 h",
      "RAM: at most 1.15 of 16 GB requested, over 2 d 21 h",
    ]);
    expect(charts[0].querySelector("polyline")!.getAttribute("points")!.split(" ")).toHaveLength(24);
    expect(charts[0].querySelector("line")).toBeTruthy();
    expect(within(usage).getByTestId("session-fit").textContent).toContain("2 GB would do");
  });

  it("keeps a session alive while Skyport runs, says how, and stops on request", async () => {
    const p = FakePlatform.signedIn();
    const carta = demoSessions().find((s) => s.name === "carta1")!;
    const d = await openDetails(p, "carta1");
    const keep = await within(d).findByTestId("keep-alive");
    expect(keep.textContent).toContain("a fresh 7-day certificate in the session's ~/.ssl");
    const timelineReads = p.argsOf("expiryTimeline").length;
    await fireEvent.change(within(keep).getByLabelText("Keep it alive while Skyport runs, up to"), { target: { value: "3" } });
    await fireEvent.click(within(keep).getByRole("button", { name: "Keep alive" }));
    await waitFor(() => expect(within(keep).getByTestId("keep-alive-rule").textContent).toContain("Kept alive while Skyport runs, until"));
    expect(p.argsOf("setKeepAlive")).toEqual([[carta.id, 3]]);
    // The expiry timeline shows the rule (it is read again).
    await waitFor(() => expect(p.argsOf("expiryTimeline").length).toBe(timelineReads + 1));
    expect(within(keep).getByRole("status").textContent).toContain("Skyport keeps carta1 alive until");
    await fireEvent.click(within(keep).getByRole("button", { name: "Stop keeping it alive" }));
    await waitFor(() => expect(within(keep).queryByTestId("keep-alive-rule")).toBeNull());
    expect(p.argsOf("setKeepAlive").at(-1)).toEqual([carta.id, null]);
  });

  it("shows a rule already set, with how often it extended the session", async () => {
    const carta = demoSessions().find((s) => s.name === "carta1")!;
    const p = FakePlatform.signedIn({
      keepAlive: [{ profile: "sim", sessionId: carta.id, name: "carta1", until: "2026-12-10T08:00:00Z", withinHours: 24, extended: 2, lastExpiry: null, grantedSecs: null, created: "2026-12-01T08:00:00Z" }],
    });
    const d = await openDetails(p, "carta1");
    expect((await within(d).findByTestId("keep-alive-rule")).textContent).toContain("extended 2 times so far");
  });

  it("tells of an extension and of a rule that stopped", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    const carta = demoSessions().find((s) => s.name === "carta1")!;
    p.emitNotice({ event: "extended", id: carta.id, name: "carta1", expires_at: "2026-12-08T08:00:00Z", until: "2026-12-10T08:00:00Z", last: false });
    p.emitNotice({ event: "keepAliveStopped", id: carta.id, name: "carta1", title: "Could not extend carta1", reason: "The platform is down. Skyport stops keeping it alive; renew it yourself from its details." });
    const notices = await screen.findByTestId("notices");
    await waitFor(() => expect(notices.textContent).toContain("Extended carta1"));
    expect(notices.textContent).toContain("kept alive until");
    expect(notices.textContent).toContain("Could not extend carta1");
  });

  it("groups a batch's replicas with its progress, lists them alone, and opens a failed one at its logs", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    // The groups and the words come from core, with the list.
    p.emitSessions({ batches: [FIT_BATCH] });
    const batch = await screen.findByTestId("batch");
    expect(batch.textContent).toContain("fit");
    expect(batch.textContent).toContain("Ended with failures");
    expect(within(batch).getByTestId("batch-progress").textContent).toBe("1 of 2 done, 1 failed");
    const bar = within(batch).getByRole("progressbar", { name: "fit: replicas ended" });
    expect([bar.getAttribute("aria-valuenow"), bar.getAttribute("aria-valuemax")]).toEqual(["2", "2"]);

    const show = within(batch).getByRole("button", { name: "Show its 2" });
    await fireEvent.click(show);
    expect(rowNames().sort()).toEqual(["fit-1", "fit-2"]);
    expect(screen.getByTestId("sessions-summary").textContent).toContain("Showing 2 of 5 sessions: the replicas of fit");
    // The same button, pressed, goes back.
    expect(show.getAttribute("aria-pressed")).toBe("true");
    expect(show.textContent?.trim()).toBe("Show all sessions");
    await fireEvent.click(show);
    expect(rows()).toHaveLength(5);
    expect(show.getAttribute("aria-pressed")).toBe("false");

    await fireEvent.click(within(batch).getByRole("button", { name: "Logs of fit-2" }));
    const d = await screen.findByTestId("session-details");
    expect(within(d).getByRole("heading", { name: "fit-2" })).toBeTruthy();
    await waitFor(() => expect(p.argsOf("sessionLogs")).toEqual([["h1job002"]]));
    await waitFor(() => expect(document.activeElement).toBe(within(d).getByTestId("logs-title")));
  });

  it("tells once that a batch has ended, with the first failed replica's logs one click away", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    p.emitNotice({ event: "batchEnded", id: "h1job001", name: "fit", progress: "1 of 2 done, 1 failed", failed_ids: ["h1job002"] });
    const notices = await screen.findByTestId("notices");
    await waitFor(() => expect(notices.textContent).toContain("Batch fit ended, 1 failed"));
    expect(notices.textContent).toContain("1 of 2 done, 1 failed");
    await fireEvent.click(within(notices).getByRole("button", { name: "Logs of the first failed" }));
    const d = await screen.findByTestId("session-details");
    expect(within(d).getByRole("heading", { name: "fit-2" })).toBeTruthy();
    await waitFor(() => expect(p.argsOf("sessionLogs")).toEqual([["h1job002"]]));
  });

  it("says when a running session's use has not been noted yet", async () => {
    const p = FakePlatform.signedIn();
    const d = await openDetails(p, "carta1");
    expect((await within(d).findByTestId("session-usage-none")).textContent).toContain("noted from the next refresh");
  });

  it("shows resources requested and in use, events as a table, and logs", async () => {
    const p = FakePlatform.signedIn();
    const d = await openDetails(p, "carta1");
    const [resources] = within(d).getAllByRole("table");
    const cpu = within(resources).getByRole("row", { name: /CPU cores/ });
    expect(within(cpu).getAllByRole("cell").map((c) => c.textContent)).toEqual(["4", "1.5"]);
    const ram = within(resources).getByRole("row", { name: /RAM/ });
    expect(within(ram).getAllByRole("cell").map((c) => c.textContent)).toEqual(["16", "9.2"]);
    const events = await within(d).findByTestId("events-table");
    expect(within(events).getAllByRole("row")).toHaveLength(4);
    expect(events.textContent).toContain("Pulling");
    const logs = await within(d).findByTestId("logs");
    expect(logs.textContent).toContain("Jupyter Server is running");
  });

  it("says why a Pending session waits: on its line from the poller, in full in its details", async () => {
    const p = FakePlatform.signedIn();
    await openApp(p);
    const waits = {
      cause: "noRoom" as const,
      short: "No room: memory",
      sentence: "No node has 192 GB free: the platform's RAM is 94% taken.",
      nextStep: "Try 92 GB, or wait.",
      evidence: "FailedScheduling: 0/12 nodes are available: 12 Insufficient memory.",
      since: null,
    };
    p.emitSessions({ why: { d7m2p9zq: waits } });
    const row = await waitFor(() => rows().find((r) => r.dataset.name === "desktop1")!);
    const line = await within(row).findByTestId("session-why");
    expect(line.textContent).toContain("No room: memory");
    expect(line.getAttribute("title")).toBe("No node has 192 GB free: the platform's RAM is 94% taken.");
    // Only the waiting session's line says anything.
    expect(screen.getAllByTestId("session-why")).toHaveLength(1);
    await fireEvent.click(row);
    const d = await screen.findByTestId("session-details");
    const why = await within(d).findByTestId("session-why-details");
    expect(why.textContent).toContain("Try 92 GB, or wait.");
    expect(why.textContent).toContain("The platform says: FailedScheduling");
    // Gone from the list when it no longer waits.
    p.emitSessions({ why: {} });
    await waitFor(() => expect(screen.queryAllByTestId("session-why")).toHaveLength(0));
  });

  it("asks why a failed session failed when its details open; a running one is not asked", async () => {
    const p = FakePlatform.signedIn();
    const d = await openDetails(p, "fit-2");
    await waitFor(() => expect(p.argsOf("sessionWhy")).toEqual([["h1job002"]]));
    expect(within(d).queryByTestId("session-why-details")).toBeNull(); // the fake has nothing to say of it
    await fireEvent.click(within(d).getByRole("button", { name: /Close/ }));
    await waitFor(() => expect(screen.queryByTestId("session-details")).toBeNull());
    await fireEvent.click(rows().find((r) => r.dataset.name === "notebook1")!);
    await within(await screen.findByTestId("session-details")).findByTestId("logs");
    expect(p.argsOf("sessionWhy")).toHaveLength(1);
  });

  it("follows the logs when asked", async () => {
    const p = FakePlatform.signedIn();
    const d = await openDetails(p, "notebook1");
    await within(d).findByTestId("logs");
    const before = p.calls.filter((c) => c === "sessionLogs").length;
    p.logs.set("k3x9q2ab", "line 1\nline 2\n");
    await fireEvent.click(within(d).getByTestId("logs-follow"));
    await waitFor(() => expect(within(d).getByTestId("logs").textContent).toContain("line 2"));
    expect(p.calls.filter((c) => c === "sessionLogs").length).toBeGreaterThan(before);
  });

  it("renews and shows the new expiry", async () => {
    const p = FakePlatform.signedIn();
    const d = await openDetails(p, "carta1");
    await fireEvent.click(within(d).getByTestId("details-renew"));
    const result = await within(d).findByTestId("renew-result");
    expect(result.textContent).toMatch(/^Renewed — now expires \d{4}-\d\d-\d\d \d\d:\d\d, in 3 d 23 h\.$/);
    expect(within(d).getByTestId("details-expiry").textContent).toContain("in 3 d 23 h");
  });

  it("shows why a renew failed", async () => {
    const p = FakePlatform.signedIn();
    p.fail("renewSession", new AppError("platform_unreachable", "Cannot reach the platform; check your network and try again."));
    const d = await openDetails(p, "carta1");
    await fireEvent.click(within(d).getByTestId("details-renew"));
    expect((await within(d).findByRole("alert")).textContent).toContain("check your network");
  });

  it("deletes only after a confirmation that names the session", async () => {
    const p = FakePlatform.signedIn();
    const d = await openDetails(p, "notebook1");
    await fireEvent.click(within(d).getByTestId("details-delete"));
    const confirm = await screen.findByTestId("confirm-delete");
    expect(within(confirm).getByRole("heading", { level: 2 }).textContent).toBe("Delete notebook1?");
    // Escape closes only the confirmation.
    await fireEvent.keyDown(confirm, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("confirm-delete")).toBeNull());
    expect(screen.getByTestId("session-details")).toBeTruthy();
    expect(p.calls).not.toContain("deleteSessions");
    await fireEvent.click(within(d).getByTestId("details-delete"));
    await fireEvent.click(within(await screen.findByTestId("confirm-delete")).getByTestId("confirm-delete-button"));
    await waitFor(() => expect(screen.queryByTestId("session-details")).toBeNull());
    expect(p.argsOf("deleteSessions")).toEqual([[["k3x9q2ab"]]]);
    expect(rows().find((r) => r.dataset.name === "notebook1")?.textContent).toContain("Terminating");
  });

  it("opens in the browser only when Running", async () => {
    const p = FakePlatform.signedIn();
    let d = await openDetails(p, "desktop1");
    const open = within(d).getByTestId("details-open") as HTMLButtonElement;
    expect(open.disabled).toBe(true);
    expect(d.textContent).toContain("Opens once the session is Running (it is Pending).");
    await fireEvent.keyDown(d, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("session-details")).toBeNull());
    await fireEvent.click(rows().find((r) => r.dataset.name === "notebook1")!);
    d = await screen.findByTestId("session-details");
    await fireEvent.click(within(d).getByTestId("details-open"));
    await waitFor(() => expect(p.argsOf("openSessionInBrowser")).toEqual([["k3x9q2ab"]]));
  });

  it("opens a Running session in its own window, and not a Pending one", async () => {
    const p = FakePlatform.signedIn();
    let d = await openDetails(p, "desktop1");
    expect((within(d).getByTestId("details-open-window") as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.keyDown(d, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("session-details")).toBeNull());
    await fireEvent.click(rows().find((r) => r.dataset.name === "notebook1")!);
    d = await screen.findByTestId("session-details");
    await fireEvent.click(within(d).getByTestId("details-open-window"));
    await waitFor(() => expect(p.argsOf("openSessionWindow")).toEqual([["k3x9q2ab"]]));
    expect(p.calls).not.toContain("openSessionInBrowser");
  });

  it("offers to reopen the session windows of the last run, once", async () => {
    const p = FakePlatform.signedIn();
    p.reopen = ["k3x9q2ab"];
    await openDetails(p, "notebook1");
    await fireEvent.keyDown(screen.getByTestId("session-details"), { key: "Escape" });
    const offer = await screen.findByTestId("reopen-offer", {}, { timeout: 3000 });
    expect(offer.textContent).toContain("notebook1");
    await fireEvent.click(within(offer).getByTestId("reopen-windows"));
    await waitFor(() => expect(p.argsOf("openSessionWindow")).toEqual([["k3x9q2ab"]]));
    await waitFor(() => expect(screen.queryByTestId("reopen-offer")).toBeNull());
    expect(p.settings.reopenWindows).toBe(false);
  });

  it("'Always reopen' reopens now and switches the setting on", async () => {
    const p = FakePlatform.signedIn();
    p.reopen = ["k3x9q2ab"];
    render(App, { props: { platform: p } });
    const offer = await screen.findByTestId("reopen-offer", {}, { timeout: 3000 });
    await fireEvent.click(within(offer).getByTestId("reopen-always"));
    await waitFor(() => expect(p.argsOf("openSessionWindow")).toEqual([["k3x9q2ab"]]));
    expect(p.settings.reopenWindows).toBe(true);
    await waitFor(() => expect(screen.queryByTestId("reopen-offer")).toBeNull());
  });
});
