import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "./App.svelte";
import { FakePlatform } from "./platform/fake";
import { AppError } from "./platform/types";
import { viewForShortcut } from "./views";

describe("App shell", () => {
  it("shows the five views in the navigation and starts on Sessions", async () => {
    render(App, { props: { platform: new FakePlatform() } });
    const nav = screen.getByRole("navigation", { name: "Main" });
    // Icons and shortcut hints are aria-hidden, so the accessible names are the plain labels.
    for (const name of ["Sessions", "Launch", "Credentials", "Platforms", "Settings"]) {
      expect(within(nav).getByRole("button", { name })).toBeTruthy();
    }
    expect(within(nav).getAllByRole("button")).toHaveLength(5);
    expect(screen.getByRole("heading", { level: 1 })).toHaveProperty("textContent", "Sessions");
    expect(nav.querySelector('[aria-current="page"]')?.getAttribute("data-view")).toBe("sessions");
  });

  it("explains what to do when no platform is configured", async () => {
    render(App, { props: { platform: new FakePlatform() } });
    await screen.findByText("No platform yet");
    expect(screen.getByText(/SKYPORT_URL=https:\/\/ws-uv.canfar.net\/skaha/)).toBeTruthy();
    await fireEvent.click(screen.getByRole("button", { name: "Add a platform" }));
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Platforms");
  });

  it("asks to sign in when a platform is set but there is no credential", async () => {
    const p = new FakePlatform({ platform: { serviceUrl: "https://example.org/skaha", source: "test" } });
    render(App, { props: { platform: p } });
    await screen.findByText("Sign in to see your sessions");
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Credentials");
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
    await fireEvent.keyDown(window, { key: "5", ctrlKey: true });
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Settings");
    await fireEvent.keyDown(window, { key: "n", ctrlKey: true });
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Launch");
  });
});

describe("viewForShortcut", () => {
  it("ignores keys without Ctrl/Cmd and with Alt", () => {
    expect(viewForShortcut({ key: "1", ctrlKey: false, metaKey: false, altKey: false })).toBeNull();
    expect(viewForShortcut({ key: "1", ctrlKey: true, metaKey: false, altKey: true })).toBeNull();
    expect(viewForShortcut({ key: "9", ctrlKey: true, metaKey: false, altKey: false })).toBeNull();
    expect(viewForShortcut({ key: "3", ctrlKey: false, metaKey: true, altKey: false })).toBe("credentials");
  });
});
