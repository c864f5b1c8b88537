import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../App.svelte";
import { FakePlatform, demoSessions, fakeId, makeSession } from "../test/fake";
import { AppError, type LaunchForm, type LaunchOptions, type LaunchSpec } from "../platform/types";

async function openLaunch(p: FakePlatform) {
  render(App, { props: { platform: p } });
  await fireEvent.keyDown(window, { key: "n", ctrlKey: true });
  return screen.findByTestId("launch-form");
}

const submit = () => screen.getByTestId("launch-submit") as HTMLButtonElement;
const lastForm = (p: FakePlatform) => p.argsOf("launchSession").at(-1)?.[0] as LaunchForm;

describe("Launch form", () => {
  it("starts with a notebook, a catalogue image, a free default name and flexible resources", async () => {
    // notebook1 exists in the demo list, so the default is notebook2.
    const p = FakePlatform.signedIn({ sessions: demoSessions().filter((s) => s.kind !== "desktop"), quota: { used: 2, max: 3 } });
    const form = await openLaunch(p);
    expect((screen.getByRole("radio", { name: "Notebook" }) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByTestId("launch-name") as HTMLInputElement).value).toBe("notebook2");
    const image = screen.getByTestId("launch-image") as HTMLSelectElement;
    expect(image.value).toBe("images.canfar.net/skaha/astroml:latest");
    // Grouped by project; only notebook images.
    expect([...image.querySelectorAll("optgroup")].map((g) => g.label)).toEqual(["images.canfar.net/lsst", "images.canfar.net/skaha"]);
    expect(image.textContent).not.toContain("carta");
    expect((screen.getByRole("radio", { name: "Flexible" }) as HTMLInputElement).checked).toBe(true);
    expect(within(form).getByTestId("quota").textContent).toContain("2 of 3 interactive sessions in use");
    expect(submit().disabled).toBe(false);
  });

  it("changes images and the default name with the kind, and searches images", async () => {
    const p = FakePlatform.signedIn();
    await openLaunch(p);
    await fireEvent.click(screen.getByRole("radio", { name: "CARTA" }));
    expect((screen.getByTestId("launch-name") as HTMLInputElement).value).toBe("carta2");
    const image = screen.getByTestId("launch-image") as HTMLSelectElement;
    expect([...image.options].map((o) => o.value)).toEqual(["images.canfar.net/skaha/carta:4.1", "images.canfar.net/skaha/carta:5.0"]);
    await fireEvent.input(screen.getByPlaceholderText(/Filter 2 CARTA images/), { target: { value: "5.0" } });
    expect([...(screen.getByTestId("launch-image") as HTMLSelectElement).options].map((o) => o.value)).toEqual([
      "images.canfar.net/skaha/carta:5.0",
    ]);
    // A name the user typed stays when the kind changes.
    await fireEvent.input(screen.getByTestId("launch-name"), { target: { value: "mine" } });
    await fireEvent.click(screen.getByRole("radio", { name: "Firefly" }));
    expect((screen.getByTestId("launch-name") as HTMLInputElement).value).toBe("mine");
  });

  it("checks the name against the server's rules", async () => {
    const p = FakePlatform.signedIn({ sessions: [] });
    await openLaunch(p);
    const name = screen.getByTestId("launch-name") as HTMLInputElement;
    expect(name.maxLength).toBe(15);
    await fireEvent.input(name, { target: { value: "my session" } });
    expect(screen.getByTestId("launch-name-error").textContent).toContain("Use only letters, digits and '-'");
    expect(name.getAttribute("aria-invalid")).toBe("true");
    expect(submit().disabled).toBe(true);
    expect(screen.getByTestId("launch-blocker").textContent).toContain("Use only letters");
    await fireEvent.input(name, { target: { value: "" } });
    expect(screen.getByTestId("launch-name-error").textContent).toContain("Give the session a name");
    await fireEvent.input(name, { target: { value: "ok-name" } });
    expect(screen.getByTestId("launch-name-error").textContent).toBe("");
    expect(submit().disabled).toBe(false);
  });

  it("offers fixed resources from the context, with no GPU omitted", async () => {
    const p = FakePlatform.signedIn({ sessions: [] });
    await openLaunch(p);
    await fireEvent.click(screen.getByRole("radio", { name: "Fixed" }));
    const cores = screen.getByTestId("launch-cores") as HTMLSelectElement;
    expect(cores.value).toBe("2");
    expect(cores.options).toHaveLength(16);
    expect((screen.getByTestId("launch-ram") as HTMLSelectElement).value).toBe("8");
    const gpus = screen.getByTestId("launch-gpus") as HTMLSelectElement;
    expect([...gpus.options].map((o) => o.textContent)).toEqual(["None", "1", "2", "4"]);
    await fireEvent.change(cores, { target: { value: "4" } });
    await fireEvent.click(submit());
    await waitFor(() => expect(p.calls).toContain("launchSession"));
    expect(lastForm(p).resources).toEqual({ mode: "fixed", cores: 4, ram_gb: 8, gpus: null });
  });

  it("launches, says so in words, and shows the new session in the list", async () => {
    const p = FakePlatform.signedIn({ sessions: [], delayMs: 20 });
    await openLaunch(p);
    await fireEvent.click(submit());
    expect(screen.getByTestId("launch-progress").textContent).toBe("Launching notebook1…");
    await screen.findByTestId("session-grid");
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Sessions");
    const row = await screen.findByText("notebook1");
    expect(row.closest("[role=row]")?.textContent).toContain("Pending");
    expect(screen.getByTestId("notices").textContent).toContain("Launched notebook1");
    expect(lastForm(p)).toEqual({
      kind: "notebook",
      image: "images.canfar.net/skaha/astroml:latest",
      name: "notebook1",
      resources: { mode: "flexible" },
      cmd: null,
      args: null,
      env: [],
      replicas: 1,
      registry: null,
      keepAliveDays: null,
      nameIsDefault: true,
    });
  });

  it("disables Launch at the interactive quota with the reason, but not for headless", async () => {
    const p = FakePlatform.signedIn({
      sessions: demoSessions().map((s) => (s.kind === "desktop" ? { ...s, status: "Running" as const } : s)),
      quota: { used: 3, max: 3 },
    });
    await openLaunch(p);
    expect(screen.getByTestId("quota").textContent).toContain("3 of 3 interactive sessions in use");
    expect(submit().disabled).toBe(true);
    expect(screen.getByTestId("launch-blocker").textContent).toContain(
      "You are using 3 of 3 interactive sessions. Delete one under Sessions, or launch a headless job",
    );
    expect(submit().getAttribute("aria-describedby")).toBe("launch-blocker");
    await fireEvent.click(screen.getByRole("radio", { name: "Headless" }));
    expect(submit().disabled).toBe(false);
    expect(screen.getByTestId("quota").textContent).toContain("headless jobs are not limited");
  });

  it("never blocks on a limit the platform does not give", async () => {
    const p = FakePlatform.signedIn({ sessions: demoSessions(), quota: { used: 5, max: null } });
    await openLaunch(p);
    expect(screen.getByTestId("quota").textContent).toContain("5 interactive sessions in use (the platform does not say how many it allows)");
    expect(submit().disabled).toBe(false);
    expect(screen.getByTestId("launch-blocker").textContent).toBe("");
  });

  it("shows server rejections next to the field they concern and others above the button", async () => {
    const p = FakePlatform.signedIn({ sessions: [] });
    p.override("launchSession", async (form) => [
      { name: form.name, id: null, field: "ram", error: { code: "validation", message: "Invalid value for 'ram': 3" } },
    ]);
    await openLaunch(p);
    await fireEvent.click(screen.getByRole("radio", { name: "Fixed" }));
    await fireEvent.click(submit());
    const err = await screen.findByText("Invalid value for 'ram': 3");
    expect(err.closest("fieldset")?.querySelector("legend")?.textContent).toBe("Resources");
    expect(screen.getByTestId("launch-ram").getAttribute("aria-invalid")).toBe("true");

    p.override("launchSession", async (form) => [
      { name: form.name, id: null, field: null, error: { code: "platform_unavailable", message: "The platform is busy; try again in a minute." } },
    ]);
    await fireEvent.click(submit());
    expect((await screen.findByTestId("launch-error")).textContent).toContain("The platform is busy");
  });

  it("builds a headless job: command, arguments, environment and replica names", async () => {
    const p = FakePlatform.signedIn({ sessions: [] });
    // The platform's answer to 8 replicas: <name>-1..8, Pending (core::launch::plan names them).
    p.override("launchSession", async (form) => {
      const names = Array.from({ length: form.replicas }, (_, i) => `${form.name}-${i + 1}`);
      p.emitSessions({ sessions: names.map((name) => makeSession({ name, kind: "headless", status: "Pending" })) });
      return names.map((name) => ({ name, id: fakeId(), error: null, field: null }));
    });
    await openLaunch(p);
    await fireEvent.click(screen.getByRole("radio", { name: "Headless" }));
    await fireEvent.input(screen.getByTestId("launch-name"), { target: { value: "fit" } });
    await fireEvent.input(screen.getByTestId("launch-cmd"), { target: { value: "python" } });
    await fireEvent.input(screen.getByTestId("launch-args"), { target: { value: "fit.py --all" } });
    await fireEvent.click(screen.getByRole("button", { name: "Add a variable" }));
    await fireEvent.input(screen.getByLabelText("Variable 1 name"), { target: { value: "OMP_NUM_THREADS" } });
    await fireEvent.input(screen.getByLabelText("Variable 1 value"), { target: { value: "4" } });
    await fireEvent.input(screen.getByTestId("launch-replicas"), { target: { value: "8" } });
    expect(screen.getByTestId("replica-names").textContent).toBe("Names: fit-1, fit-2, fit-3 … fit-8");
    expect(submit().textContent).toContain("Launch 8 replicas");
    // A value with '=' would be dropped by the platform: refused here.
    await fireEvent.input(screen.getByLabelText("Variable 1 value"), { target: { value: "a=b" } });
    // Next to the row, and repeated as the reason the button is disabled.
    expect(screen.getAllByText("The platform drops values that contain '='.")).toHaveLength(2);
    expect(submit().disabled).toBe(true);
    await fireEvent.input(screen.getByLabelText("Variable 1 value"), { target: { value: "4" } });
    await fireEvent.click(submit());
    await waitFor(() => expect(p.calls).toContain("launchSession"));
    expect(lastForm(p)).toMatchObject({
      kind: "headless",
      name: "fit",
      cmd: "python",
      args: "fit.py --all",
      env: [{ name: "OMP_NUM_THREADS", value: "4" }],
      replicas: 8,
    });
    await screen.findByText("fit-8");
  });

  it("takes a free-form image path with a registry from the list", async () => {
    const p = FakePlatform.signedIn({ sessions: [] });
    await openLaunch(p);
    await fireEvent.click(screen.getByTestId("launch-custom"));
    expect(submit().disabled).toBe(true);
    await fireEvent.input(screen.getByTestId("launch-image-path"), { target: { value: "myproject/mytool:1.0" } });
    expect((screen.getByTestId("launch-registry-host") as HTMLSelectElement).value).toBe("images.canfar.net");
    await fireEvent.click(submit());
    await waitFor(() => expect(lastForm(p)?.image).toBe("images.canfar.net/myproject/mytool:1.0"));
  });

  it("sends registry credentials, or uses the secret remembered in the keyring", async () => {
    const p = FakePlatform.signedIn({ sessions: [], registrySecrets: ["images.canfar.net/skaha/astroml:latest|alice"] });
    await openLaunch(p);
    await fireEvent.input(screen.getByTestId("launch-registry-user"), { target: { value: "bob" } });
    expect(submit().disabled).toBe(true);
    expect(screen.getByTestId("launch-blocker").textContent).toContain("Type the registry secret");
    const secret = screen.getByTestId("launch-registry-secret") as HTMLInputElement;
    expect(secret.type).toBe("password");
    await fireEvent.input(secret, { target: { value: "s3cret" } });
    await fireEvent.click(screen.getByRole("checkbox", { name: "Remember in the OS keyring" }));
    await fireEvent.click(submit());
    await waitFor(() => expect(p.calls).toContain("launchSession"));
    expect(lastForm(p).registry).toEqual({ username: "bob", secret: "<redacted>", remember: true });

    // Back on the form: alice has a remembered secret, which is offered and used.
    await fireEvent.keyDown(window, { key: "n", ctrlKey: true });
    await screen.findByTestId("launch-form");
    await fireEvent.input(screen.getByTestId("launch-registry-user"), { target: { value: "alice" } });
    const useSaved = (await screen.findByTestId("launch-use-saved")) as HTMLInputElement;
    expect(useSaved.checked).toBe(true);
    expect(screen.queryByTestId("launch-registry-secret")).toBeNull();
    await fireEvent.click(submit());
    await waitFor(() => expect(p.argsOf("launchSession")).toHaveLength(2));
    expect(lastForm(p).registry).toEqual({ username: "alice", secret: null, remember: false });
  });

  it("explains when the catalogue cannot be loaded", async () => {
    const p = FakePlatform.signedIn();
    p.fail("launchOptions", new (await import("../platform/types")).AppError("platform_unreachable", "Cannot reach the platform; check your network."));
    render(App, { props: { platform: p } });
    await fireEvent.keyDown(window, { key: "n", ctrlKey: true });
    const err = await screen.findByTestId("launch-load-error");
    expect(err.textContent).toContain("check your network");
    await fireEvent.click(within(err).getByRole("button", { name: "Retry" }));
    await screen.findByTestId("launch-form");
  });
});

