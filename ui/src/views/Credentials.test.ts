import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../App.svelte";
import { FakePlatform } from "../test/fake";
import { AppError } from "../platform/types";

const SECRET = "eyJhbGciOi.secret-token-value";

async function openCredentials(p: FakePlatform) {
  render(App, { props: { platform: p } });
  await waitFor(() => expect(p.calls).toContain("platformStatus"));
  await fireEvent.keyDown(window, { key: "4", ctrlKey: true });
  await waitFor(() => expect((screen.getByTestId("paste-token") as HTMLButtonElement).disabled).toBe(false));
}

describe("Token dialog", () => {
  it("saves a pasted token without ever showing it, and the status bar follows", async () => {
    const p = FakePlatform.signedIn({ credential: { state: "signed_out", headline: "Not signed in", advice: null, expiresAt: null } });
    await openCredentials(p);
    const opener = screen.getByTestId("paste-token");
    opener.focus();
    await fireEvent.click(opener);
    const dialog = await screen.findByTestId("token-dialog");
    const input = within(dialog).getByTestId("token-input") as HTMLInputElement;
    expect(input.type).toBe("password");
    await waitFor(() => expect(document.activeElement).toBe(input));
    const save = within(dialog).getByTestId("token-save") as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    await fireEvent.input(input, { target: { value: SECRET } });
    await fireEvent.click(save);
    await waitFor(() => expect(screen.queryByTestId("token-dialog")).toBeNull());
    expect(p.calls).toContain("saveToken");
    // The call log redacts it, and no text or attribute in the page holds it.
    expect(JSON.stringify(p.log)).not.toContain(SECRET);
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(screen.getByTestId("credential-status").textContent).toContain("Signed in with a saved token");
    expect(screen.getByTestId("credential-headline").textContent).toBe("Signed in with a saved token");
    // Focus goes back to the button that opened the dialog.
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("paste-token")));
  });

  it("shows the backend's reason when a token is refused and keeps the dialog open", async () => {
    const p = FakePlatform.signedIn({ credential: { state: "signed_out", headline: "Not signed in", advice: null, expiresAt: null } });
    p.fail("saveToken", new AppError("validation", "Paste the token alone, without spaces or line breaks."));
    await openCredentials(p);
    await fireEvent.click(screen.getByTestId("paste-token"));
    const dialog = await screen.findByTestId("token-dialog");
    await fireEvent.input(within(dialog).getByTestId("token-input"), { target: { value: "two words" } });
    await fireEvent.click(within(dialog).getByTestId("token-save"));
    await waitFor(() => expect(within(dialog).getByRole("alert").textContent).toContain("without spaces or line breaks"));
    expect(screen.getByTestId("token-dialog")).toBeTruthy();
  });

  it("closes with Escape and forgets what was typed", async () => {
    const p = FakePlatform.signedIn({ credential: { state: "signed_out", headline: "Not signed in", advice: null, expiresAt: null } });
    await openCredentials(p);
    await fireEvent.click(screen.getByTestId("paste-token"));
    let dialog = await screen.findByTestId("token-dialog");
    await fireEvent.input(within(dialog).getByTestId("token-input"), { target: { value: SECRET } });
    await fireEvent.keyDown(dialog, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("token-dialog")).toBeNull());
    await fireEvent.click(screen.getByTestId("paste-token"));
    dialog = await screen.findByTestId("token-dialog");
    expect((within(dialog).getByTestId("token-input") as HTMLInputElement).value).toBe("");
    expect(p.calls).not.toContain("saveToken");
  });

  it("forgets the saved token after asking", async () => {
    const p = FakePlatform.signedIn();
    await openCredentials(p);
    await fireEvent.click(screen.getByTestId("forget-token"));
    const dialog = await screen.findByTestId("forget-dialog");
    await fireEvent.click(within(dialog).getByTestId("forget-confirm"));
    await waitFor(() => expect(screen.queryByTestId("forget-dialog")).toBeNull());
    expect(p.calls).toContain("forgetToken");
    expect(screen.getByTestId("credential-status").textContent).toContain("Not signed in");
  });
});
