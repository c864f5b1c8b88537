import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../App.svelte";
import { FakePlatform } from "../platform/fake";

async function openSettings(p: FakePlatform) {
  render(App, { props: { platform: p } });
  await fireEvent.keyDown(window, { key: "5", ctrlKey: true });
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
    expect(p.argsOf("saveSettings")).toEqual([[{ expiryWarningHours: 24, notifications: false }]]);
    expect(p.settings).toEqual({ expiryWarningHours: 24, notifications: false });
  });

  it("refuses a lead time out of range before asking the backend", async () => {
    const p = FakePlatform.signedIn();
    await openSettings(p);
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
