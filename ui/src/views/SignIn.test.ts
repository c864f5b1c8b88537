import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import App from "../App.svelte";
import { DEMO_PASSWORD, FakePlatform, WRONG_PASSWORD, demoSignIn, type FakeOptions } from "../test/fake";
import { AppError } from "../platform/types";

const SIGNED_OUT = { state: "signed_out", headline: "Not signed in", advice: "Open Credentials to sign in or paste a token.", expiresAt: null } as const;

async function openCredentials(opts: FakeOptions = {}) {
  const p = FakePlatform.signedIn({ credential: SIGNED_OUT, ...opts });
  render(App, { props: { platform: p } });
  await waitFor(() => expect(p.listening.navigate).toBe(1));
  await fireEvent.keyDown(window, { key: "4", ctrlKey: true });
  await waitFor(() => expect(p.calls).toContain("authInfo"));
  await screen.findByTestId("signin-card");
  return p;
}

const status = () => screen.getByTestId("sign-in-status").textContent?.trim();
const statusBar = () => screen.getByTestId("credential-status");

afterEach(() => {
  vi.useRealTimers();
});

describe("Sign-in: signed out", () => {
  it("offers the browser, a code and the password form, with the username known from the profile", async () => {
    await openCredentials({ auth: { username: "alice" } });
    const browser = await screen.findByTestId("sign-in-browser");
    expect(browser.textContent).toContain("Sign in with browser");
    expect(browser.classList.contains("primary")).toBe(true);
    expect(screen.getByTestId("sign-in-device").textContent).toContain("Use a code instead");
    expect(screen.getByTestId("signin-card").textContent).toContain("login.example.org");
    const user = screen.getByLabelText("Username") as HTMLInputElement;
    await waitFor(() => expect(user.value).toBe("alice"));
    expect(user.id).toBe("password-username");
    const pw = screen.getByLabelText("Password") as HTMLInputElement;
    expect(pw.id).toBe("password-password");
    expect(pw.type).toBe("password");
    const remember = screen.getByRole("checkbox", { name: /Remember my password in the OS keyring so the certificate renews by itself/ }) as HTMLInputElement;
    expect(remember.checked).toBe(false);
    // Nobody is signed in: no identity, no sign-out.
    expect(screen.queryByTestId("signed-in-identity")).toBeNull();
    expect(screen.queryByTestId("sign-out")).toBeNull();
    // The view's own advice ("Open Credentials…") is not repeated inside Credentials.
    expect(screen.getByTestId("signin-card").textContent).not.toContain("Open Credentials");
  });

  it("shows only the password form when the profile has no OpenID Connect provider", async () => {
    await openCredentials({ auth: { oidcIssuer: null } });
    expect(screen.queryByTestId("sign-in-browser")).toBeNull();
    expect(screen.queryByTestId("sign-in-device")).toBeNull();
    expect(screen.getByRole("heading", { name: "With your username and password" })).toBeTruthy();
    expect(screen.getByTestId("sign-in-password").classList.contains("primary")).toBe(true);
  });

  it("says to choose a platform first when none is configured", async () => {
    const p = new FakePlatform();
    render(App, { props: { platform: p } });
    await waitFor(() => expect(p.listening.navigate).toBe(1));
    await fireEvent.keyDown(window, { key: "4", ctrlKey: true });
    expect((await screen.findByTestId("signin-card")).textContent).toContain("Choose a platform first");
    expect(screen.queryByTestId("sign-in-browser")).toBeNull();
    expect(screen.queryByTestId("password-form")).toBeNull();
    expect((screen.getByTestId("cert-renew") as HTMLButtonElement).disabled).toBe(true);
  });
});