describe("Presets and recent launches", () => {
  const fit: LaunchSpec = {
    kind: "headless",
    image: "images.canfar.net/skaha/astroml:latest",
    sessionName: "fit",
    resources: { mode: "fixed", cores: 4, ram_gb: 16, gpus: null },
    cmd: "python",
    args: "fit.py --fast",
    env: [{ name: "MODE", value: "fast" }],
    replicas: 3,
    registryUser: null,
  };

  it("launches a recent launch again in one click, with the same parameters", async () => {
    const p = FakePlatform.signedIn({ memory: { recent: [{ profile: "sim", at: new Date(Date.now() - 3_600_000).toISOString(), spec: fit }] } });
    await openLaunch(p);
    const recent = await screen.findByTestId("recent-launches");
    expect(recent.textContent).toContain("astroml:latest · 4 cores, 16 GB · python fit.py --fast · 3 replicas · 1 h ago");
    await fireEvent.click(within(recent).getByRole("button", { name: "Launch fit again" }));
    await waitFor(() => expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Sessions"));
    expect(lastForm(p)).toEqual({
      kind: "headless",
      image: fit.image,
      name: "fit",
      resources: fit.resources,
      cmd: "python",
      args: "fit.py --fast",
      env: [{ name: "MODE", value: "fast" }],
      replicas: 3,
      registry: null,
      keepAliveDays: null,
      nameIsDefault: false,
    });
    expect(screen.getByTestId("notices").textContent).toContain("Launched fit");
  });

  it("a relaunch offers the size the last sessions fitted in, and changes nothing by itself", async () => {
    const fitted = { cores: 1, ramGb: 2, sentence: "Used at most 1.2 of 16 GB over 3 days: 2 GB would do; used at most 0.3 of 4 cores over 3 days: 1 core would do." };
    const p = FakePlatform.signedIn({ memory: { recent: [{ profile: "sim", at: new Date().toISOString(), spec: fit, fit: fitted }] } });
    await openLaunch(p);
    const recent = await screen.findByTestId("recent-launches");
    expect(within(recent).getByTestId("launch-fit").textContent).toContain("2 GB would do");
    await fireEvent.click(within(recent).getByRole("button", { name: "Fill the form with fit" }));
    // Offered, not applied.
    expect((screen.getByTestId("launch-cores") as HTMLSelectElement).value).toBe("4");
    expect(screen.getByTestId("launch-fit-offer").textContent).toContain("2 GB would do");
    await fireEvent.click(screen.getByRole("button", { name: "Use 1 core and 2 GB" }));
    expect((screen.getByTestId("launch-cores") as HTMLSelectElement).value).toBe("1");
    expect((screen.getByTestId("launch-ram") as HTMLSelectElement).value).toBe("2");
    expect(screen.queryByTestId("launch-fit-offer")).toBeNull();
    await fireEvent.click(submit());
    await waitFor(() => expect(p.calls).toContain("launchSession"));
    expect(lastForm(p).resources).toEqual({ mode: "fixed", cores: 1, ram_gb: 2, gpus: null });
  });

  it("launch again keeps the size it had, whatever is suggested", async () => {
    const fitted = { cores: 1, ramGb: 2, sentence: "2 GB would do." };
    const p = FakePlatform.signedIn({ memory: { recent: [{ profile: "sim", at: new Date().toISOString(), spec: fit, fit: fitted }] } });
    await openLaunch(p);
    await fireEvent.click(await screen.findByRole("button", { name: "Launch fit again" }));
    await waitFor(() => expect(p.calls).toContain("launchSession"));
    expect(lastForm(p).resources).toEqual(fit.resources);
  });

  it("keeps the new sessions alive when asked, and a preset remembers it", async () => {
    const p = FakePlatform.signedIn({ sessions: [] });
    await openLaunch(p);
    const keep = screen.getByLabelText("Keep alive") as HTMLSelectElement;
    expect(keep.value).toBe("0");
    expect(screen.getByText(/fresh 7-day certificate in the session's ~\/.ssl/)).toBeTruthy();
    await fireEvent.change(keep, { target: { value: "7" } });
    await fireEvent.click(screen.getByTestId("preset-open"));
    await fireEvent.input(screen.getByTestId("preset-name"), { target: { value: "long" } });
    await fireEvent.click(screen.getByTestId("preset-save"));
    await waitFor(() => expect(p.calls).toContain("savePreset"));
    expect((p.argsOf("savePreset")[0] as [string, boolean, LaunchForm])[2].keepAliveDays).toBe(7);
    expect(within(screen.getByTestId("presets")).getByRole("listitem").textContent).toContain("kept alive up to 7 days");
    await fireEvent.click(submit());
    await waitFor(() => expect(p.calls).toContain("launchSession"));
    expect(lastForm(p).keepAliveDays).toBe(7);
  });

  it("a recent interactive launch at the quota says so instead of launching", async () => {
    const spec: LaunchSpec = { kind: "notebook", image: "images.canfar.net/skaha/astroml:latest", sessionName: "" };
    const p = FakePlatform.signedIn({ quota: { used: 3, max: 3 }, memory: { recent: [{ profile: "sim", at: new Date().toISOString(), spec }] } });
    await openLaunch(p);
    await fireEvent.click(await screen.findByRole("button", { name: "Launch a notebook session again" }));
    expect((await screen.findByTestId("remembered-progress")).textContent).toContain("You are using 3 of 3 interactive sessions");
    expect(p.calls).not.toContain("launchSession");
  });

  it("a failed relaunch says why and how to change it", async () => {
    const p = FakePlatform.signedIn({ memory: { recent: [{ profile: "sim", at: new Date().toISOString(), spec: fit }] } });
    p.override("launchSession", async (form: LaunchForm) => [
      { name: form.name, id: null, field: "image", error: { code: "validation", message: "The image does not exist." } },
    ]);
    await openLaunch(p);
    await fireEvent.click(await screen.findByRole("button", { name: "Launch fit again" }));
    const said = await screen.findByTestId("remembered-progress");
    await waitFor(() => expect(said.textContent).toContain("fit did not launch: The image does not exist. Use Edit to change it"));
    expect(said.getAttribute("role")).toBe("alert");
  });

  it("fills the form from a preset, saves the form as a preset and removes one", async () => {
    const p = FakePlatform.signedIn({ memory: { presets: [{ name: "fit", profile: "sim", ...fit }] } });
    await openLaunch(p);
    const presets = await screen.findByTestId("presets");
    await fireEvent.click(within(presets).getByRole("button", { name: "Fill the form with the preset fit" }));
    expect((screen.getByRole("radio", { name: "Headless" }) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByTestId("launch-name") as HTMLInputElement).value).toBe("fit");
    expect((screen.getByRole("radio", { name: "Fixed" }) as HTMLInputElement).checked).toBe(true);
    expect(screen.getByTestId("launch-filled").textContent).toContain("The form holds fit");

    // Change it and keep it under another name, for every platform.
    await fireEvent.input(screen.getByTestId("launch-name"), { target: { value: "fit-slow" } });
    await fireEvent.click(screen.getByTestId("preset-open"));
    const name = screen.getByTestId("preset-name");
    expect(document.activeElement).toBe(name);
    await fireEvent.input(name, { target: { value: "bad name" } });
    await fireEvent.keyDown(name, { key: "Enter" });
    expect(screen.getByRole("alert").textContent).toContain("Use letters, digits");
    expect(p.calls).not.toContain("savePreset");
    await fireEvent.input(name, { target: { value: "slow" } });
    await fireEvent.click(screen.getByRole("checkbox", { name: "Every platform" }));
    await fireEvent.keyDown(name, { key: "Enter" });
    await waitFor(() => expect(screen.getByText(/Saved the preset slow for every platform/)).toBeTruthy());
    const [saved, anyPlatform, form] = p.argsOf("savePreset").at(-1) as [string, boolean, LaunchForm];
    expect([saved, anyPlatform, form.name, form.cmd, form.replicas, form.registry]).toEqual(["slow", true, "fit-slow", "python", 3, null]);
    // Enter saved the preset; it launched nothing.
    expect(p.calls).not.toContain("launchSession");
    expect(within(screen.getByTestId("presets")).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      expect.stringContaining("fit"),
      expect.stringContaining("slow"),
    ]);

    await fireEvent.click(screen.getByRole("button", { name: "Remove the preset fit" }));
    await waitFor(() => expect(within(screen.getByTestId("presets")).getAllByRole("listitem")).toHaveLength(1));
    expect(p.argsOf("removePreset")).toEqual([["fit"]]);
    // The keyboard stays in the list, on the Remove of the preset that took its place (not on
    // a Launch that a second key press would start).
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("button", { name: "Remove the preset slow" })));
  });

  it("a private image's preset keeps the registry user, never the secret", async () => {
    const p = FakePlatform.signedIn({ sessions: [] });
    await openLaunch(p);
    await fireEvent.click(screen.getByText(/Advanced: an image not in the catalogue/));
    await fireEvent.input(screen.getByTestId("launch-registry-user"), { target: { value: "alice" } });
    await fireEvent.input(screen.getByTestId("launch-registry-secret"), { target: { value: "s3cret-token" } });
    await fireEvent.click(screen.getByTestId("preset-open"));
    await fireEvent.input(screen.getByTestId("preset-name"), { target: { value: "private" } });
    await fireEvent.click(screen.getByTestId("preset-save"));
    await waitFor(() => expect(p.calls).toContain("savePreset"));
    const form = (p.argsOf("savePreset").at(-1) as [string, boolean, LaunchForm])[2];
    expect(form.registry).toEqual({ username: "alice", secret: null, remember: false });
    expect(JSON.stringify(p.log)).not.toContain("s3cret-token");
  });

  it("shows the catalogue kept from the last visit at once, then the platform's", async () => {
    let answer: (o: LaunchOptions) => void = () => {};
    const p = FakePlatform.signedIn({
      cachedOptions: { images: [{ id: "images.canfar.net/skaha/kept:1", kinds: ["notebook"], digest: null }], fetchedAt: "2026-12-01T09:30:00Z" },
    });
    p.override("launchOptions", () => new Promise<LaunchOptions>((r) => (answer = r)));
    await openLaunch(p);
    expect((screen.getByTestId("launch-image") as HTMLSelectElement).value).toBe("images.canfar.net/skaha/kept:1");
    expect(screen.getByTestId("launch-cached").textContent).toContain("while checking for changes");
    // The user picks resources meanwhile; the refresh does not undo it.
    await fireEvent.click(screen.getByRole("radio", { name: "Fixed" }));
    answer({
      images: [
        { id: "images.canfar.net/skaha/kept:1", kinds: ["notebook"], digest: null },
        { id: "images.canfar.net/skaha/astroml:latest", kinds: ["notebook"], digest: null },
      ],
      context: (await new FakePlatform().launchOptions()).context,
      repositories: ["images.canfar.net"],
      quota: { used: 0, max: 3 },
      existingNames: [],
      fetchedAt: new Date().toISOString(),
      cached: false,
    });
    await waitFor(() => expect(screen.queryByTestId("launch-cached")).toBeNull());
    expect((screen.getByTestId("launch-image") as HTMLSelectElement).options).toHaveLength(2);
    expect((screen.getByRole("radio", { name: "Fixed" }) as HTMLInputElement).checked).toBe(true);
  });

  it("says when the kept catalogue cannot be refreshed", async () => {
    const p = FakePlatform.signedIn({ cachedOptions: {} });
    p.fail("launchOptions", new AppError("platform_unreachable", "The platform did not answer in time."));
    await openLaunch(p);
    await waitFor(() => expect(screen.getByTestId("launch-cached").textContent).toContain("it cannot be refreshed now (The platform did not answer in time.)"));
    await fireEvent.click(within(screen.getByTestId("launch-cached")).getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(screen.queryByTestId("launch-cached")).toBeNull());
  });
});
