import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../App.svelte";
import { DEFAULT_SETTINGS, FakePlatform } from "../test/fake";

async function openSettings(p: FakePlatform) {
  render(App, { props: { platform: p } });
  await fireEvent.keyDown(window, { key: "6", ctrlKey: true });
  await waitFor(() => expect((screen.getByTestId("settings-hours") as HTMLInputElement).disabled).toBe(false));
}

describe("Settings", () => {
  it("loads, edits and saves the warning lead time and desktop notifications", async () => {
    const p = FakePlatform.signedIn();
    await openSettings(p);
    const hours = screen.getByTestId("settings-hours") as HTMLInputElement;
    const notif = screen.getByTestId("settings-notifications") as HTMLInputElement;
    expect(hours.value).toBe("12");
    expect(notif.checked).toBe(true);
    expect(notif.getAttribute("role")).toBe("switch");
    await fireEvent.input(hours, { target: { value: "24" } });
    await fireEvent.click(notif);
    await fireEvent.click(screen.getByTestId("settings-save"));
    await waitFor(() => expect(screen.getByTestId("settings-status").textContent).toBe("Settings saved."));
    const saved = { ...DEFAULT_SETTINGS, expiryWarningHours: 24, notifications: false };
    expect(p.argsOf("saveSettings")).toEqual([[saved]]);
    expect(p.settings).toEqual(saved);
  });

  it("keeps Skyport in the tray when the window closes, or not, as switched", async () => {
    const p = FakePlatform.signedIn();
    await openSettings(p);
    const tray = screen.getByTestId("settings-keep-in-tray") as HTMLInputElement;
    expect(tray.getAttribute("role")).toBe("switch");
    expect(tray.checked).toBe(true);
    // The switch is named by its label and explained by its hint.
    expect(screen.getByRole("switch", { name: "Keep Skyport running in the tray when the window is closed" })).toBe(tray);
    expect(document.getElementById(tray.getAttribute("aria-describedby")!)?.textContent).toContain("leaves Skyport in the tray");
    await fireEvent.click(tray);
    expect(tray.checked).toBe(false);
    expect(document.getElementById("tray-help")?.textContent).toContain("Closing the window quits Skyport");
    await fireEvent.click(screen.getByTestId("settings-save"));
    await waitFor(() => expect(screen.getByTestId("settings-status").textContent).toBe("Settings saved."));
    expect(p.settings.keepInTray).toBe(false);
  });

  it("switches the start at login, explained, and reads it as the system has it", async () => {
    const p = FakePlatform.signedIn({ settings: { ...DEFAULT_SETTINGS, startAtLogin: true } });
    await openSettings(p);
    const login = screen.getByRole("switch", { name: "Start Skyport when you log in" }) as HTMLInputElement;
    expect(login.checked).toBe(true);
    expect(document.getElementById(login.getAttribute("aria-describedby")!)?.textContent).toContain("starts in the tray");
    await fireEvent.click(login);
    expect(document.getElementById("login-help")?.textContent).toContain("only while it runs");
    await fireEvent.click(screen.getByTestId("settings-save"));
    await waitFor(() => expect(screen.getByTestId("settings-status").textContent).toBe("Settings saved."));
    expect(p.settings.startAtLogin).toBe(false);
  });

  it("loads a saved 'quit on close and saves back the settings it does not show unchanged", async () => {
    const p = FakePlatform.signedIn({ settings: { ...DEFAULT_SETTINGS, keepInTray: false, autoRenewCert: false, certRenewDaysBefore: 3 } });
    await openSettings(p);
    expect((screen.getByTestId("settings-keep-in-tray") as HTMLInputElement).checked).toBe(false);
    await fireEvent.click(screen.getByTestId("settings-save"));
    await waitFor(() => expect(p.calls).toContain("saveSettings"));
    expect(p.argsOf("saveSettings")[0][0]).toEqual({ ...DEFAULT_SETTINGS, keepInTray: false, autoRenewCert: false, certRenewDaysBefore: 3 });
  });

  it("switches reopening session windows at start, and shows the Downloads folder", async () => {
    const p = FakePlatform.signedIn();
    await openSettings(p);
    const reopen = screen.getByRole("switch", { name: "Reopen session windows at start" }) as HTMLInputElement;
    expect(reopen.checked).toBe(false);
    expect(document.getElementById("reopen-help")?.textContent).toContain("offers to reopen them");
    await fireEvent.click(reopen);
    expect(document.getElementById("reopen-help")?.textContent).toContain("open again by themselves");
    await fireEvent.click(screen.getByTestId("settings-save"));
    await waitFor(() => expect(screen.getByTestId("settings-status").textContent).toBe("Settings saved."));
    expect(p.settings.reopenWindows).toBe(true);
    await waitFor(() => expect(screen.getByTestId("downloads-dir").textContent).toBe("/fake/Downloads"));
  });

  it("refuses a lead time out of range before asking the backend", async () => {
    const p = FakePlatform.signedIn();
    await openSettings(p);
    const help = document.getElementById("warn-hours-help");
    expect(help?.textContent).toBe("One notice, this long before a session would be stopped or your certificate runs out (default 12); after it, the tray shows the state.");
    await fireEvent.input(screen.getByTestId("settings-hours"), { target: { value: "400" } });
    expect((screen.getByTestId("settings-save") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText("Warn between 1 and 336 hours (14 days) before expiry.")).toBeTruthy();
    expect(p.calls).not.toContain("saveSettings");
  });

  it("shows the backend's message when saving fails", async () => {
    const { AppError } = await import("../platform/types");
    const p = FakePlatform.signedIn();
    p.fail("saveSettings", new AppError("io", "Could not save the settings: disk full. Free some space and try again."));
    await openSettings(p);
    await fireEvent.click(screen.getByTestId("settings-save"));
    expect((await screen.findByRole("alert")).textContent).toContain("disk full");
  });
});