describe("Sign-in with the browser", () => {
  it("says what happens at every stage, then shows who signed in and moves focus there", async () => {
    const p = await openCredentials({ holdSignIn: true });
    await fireEvent.click(await screen.findByTestId("sign-in-browser"));
    await waitFor(() => expect(p.signInWaiting).toBe(true));
    expect(p.argsOf("signIn")).toEqual([["browser"]]);
    // The fake ran to "waiting"; replay each stage as the backend sends them.
    p.emitSignInProgress({ stage: "openingBrowser" });
    await waitFor(() => expect(status()).toBe("Opening your browser…"));
    expect((screen.getByTestId("sign-in-browser") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId("sign-in-cancel")).toBeTruthy();
    p.emitSignInProgress({ stage: "waitingForBrowser", url: "https://login.example.org/auth?state=s1" });
    await waitFor(() => expect(status()).toBe("Waiting for you to finish signing in in your browser…"));
    // No browser window? The link can be copied.
    await fireEvent.click(screen.getByTestId("copy-sign-in-link"));
    await waitFor(() => expect(p.clipboard).toEqual(["https://login.example.org/auth?state=s1"]));
    p.emitSignInProgress({ stage: "done" });
    await waitFor(() => expect(status()).toBe("Signed in"));
    p.finishSignIn();
    const identity = await screen.findByTestId("signed-in-identity");
    expect(identity.textContent).toContain("Alice Astronomer");
    expect(identity.textContent).toContain("alice@example.org");
    expect(identity.textContent).toContain("alice");
    expect(identity.textContent).toContain("7c1e0b52-alice");
    await waitFor(() => expect(status()).toBe("Signed in as Alice Astronomer."));
    await waitFor(() => expect(document.activeElement).toBe(identity));
    expect(statusBar().textContent).toContain("Signed in with your sign-in");
    expect(screen.queryByTestId("sign-in-cancel")).toBeNull();
    expect(screen.queryByTestId("password-form")).toBeNull();
  });

  it("stops on Cancel and says nothing changed", async () => {
    const p = await openCredentials({ holdSignIn: true });
    await fireEvent.click(await screen.findByTestId("sign-in-browser"));
    await waitFor(() => expect(status()).toBe("Waiting for you to finish signing in in your browser…"));
    await fireEvent.click(screen.getByTestId("sign-in-cancel"));
    await waitFor(() => expect(status()).toBe("Sign-in cancelled. Nothing was changed."));
    expect(p.calls).toContain("cancelSignIn");
    expect(p.signInWaiting).toBe(false);
    expect(screen.queryByTestId("sign-in-cancel")).toBeNull();
    expect(screen.queryByRole("alert", { name: /cancel/i })).toBeNull();
    expect(screen.queryByTestId("sign-in-error")).toBeNull();
    expect((screen.getByTestId("sign-in-browser") as HTMLButtonElement).disabled).toBe(false);
    expect(statusBar().textContent).toContain("Not signed in");
  });

  it("shows the backend's message as an alert when the sign-in fails, and allows another try", async () => {
    const p = await openCredentials({ holdSignIn: true });
    await fireEvent.click(await screen.findByTestId("sign-in-browser"));
    await waitFor(() => expect(p.signInWaiting).toBe(true));
    p.failSignIn(
      new AppError(
        "permission_denied",
        "the provider refused the sign-in (access_denied: user cancelled). Try again, or ask the platform's support.",
      ),
    );
    const alert = await screen.findByTestId("sign-in-error");
    expect(alert.getAttribute("role")).toBe("alert");
    expect(alert.textContent).toContain("Sign-in failed: the provider refused the sign-in (access_denied: user cancelled). Try again, or ask the platform's support.");
    expect(alert.textContent).toContain("use a code instead");
    expect((screen.getByTestId("sign-in-browser") as HTMLButtonElement).disabled).toBe(false);
    // A new attempt clears the old error.
    await fireEvent.click(screen.getByTestId("sign-in-device"));
    await waitFor(() => expect(screen.queryByTestId("sign-in-error")).toBeNull());
  });

  it("keeps showing the progress after a visit to another view", async () => {
    const p = await openCredentials({ holdSignIn: true });
    await fireEvent.click(await screen.findByTestId("sign-in-browser"));
    await waitFor(() => expect(status()).toContain("Waiting for you"));
    await fireEvent.keyDown(window, { key: "1", ctrlKey: true });
    await fireEvent.keyDown(window, { key: "4", ctrlKey: true });
    await waitFor(() => expect(status()).toBe("Waiting for you to finish signing in in your browser…"));
    p.finishSignIn();
    await screen.findByTestId("signed-in-identity");
  });
});

describe("Sign-in with a code", () => {
  it("shows the code large with copy, the link, and how long the code works", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const p = await openCredentials({ holdSignIn: true });
    await fireEvent.click(await screen.findByTestId("sign-in-device"));
    const panel = await screen.findByTestId("device-code");
    expect(p.argsOf("signIn")).toEqual([["device"]]);
    expect(status()).toBe("Waiting for you to enter the code…");
    expect(within(panel).getByTestId("device-user-code").textContent).toBe("WDJB-MJHT");
    // Screen readers get it letter by letter.
    expect(panel.textContent).toContain("Code: W D J B , M J H T");
    const url = within(panel).getByTestId("device-url") as HTMLAnchorElement;
    expect(url.textContent).toBe("https://login.example.org/realms/canfar/device");
    const open = within(panel).getByTestId("open-link") as HTMLAnchorElement;
    expect(open.href).toBe("https://login.example.org/realms/canfar/device?user_code=WDJB-MJHT");
    expect(open.target).toBe("_blank");
    expect(within(panel).getByTestId("device-expiry").textContent).toMatch(/works for another 10:00/);
    await fireEvent.click(within(panel).getByTestId("copy-code"));
    await waitFor(() => expect(p.clipboard).toEqual(["WDJB-MJHT"]));
    expect(panel.textContent).toContain("Code copied.");
    // The countdown moves with the clock…
    await vi.advanceTimersByTimeAsync(61_000);
    await waitFor(() => expect(within(panel).getByTestId("device-expiry").textContent).toMatch(/works for another 8:5\d/));
    // …and says what to do once the code has run out.
    await vi.advanceTimersByTimeAsync(600_000);
    await waitFor(() => expect(within(panel).getByTestId("device-expiry").textContent).toContain("The code has expired. Cancel, then start again"));
    p.finishSignIn();
    await screen.findByTestId("signed-in-identity");
    expect(screen.queryByTestId("device-code")).toBeNull();
  });

  it("says when the clipboard refuses the code", async () => {
    const p = await openCredentials({ holdSignIn: true });
    p.fail("copyText", new AppError("internal", "The clipboard is not available here; select the code and press Ctrl+C."));
    await fireEvent.click(await screen.findByTestId("sign-in-device"));
    const panel = await screen.findByTestId("device-code");
    await fireEvent.click(within(panel).getByTestId("copy-code"));
    expect((await within(panel).findByRole("alert")).textContent).toContain("select the code and press Ctrl+C");
  });
});

