import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import App from "./App.svelte";
import { FakePlatform } from "./test/fake";
import { AppError } from "./platform/types";
import { viewForShortcut } from "./views";

const REG = "https://reg.example/reg/resource-caps";
const probe = (reachable: boolean, detail: string | null = null) => ({ reachable, latencyMs: reachable ? 12 : null, detail });
const CHOICES = {
  platforms: [
    { name: "canfar", id: "ivo://cadc.nrc.ca/skaha", service: "https://ws-uv.canfar.net/skaha", registry: REG, srcnet: false, shipped: false, local: false, probe: probe(true) },
    { name: "sweSRC", id: "ivo://swesrc.chalmers.se/skaha", service: "https://services.swesrc.chalmers.se/skaha", registry: REG, srcnet: true, shipped: false, local: false, probe: probe(true) },
    { name: "ukCAM", id: "ivo://canfar.cam.uksrc.org/skaha", service: "https://cam/skaha", registry: REG, srcnet: true, shipped: false, local: false, probe: probe(false, "HTTP 503 Service Unavailable from https://cam/skaha") },
  ],
  problems: [],
};

describe("App shell", () => {
  it("tells the backend the main window is in use when clicked or typed in, at most every 5 s", async () => {
    const p = FakePlatform.signedIn();
    render(App, { props: { platform: p } });
    await fireEvent.pointerDown(window);
    await fireEvent.keyDown(window, { key: "a" });
    await fireEvent.pointerDown(window);
    expect(p.calls.filter((c) => c === "mainWindowUsed")).toHaveLength(1);
  });

  it("reports the first use after the main window was closed at once, throttle or not", async () => {
    const p = FakePlatform.signedIn();
    render(App, { props: { platform: p } });
    await waitFor(() => expect(p.listening.navigate).toBe(1));
    await fireEvent.pointerDown(window);
    // The backend kept Skyport running after a close; the next click must reach it.
    p.emit("mainWindowClosed", null);
    await fireEvent.pointerDown(window);
    expect(p.calls.filter((c) => c === "mainWindowUsed")).toHaveLength(2);
    await fireEvent.pointerDown(window);
    expect(p.calls.filter((c) => c === "mainWindowUsed")).toHaveLength(2);
  });

  it("shows the six views in the navigation and starts on Sessions", async () => {
    render(App, { props: { platform: FakePlatform.signedIn() } });
    const nav = screen.getByRole("navigation", { name: "Main" });
    // Icons and shortcut hints are aria-hidden, so the accessible names are the plain labels.
    for (const name of ["Sessions", "Launch", "Storage", "Credentials", "Platforms", "Settings"]) {
      expect(within(nav).getByRole("button", { name })).toBeTruthy();
    }
    expect(within(nav).getAllByRole("button")).toHaveLength(6);
    expect(await screen.findByRole("heading", { level: 1 })).toHaveProperty("textContent", "Sessions");
    expect(nav.querySelector('[aria-current="page"]')?.getAttribute("data-view")).toBe("sessions");
  });

  it("opens on the welcome page with no platform: choosing one adds it and goes on to sign in", async () => {
    const p = new FakePlatform({ choices: CHOICES });
    render(App, { props: { platform: p } });
    await screen.findByRole("heading", { level: 1, name: "Welcome to Skyport" });
    expect(screen.queryByText(/SKYPORT_URL/)).toBeNull();
    const rows = await screen.findAllByTestId("choice");
    expect(rows.map((r) => r.dataset.name)).toEqual(["canfar", "sweSRC", "ukCAM"]);
    expect(rows[1].textContent).toContain("SRCNet node: sign in through SKA IAM in your browser");
    expect(rows[2].textContent).toContain("Not answering: HTTP 503 Service Unavailable");
    await fireEvent.click(screen.getByRole("button", { name: "Use sweSRC" }));
    await waitFor(() => expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Credentials"));
    expect(p.argsOf("addPlatform")).toEqual([[{ kind: "listed", id: "ivo://swesrc.chalmers.se/skaha", registry: REG }]]);
    expect(await screen.findByText("canfar added")).toBeTruthy();
  });

  it("says what failed when a platform cannot be added, and lets the user try another", async () => {
    const p = new FakePlatform({ choices: CHOICES }).fail(
      "addPlatform",
      new AppError("platform_unreachable", "Reading the session service at https://cam/skaha failed: it does not answer (HTTP 503). The platform may be down for maintenance: try again later, or check its status page."),
    );
    render(App, { props: { platform: p } });
    await fireEvent.click(await screen.findByRole("button", { name: "Use ukCAM" }));
    const alert = await screen.findByTestId("add-error");
    expect(alert.textContent).toContain("Reading the session service at https://cam/skaha failed");
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Welcome to Skyport");
    // An address: empty is refused in words, a URL is sent as given.
    await fireEvent.click(screen.getByRole("button", { name: "Add" }));
    expect(screen.getByTestId("add-error").textContent).toContain("Give the platform's address");
    await fireEvent.input(screen.getByLabelText("Its address or registry id"), { target: { value: " https://other.example/skaha " } });
    await fireEvent.click(screen.getByRole("button", { name: "Add" }));
    await waitFor(() => expect(p.argsOf("addPlatform")).toHaveLength(2));
    expect(p.argsOf("addPlatform")[1]).toEqual([{ kind: "address", address: "https://other.example/skaha" }]);
  });

  it("marks platforms from the shipped list when a registry cannot be read", async () => {
    const p = new FakePlatform({
      choices: {
        platforms: [{ ...CHOICES.platforms[0], shipped: true }],
        problems: ["Reading the registry at https://reg failed: cannot connect. The platforms below marked \"known address\" come from the list shipped with Skyport."],
      },
    });
    render(App, { props: { platform: p } });
    expect((await screen.findByTestId("choices-problem")).textContent).toContain("Reading the registry at https://reg failed");
    expect((await screen.findByTestId("choice")).textContent).toContain("known address");
  });

  it("offers the platforms running on this computer apart from the others", async () => {
    const local = "http://127.0.0.1:4000/reg/resource-caps";
    const p = new FakePlatform({
      choices: {
        platforms: [
          CHOICES.platforms[0],
          { ...CHOICES.platforms[0], registry: local, service: "http://127.0.0.1:4001/skaha", local: true },
        ],
        problems: [],
      },
    });
    render(App, { props: { platform: p } });
    const here = await screen.findByRole("list", { name: "On this computer" });
    expect(within(here).getByTestId("choice").textContent).toContain("a local demo or test copy");
    const remote = screen.getByRole("list", { name: "Science platforms" });
    expect(within(remote).getByTestId("choice").textContent).toContain("https://ws-uv.canfar.net/skaha");
  });

  it("offers the canfar client's servers at first run; its tokens move only when ticked", async () => {
    const server = (name: string, hasToken: boolean, skipped: string | null = null) => ({
      name,
      url: `https://${name}.example/skaha`,
      signIn: hasToken ? "oidc" : "x509",
      hasToken,
      skipped,
      active: name === "swesrc",
    });
    const p = new FakePlatform({
      choices: CHOICES,
      canfarImport: {
        path: "/home/u/.canfar/config.yaml",
        servers: [server("canfar", false), server("swesrc", true), server("old", false, "it has no URL")],
      },
    });
    render(App, { props: { platform: p } });
    const offer = await screen.findByTestId("canfar-import");
    expect(offer.textContent).toContain("/home/u/.canfar/config.yaml");
    expect(offer.textContent).toContain("canfar, swesrc");
    expect(offer.textContent).not.toContain("old");
    const tick = screen.getByTestId("canfar-import-tokens") as HTMLInputElement;
    expect(tick.checked).toBe(false);
    await fireEvent.click(screen.getByTestId("canfar-import-button"));
    await waitFor(() => expect(p.argsOf("importCanfar")).toEqual([[false]]));
    await waitFor(() => expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Platforms"));
    expect(await screen.findByText("Imported canfar, swesrc")).toBeTruthy();
  });

  it("leaves the welcome page when a platform is chosen in a terminal", async () => {
    const p = new FakePlatform({ choices: CHOICES });
    render(App, { props: { platform: p } });
    await screen.findByRole("heading", { level: 1, name: "Welcome to Skyport" });
    await waitFor(() => expect(p.listening.platformChanged).toBe(1));
    p.platform = { serviceUrl: "https://ws-uv.canfar.net/skaha", source: 'Profile "canfar"' };
    p.emit("platformChanged", null);
    await waitFor(() => expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Sessions"));
  });

  it("says nothing of the canfar client when it has no settings", async () => {
    render(App, { props: { platform: new FakePlatform({ choices: CHOICES }) } });
    await screen.findAllByTestId("choice");
    expect(screen.queryByTestId("canfar-import")).toBeNull();
  });

  it("leads from the Sessions empty state to choosing a platform", async () => {
    render(App, { props: { platform: new FakePlatform() } });
    await screen.findByRole("heading", { level: 1, name: "Welcome to Skyport" });
    await fireEvent.click(screen.getByRole("button", { name: /^Sessions/ }));
    await screen.findByText("No platform yet");
    await fireEvent.click(screen.getByRole("button", { name: "Choose a platform" }));
    await screen.findByRole("heading", { level: 1, name: "Platforms" }); // the view loads when first opened
    expect(await screen.findByTestId("platform-chooser")).toBeTruthy();
  });

  it("asks to sign in when a platform is set but there is no credential", async () => {
    const p = new FakePlatform({ platform: { serviceUrl: "https://example.org/skaha", source: "test" } });
    render(App, { props: { platform: p } });
    await screen.findByText("Sign in to see your sessions");
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await screen.findByRole("heading", { level: 1, name: "Credentials" }); // the view loads when first opened
  });

  it("shows the credential state in the status bar and follows change events", async () => {
    const p = new FakePlatform();
    render(App, { props: { platform: p } });
    const bar = await screen.findByTestId("credential-status");
    await waitFor(() => expect(bar.textContent).toContain("Not signed in"));
    // The listener is registered after the first load; wait for it before emitting.
    await waitFor(() => expect(p.calls).toContain("platformStatus"));
    await waitFor(() => {
      p.emitCredential({ state: "signed_in", headline: "Signed in as alice", advice: null, expiresAt: null });
      expect(bar.textContent).toContain("Signed in as alice");
    });
    expect(bar.textContent).toContain("Signed in:");
  });

  it("shows an unusable platform setting as an alert with the backend's message", async () => {
    const p = new FakePlatform({ platform: new AppError("config", "\"ws-uv\" is not a URL; give the service URL") });
    render(App, { props: { platform: p } });
    await waitFor(() => expect(p.calls).toContain("platformStatus"));
    await fireEvent.click(screen.getByRole("button", { name: /Platforms/ }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("is not a URL");
  });

  it("switches views with Ctrl+number and Ctrl+N", async () => {
    render(App, { props: { platform: new FakePlatform() } });
    await fireEvent.keyDown(window, { key: "6", ctrlKey: true });
    await screen.findByRole("heading", { level: 1, name: "Settings" }); // the view loads when first opened
    await fireEvent.keyDown(window, { key: "n", ctrlKey: true });
    await screen.findByRole("heading", { level: 1, name: "Launch" }); // the view loads when first opened
  });
});

describe("viewForShortcut", () => {
  it("ignores keys without Ctrl/Cmd and with Alt", () => {
    expect(viewForShortcut({ key: "1", ctrlKey: false, metaKey: false, altKey: false })).toBeNull();
    expect(viewForShortcut({ key: "1", ctrlKey: true, metaKey: false, altKey: true })).toBeNull();
    expect(viewForShortcut({ key: "9", ctrlKey: true, metaKey: false, altKey: false })).toBeNull();
    expect(viewForShortcut({ key: "3", ctrlKey: false, metaKey: true, altKey: false })).toBe("storage");
    expect(viewForShortcut({ key: "4", ctrlKey: false, metaKey: true, altKey: false })).toBe("credentials");
    // Ctrl+Shift+N is "New folder" in Storage, not Launch.
    expect(viewForShortcut({ key: "N", ctrlKey: true, metaKey: false, altKey: false, shiftKey: true })).toBeNull();
  });
});

describe("Notices", () => {
  it("shows one calm, dismissible notice per event, and offers the session", async () => {
    const p = FakePlatform.signedIn();
    render(App, { props: { platform: p } });
    await waitFor(() => expect(p.listening.notices).toBe(1));
    p.emitNotice({ event: "running", id: "k3x9q2ab", name: "notebook1", kind: "notebook" });
    p.emitNotice({ event: "completed", id: "h1job001", name: "fit-1" });
    const expires = new Date(Date.now() + 5 * 3_600_000 + 60_000).toISOString();
    p.emitNotice({ event: "expiringSoon", id: "c4rta001", name: "carta1", kind: "carta", expires_at: expires });
    const area = screen.getByTestId("notices");
    expect(area.getAttribute("aria-live")).toBe("polite");
    await waitFor(() => expect(within(area).getAllByTestId("notice")).toHaveLength(3));
    expect(area.textContent).toContain("notebook1 is ready");
    expect(area.textContent).toContain("fit-1 finished");
    expect(area.textContent).toContain("carta1 expires soon");
    expect(area.textContent).toContain("in 5 h");
    await fireEvent.click(within(area).getByRole("button", { name: "Dismiss: fit-1 finished" }));
    expect(within(area).getAllByTestId("notice")).toHaveLength(2);
    // "Renew…" opens the session's details, where Renew is.
    await fireEvent.click(within(area).getByRole("button", { name: "Renew…" }));
    const details = await screen.findByTestId("session-details");
    expect(within(details).getByRole("heading", { level: 2 }).textContent).toBe("carta1");
    expect(within(area).getAllByTestId("notice")).toHaveLength(1);
  });

  it("keeps only the newest few", async () => {
    const p = FakePlatform.signedIn();
    render(App, { props: { platform: p } });
    await waitFor(() => expect(p.listening.notices).toBe(1));
    for (let i = 1; i <= 7; i++) p.emitNotice({ event: "completed", id: `h1job00${i}`, name: `job-${i}` });
    const area = screen.getByTestId("notices");
    await waitFor(() => expect(within(area).getAllByTestId("notice")).toHaveLength(4));
    expect(area.textContent).toContain("job-7 finished");
    expect(area.textContent).not.toContain("job-3 finished");
  });
});

describe("A page that rested in the tray", () => {
  it("shows the notices it missed and the view it was asked for, once", async () => {
    const p = FakePlatform.signedIn();
    p.missed = {
      view: "credentials",
      notices: [
        { event: "completed", id: "h1job001", name: "fit-1" },
        { event: "failed", id: "k3x9q2ab", name: "notebook1", kind: "notebook" },
      ],
    };
    render(App, { props: { platform: p } });
    await waitFor(() => expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Credentials"));
    const area = screen.getByTestId("notices");
    await waitFor(() => expect(within(area).getAllByTestId("notice")).toHaveLength(2));
    expect(area.textContent).toContain("fit-1 finished");
    expect(p.calls.filter((c) => c === "takeMissed")).toHaveLength(1);
    expect(p.missed.notices).toHaveLength(0);
  });
});

describe("Platform load", () => {
  it("shows cores and RAM requested against what is available, the quota, and refreshes", async () => {
    const p = FakePlatform.signedIn();
    render(App, { props: { platform: p } });
    await fireEvent.keyDown(window, { key: "5", ctrlKey: true });
    const card = await screen.findByTestId("platform-load");
    await waitFor(() => expect(within(card).getByTestId("load-cores").textContent).toBe("377.5 of 960 requested (39%)"));
    expect(within(card).getByTestId("load-ram").textContent).toBe("1234.5 of 4096 GB requested (30%)");
    expect(card.textContent).toContain("8 cores, 32 GB RAM");
    expect(within(card).getByTestId("load-quota").textContent).toContain("3 of 3 in use — at the limit; headless jobs can still run.");
    expect(within(card).getByTestId("load-asof").textContent).toMatch(/^As of \d\d:\d\d$/);
    await fireEvent.click(within(card).getByTestId("load-refresh"));
    await waitFor(() => expect(p.calls.filter((c) => c === "platformLoad")).toHaveLength(2));
    await fireEvent.keyDown(window, { key: "r", ctrlKey: true });
    await waitFor(() => expect(p.calls.filter((c) => c === "platformLoad")).toHaveLength(3));
  });

  it("says why the load cannot be read", async () => {
    const p = FakePlatform.signedIn();
    p.fail("platformLoad", new AppError("platform_unavailable", "Platform statistics unavailable; try again in a few minutes."));
    render(App, { props: { platform: p } });
    await fireEvent.keyDown(window, { key: "5", ctrlKey: true });
    expect((await screen.findByRole("alert")).textContent).toContain("try again in a few minutes");
  });
});

describe("skyport:// links", () => {
  it("open a running session's window, or the details of one that is not running", async () => {
    const p = FakePlatform.signedIn();
    render(App, { props: { platform: p } });
    await waitFor(() => expect(p.listening.links).toBe(1));
    p.receiveLink({ link: { kind: "session", id: "k3x9q2ab" }, problem: null });
    await waitFor(() => expect(p.log).toContainEqual({ name: "openSessionWindow", args: ["k3x9q2ab"] }));
    p.receiveLink({ link: { kind: "session", id: "d7m2p9zq" }, problem: null });
    const details = await screen.findByTestId("session-details");
    expect(within(details).getByRole("heading", { level: 2 }).textContent).toBe("desktop1");
    expect(p.calls.filter((c) => c === "openSessionWindow")).toHaveLength(1);
  });

  it("fill in the add-platform form and add nothing by themselves", async () => {
    const p = FakePlatform.signedIn();
    render(App, { props: { platform: p } });
    await waitFor(() => expect(p.listening.links).toBe(1));
    p.receiveLink({ link: { kind: "addPlatform", address: "https://src.example.org/skaha" }, problem: null });
    await screen.findByRole("heading", { level: 1, name: "Platforms" });
    const field = (await screen.findByLabelText("Its address or registry id")) as HTMLInputElement;
    await waitFor(() => expect(field.value).toBe("https://src.example.org/skaha"));
    expect(screen.getByTestId("link-prefill").textContent).toContain("then choose Add");
    expect(p.calls).not.toContain("addPlatform");
    // The address was for that visit: back on Platforms later, the form is closed.
    const nav = screen.getByRole("navigation", { name: "Main" });
    await fireEvent.click(within(nav).getByRole("button", { name: "Sessions" }));
    await fireEvent.click(within(nav).getByRole("button", { name: "Platforms" }));
    await screen.findByTestId("add-platform");
    expect(screen.queryByTestId("link-prefill")).toBeNull();
  });

  it("that cannot be followed say why, once, and change nothing", async () => {
    const p = FakePlatform.signedIn();
    // One came with the launch, before the UI listened.
    p.links.push({ link: null, problem: "Skyport does not know links of the form skyport://delete/…" });
    render(App, { props: { platform: p } });
    const area = screen.getByTestId("notices");
    await waitFor(() => expect(within(area).getAllByTestId("notice")).toHaveLength(1));
    expect(area.textContent).toContain("Link not opened");
    expect(area.textContent).toContain("skyport://delete/");
    // A session the list does not hold.
    p.receiveLink({ link: { kind: "session", id: "gone0001" }, problem: null });
    await waitFor(() => expect(within(area).getAllByTestId("notice")).toHaveLength(2));
    expect(area.textContent).toContain("gone0001 is not among your sessions");
    expect(p.calls).not.toContain("deleteSessions");
  });
});

describe("Notices of the user's own actions", () => {
  it("go away by themselves; event notices stay until dismissed", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const { Notices } = await import("./lib/notices.svelte");
      const n = new Notices();
      n.push({ tone: "ok", title: "Launched notebook1", timeoutMs: 12_000 });
      n.push({ tone: "warn", title: "carta1 expires soon" });
      expect(n.items).toHaveLength(2);
      vi.advanceTimersByTime(12_001);
      expect(n.items.map((i) => i.title)).toEqual(["carta1 expires soon"]);
    } finally {
      vi.useRealTimers();
    }
  });
});