describe("Sign-in with a password", () => {
  it("shows a refusal, empties the password field, then signs in and keeps no password in the page", async () => {
    const p = await openCredentials({ auth: { username: "alice" } });
    p.fail("signInPassword", WRONG_PASSWORD);
    const pw = screen.getByLabelText("Password") as HTMLInputElement;
    await fireEvent.input(pw, { target: { value: "wrong-password" } });
    await fireEvent.click(screen.getByTestId("sign-in-password"));
    const error = screen.getByTestId("password-error");
    await waitFor(() => expect(error.textContent).toContain("Not signed in: wrong username or password for https://ws-cadc.canfar.net/ac/login; check them and try again."));
    expect(error.getAttribute("role")).toBe("alert");
    expect(pw.value).toBe("");
    expect(pw.getAttribute("aria-invalid")).toBe("true");
    await waitFor(() => expect(document.activeElement).toBe(pw));
    expect(document.body.innerHTML).not.toContain("wrong-password");

    await fireEvent.input(pw, { target: { value: DEMO_PASSWORD } });
    await fireEvent.click(screen.getByRole("checkbox", { name: /Remember my password/ }));
    await fireEvent.click(screen.getByTestId("sign-in-password"));
    await waitFor(() => expect(statusBar().textContent).toContain("Signed in"));
    expect(p.argsOf("signInPassword")).toEqual([
      ["alice", "<redacted>", false],
      ["alice", "<redacted>", true],
    ]);
    expect(document.body.innerHTML).not.toContain(DEMO_PASSWORD);
    await waitFor(() => expect(status()).toBe("Signed in as alice. Your password is in the Secret Service keyring (e.g. GNOME Keyring), so the certificate renews by itself."));
    // Signed in now: the ways to sign in fold away behind "Sign in with another account",
    // with an empty password field and no old error; focus lands on the new state.
    const other = screen.getByTestId("sign-in-other") as HTMLDetailsElement;
    expect(other.open).toBe(false);
    expect(other.querySelector("summary")?.textContent).toBe("Sign in with another account");
    expect((screen.getByLabelText("Password") as HTMLInputElement).value).toBe("");
    expect(screen.getByTestId("password-error").textContent).toBe("");
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("credential-headline").parentElement));
    expect(screen.getByTestId("sign-out")).toBeTruthy();
  });

  it("empties the password while the request runs", async () => {
    const p = await openCredentials({ auth: { username: "alice" }, delayMs: 30 });
    const pw = screen.getByLabelText("Password") as HTMLInputElement;
    await fireEvent.input(pw, { target: { value: DEMO_PASSWORD } });
    await fireEvent.click(screen.getByTestId("sign-in-password"));
    await waitFor(() => expect(status()).toBe("Signing in as alice…"));
    expect(pw.value).toBe("");
    expect(pw.disabled).toBe(true);
    await waitFor(() => expect(status()).toBe("Signed in as alice."));
    expect(p.calls).toContain("signInPassword");
  });

  it("asks for the missing field without calling the backend", async () => {
    const p = await openCredentials();
    await fireEvent.input(screen.getByLabelText("Username"), { target: { value: "alice" } });
    await fireEvent.click(screen.getByTestId("sign-in-password"));
    expect(screen.getByTestId("password-error").textContent).toBe("Enter your password.");
    await fireEvent.input(screen.getByLabelText("Username"), { target: { value: "  " } });
    await fireEvent.click(screen.getByTestId("sign-in-password"));
    expect(screen.getByTestId("password-error").textContent).toBe("Enter your username.");
    expect(p.calls).not.toContain("signInPassword");
  });
});

describe("Signed in", () => {
  it("shows the identity, the provider, a live access-token countdown and where the secrets are", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    await openCredentials({
      credential: { state: "signed_in", headline: "Signed in with your sign-in", advice: null, expiresAt: null },
      auth: { signIn: demoSignIn() },
    });
    const identity = await screen.findByTestId("signed-in-identity");
    expect(identity.textContent).toContain("Alice Astronomer");
    const card = screen.getByTestId("signin-card");
    expect(card.textContent).toContain("https://login.example.org/realms/canfar");
    expect(screen.getByTestId("access-expiry").textContent).toMatch(/^\s*4 min left — refreshes automatically\s*$/);
    expect(screen.getByTestId("secret-storage").textContent).toBe("the Secret Service keyring (e.g. GNOME Keyring)");
    expect(card.textContent).toContain("(2 h ago)");
    expect(screen.queryByTestId("sign-in-browser")).toBeNull();
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    await waitFor(() => expect(screen.getByTestId("access-expiry").textContent).toContain("2 min left — refreshes automatically"));
  });

  it("reads the sign-in again when the credential changes (a background refresh)", async () => {
    const p = await openCredentials({
      credential: { state: "signed_in", headline: "Signed in with your sign-in", advice: null, expiresAt: null },
      auth: { signIn: demoSignIn() },
    });
    await screen.findByTestId("signed-in-identity");
    const before = p.calls.filter((c) => c === "authInfo").length;
    p.auth = { ...p.auth, signIn: { ...demoSignIn(), accessExpiresAt: new Date(Date.now() + 60 * 60_000 + 30_000).toISOString() } };
    p.emitCredential({ state: "signed_in", headline: "Signed in with your sign-in", advice: null, expiresAt: null });
    await waitFor(() => expect(screen.getByTestId("access-expiry").textContent).toContain("1 h left"));
    expect(p.calls.filter((c) => c === "authInfo").length).toBeGreaterThan(before);
  });

  it("asks before signing out, says what it does, and returns to the sign-in buttons", async () => {
    const p = await openCredentials({
      credential: { state: "signed_in", headline: "Signed in with your sign-in", advice: null, expiresAt: null },
      auth: { signIn: demoSignIn(), passwordRemembered: true },
    });
    await fireEvent.click(await screen.findByTestId("sign-out"));
    let dialog = await screen.findByTestId("sign-out-dialog");
    expect(dialog.tagName).toBe("DIALOG");
    expect(dialog.textContent).toContain("revoke your tokens");
    expect(dialog.textContent).toContain("deletes them from the Secret Service keyring");
    // Cancel is the safe default.
    await waitFor(() => expect(document.activeElement?.textContent).toBe("Cancel"));
    await fireEvent.click(within(dialog).getByText("Cancel"));
    await waitFor(() => expect(screen.queryByTestId("sign-out-dialog")).toBeNull());
    expect(p.calls).not.toContain("signOut");

    await fireEvent.click(screen.getByTestId("sign-out"));
    dialog = await screen.findByTestId("sign-out-dialog");
    await fireEvent.click(within(dialog).getByTestId("sign-out-confirm"));
    await waitFor(() => expect(screen.queryByTestId("sign-out-dialog")).toBeNull());
    expect(p.calls).toContain("signOut");
    expect(statusBar().textContent).toContain("Not signed in");
    expect(screen.queryByTestId("signed-in-identity")).toBeNull();
    await waitFor(() => expect(status()).toContain("Signed out. Skyport asked login.example.org to revoke your tokens"));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("sign-in-browser")));
  });

  it("says so when the provider could not be asked to revoke the tokens", async () => {
    const p = await openCredentials({
      credential: { state: "signed_in", headline: "Signed in with your sign-in", advice: null, expiresAt: null },
      auth: { signIn: demoSignIn() },
    });
    p.signOutReport = { revoked: [], revocationNote: "the provider offers no revocation; the tokens were deleted here" };
    await fireEvent.click(screen.getByTestId("sign-out"));
    const dialog = await screen.findByTestId("sign-out-dialog");
    await fireEvent.click(within(dialog).getByTestId("sign-out-confirm"));
    await waitFor(() =>
      expect(status()).toBe(
        "Signed out. Skyport deleted your tokens from the Secret Service keyring (e.g. GNOME Keyring), but login.example.org was not told (the provider offers no revocation; the tokens were deleted here); they stay valid until they expire.",
      ),
    );
  });

  it("says which tokens were revoked when the access token could not be", async () => {
    const p = await openCredentials({
      credential: { state: "signed_in", headline: "Signed in with your sign-in", advice: null, expiresAt: null },
      auth: { signIn: demoSignIn() },
    });
    p.signOutReport = { revoked: ["refresh token"], revocationNote: "the provider cannot revoke the access token; it stops working when it expires" };
    await fireEvent.click(screen.getByTestId("sign-out"));
    await fireEvent.click(within(await screen.findByTestId("sign-out-dialog")).getByTestId("sign-out-confirm"));
    await waitFor(() =>
      expect(status()).toBe(
        "Signed out. login.example.org revoked your refresh token and Skyport deleted your tokens from the Secret Service keyring (e.g. GNOME Keyring); the provider cannot revoke the access token; it stops working when it expires.",
      ),
    );
  });

  it("keeps the dialog open with the backend's message when sign-out fails", async () => {
    const p = await openCredentials({
      credential: { state: "signed_in", headline: "Signed in with your sign-in", advice: null, expiresAt: null },
      auth: { signIn: demoSignIn() },
    });
    p.fail("signOut", new AppError("keyring_unavailable", "the OS keyring is locked; unlock it and try again"));
    await fireEvent.click(await screen.findByTestId("sign-out"));
    const dialog = await screen.findByTestId("sign-out-dialog");
    await fireEvent.click(within(dialog).getByTestId("sign-out-confirm"));
    expect((await within(dialog).findByRole("alert")).textContent).toContain("Not signed out: the OS keyring is locked; unlock it and try again.");
  });

  it("offers to sign in again when the provider no longer accepts the sign-in", async () => {
    await openCredentials({
      credential: { state: "expired", headline: "The platform no longer accepts your credential", advice: "Sign in again.", expiresAt: null },
      auth: { signIn: demoSignIn() },
    });
    await screen.findByTestId("signed-in-identity");
    expect(screen.getByTestId("signin-card").textContent).toContain("no longer accepts this sign-in");
    expect(screen.getByTestId("sign-in-browser")).toBeTruthy();
  });

  it("offers Sign out after a password sign-in (a saved token), without a provider to revoke at", async () => {
    await openCredentials({ auth: { oidcIssuer: null, username: "alice" } });
    const pw = screen.getByLabelText("Password") as HTMLInputElement;
    await fireEvent.input(pw, { target: { value: DEMO_PASSWORD } });
    await fireEvent.click(screen.getByTestId("sign-in-password"));
    await fireEvent.click(await screen.findByTestId("sign-out"));
    const dialog = await screen.findByTestId("sign-out-dialog");
    expect(dialog.textContent).toContain("deletes the saved token and any remembered password");
  });
});

describe("A remembered password without a sign-in", () => {
  it("offers to forget it (not to 'sign out'), and says what that means for the certificate", async () => {
    const p = await openCredentials({
      credential: { state: "signed_in", headline: "Certificate: 9 d 23 h left", advice: null, expiresAt: null },
      auth: { oidcIssuer: null, passwordRemembered: true, username: "alice" },
    });
    expect(screen.queryByTestId("sign-out")).toBeNull();
    await fireEvent.click(await screen.findByTestId("forget-password"));
    const dialog = await screen.findByTestId("sign-out-dialog");
    expect(within(dialog).getByRole("heading").textContent).toBe("Forget your password?");
    expect(dialog.textContent).toContain("no longer renews by itself");
    await fireEvent.click(within(dialog).getByTestId("sign-out-confirm"));
    await waitFor(() => expect(screen.queryByTestId("sign-out-dialog")).toBeNull());
    expect(p.calls).toContain("signOut");
    await waitFor(() => expect(status()).toBe("Your password is no longer kept in the Secret Service keyring (e.g. GNOME Keyring)."));
    expect(screen.queryByTestId("forget-password")).toBeNull();
    // Focus is not lost: it lands on the credential line.
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("credential-headline").parentElement));
  });
});

describe("Navigate", () => {
  it("shows the view the backend asks for (the tray's 'Sign in…') and moves focus to it", async () => {
    const p = FakePlatform.signedIn();
    render(App, { props: { platform: p } });
    await waitFor(() => expect(p.listening.navigate).toBe(1));
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Sessions");
    p.emitNavigate("credentials");
    await waitFor(() => expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Credentials"));
    await waitFor(() => expect(document.activeElement?.tagName).toBe("MAIN"));
    expect(document.querySelector('nav [aria-current="page"]')?.getAttribute("data-view")).toBe("credentials");
    // Names the UI does not know are ignored.
    p.emitNavigate("nowhere");
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Credentials");
  });

  it("exposes the credential state to tests and styles in the status bar", async () => {
    const p = FakePlatform.signedIn({ credential: { state: "expiring", headline: "Certificate: 1 d 23 h left", advice: "Renew it under Credentials.", expiresAt: null } });
    render(App, { props: { platform: p } });
    await waitFor(() => expect(statusBar().getAttribute("data-state")).toBe("expiring"));
    expect(statusBar().textContent).toContain("Certificate: 1 d 23 h left");
    expect(statusBar().textContent).toContain("Expiring soon:");
  });
});
