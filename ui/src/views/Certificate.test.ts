import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../App.svelte";
import { DEMO_PASSWORD, FakePlatform, NOTHING_TO_RENEW, WRONG_PASSWORD, makeCert, type FakeOptions } from "../test/fake";
import { AppError } from "../platform/types";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SIGNED_OUT = { state: "signed_out", headline: "Not signed in", advice: null, expiresAt: null } as const;

async function openCredentials(opts: FakeOptions = {}) {
  const p = FakePlatform.signedIn(opts);
  render(App, { props: { platform: p } });
  await waitFor(() => expect(p.listening.cert).toBe(1));
  await fireEvent.keyDown(window, { key: "4", ctrlKey: true });
  const card = await screen.findByTestId("cert-card");
  return { p, card };
}

const text = (id: string) => screen.getByTestId(id).textContent?.trim();

describe("Certificate card", () => {
  it("fine: subject, issuer, validity bar with now, countdown, file and key type", async () => {
    const { card } = await openCredentials({ cert: makeCert("fine") });
    await waitFor(() => expect(text("cert-countdown")).toBe("8 d 23 h left"));
    expect(card.getAttribute("data-state")).toBe("fine");
    expect(text("cert-state")).toBe("Valid");
    expect(text("cert-subject")).toBe("CN=alice_3f9a,OU=cadc,O=hia,C=ca");
    expect(card.textContent).toContain("CN=Skyport Sim CA,O=skyport-sim");
    expect(text("cert-path")).toBe("/fake/.ssl/cadcproxy.pem");
    expect(text("cert-key")).toBe("RSA 2048, with 1 CA certificate");
    const bar = within(card).getByTestId("cert-validity");
    expect(bar.classList.contains("fine")).toBe(true);
    expect(bar.textContent).toContain("now");
    // 1 of 10 days used: the "now" mark sits at 10 %.
    const mark = bar.querySelector(".mark") as HTMLElement;
    expect(parseFloat(mark.style.left)).toBeCloseTo(10, 0);
    expect(bar.textContent?.replace(/\s+/g, " ")).toMatch(/10% of its lifetime used/);
    expect(screen.queryByTestId("cert-problem")).toBeNull();
    expect(screen.getByTestId("cert-renew").textContent).toContain("Renew now");
    expect(screen.getByTestId("cert-renew").classList.contains("primary")).toBe(false);
  });

  it("expiring: says so in words and colour, and makes Renew now the main action", async () => {
    const { card } = await openCredentials({ cert: makeCert("expiring") });
    await waitFor(() => expect(text("cert-countdown")).toBe("1 d 23 h left"));
    expect(card.getAttribute("data-state")).toBe("expiring");
    expect(text("cert-state")).toBe("Expiring soon");
    expect(within(card).getByTestId("cert-validity").classList.contains("expiring")).toBe(true);
    expect(screen.getByTestId("cert-countdown").classList.contains("expiring")).toBe(true);
    expect(screen.getByTestId("cert-renew").classList.contains("primary")).toBe(true);
  });

  it("expired: says when it ran out and what to do", async () => {
    const { card } = await openCredentials({ cert: makeCert("expired") });
    await waitFor(() => expect(text("cert-countdown")).toBe("expired 2 h 1 min ago"));
    expect(text("cert-state")).toBe("Expired");
    expect(text("cert-expired")).toContain("Your certificate expired 2 h 1 min ago. Renew it, or obtain a new one with your password.");
    expect(within(card).getByTestId("cert-validity").classList.contains("expired")).toBe(true);
  });

  it("missing: says where it would be and offers to obtain one", async () => {
    const { card } = await openCredentials({ cert: makeCert("missing") });
    await waitFor(() => expect(text("cert-state")).toBe("No certificate"));
    expect(card.textContent).toContain("There is no certificate at /fake/.ssl/cadcproxy.pem yet.");
    expect(screen.queryByTestId("cert-countdown")).toBeNull();
    expect(screen.getByTestId("cert-obtain").classList.contains("primary")).toBe(true);
    expect(screen.getByTestId("cert-renew").textContent).toContain("Get one now");
  });

  it("invalid: shows the backend's problem as an alert", async () => {
    await openCredentials({ cert: makeCert("invalid") });
    const problem = await screen.findByTestId("cert-problem");
    expect(problem.getAttribute("role")).toBe("alert");
    expect(problem.textContent).toContain("This file cannot be used: /fake/.ssl/cadcproxy.pem holds a certificate but no private key; obtain a new certificate.");
    expect(text("cert-state")).toBe("Unusable");
    expect(screen.getByTestId("cert-obtain").classList.contains("primary")).toBe(true);
  });

  it("before the monitor's first reading it says so", async () => {
    await openCredentials({ cert: null });
    await waitFor(() => expect(screen.getByTestId("cert-card").textContent).toContain("Skyport has not read the certificate file yet."));
  });

  it("follows the backend's watcher: a file copied in from outside shows at once", async () => {
    const { p, card } = await openCredentials({ cert: makeCert("expiring") });
    await waitFor(() => expect(text("cert-countdown")).toBe("1 d 23 h left"));
    const now = Date.now();
    p.emitCert(makeCert("fine", now, { notBefore: now - 5 * 60_000, notAfter: now + 5 * DAY + 30_000 }));
    await waitFor(() => expect(text("cert-countdown")).toBe("5 d left"));
    expect(card.getAttribute("data-state")).toBe("fine");
    // …and its removal.
    p.emitCert(makeCert("missing"));
    await waitFor(() => expect(text("cert-state")).toBe("No certificate"));
  });

  it("renews now: progress in words, then the new expiry", async () => {
    const { p } = await openCredentials({
      cert: makeCert("expiring"),
      credential: { state: "signed_in", headline: "Signed in with your sign-in", advice: null, expiresAt: null },
      delayMs: 20,
    });
    await waitFor(() => expect(text("cert-countdown")).toBe("1 d 23 h left"));
    await fireEvent.click(screen.getByTestId("cert-renew"));
    await waitFor(() => expect(text("cert-action-status")).toBe("Renewing your certificate…"));
    expect((screen.getByTestId("cert-renew") as HTMLButtonElement).disabled).toBe(true);
    await waitFor(() => expect(text("cert-action-status")).toMatch(/^Renewed — valid until \d+ \w{3}( \d{4})? \d\d:\d\d\.$/));
    expect(text("cert-countdown")).toMatch(/^(10 d|9 d 23 h) left$/);
    expect(text("cert-state")).toBe("Valid");
    expect(p.calls).toContain("renewCertificateNow");
  });

  it("says why a renewal failed and offers to obtain with a password", async () => {
    const { p } = await openCredentials({ cert: makeCert("expiring"), credential: SIGNED_OUT });
    p.fail("renewCertificateNow", NOTHING_TO_RENEW);
    await fireEvent.click(await screen.findByTestId("cert-renew"));
    const error = await screen.findByTestId("cert-error");
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toContain("Not renewed: there is nothing to renew the certificate of sim with: remember your password");
    expect(text("cert-countdown")).toBe("1 d 23 h left");
    await fireEvent.click(within(error).getByTestId("cert-error-obtain"));
    expect(await screen.findByTestId("obtain-dialog")).toBeTruthy();
    expect(p.calls).not.toContain("obtainCertificate");
  });

  it("shows other renewal errors with the backend's message and no obtain shortcut", async () => {
    const { p } = await openCredentials({ cert: makeCert("fine") });
    p.fail("renewCertificateNow", new AppError("platform_unreachable", "the credential service could not be reached; check your network and try again"));
    await fireEvent.click(await screen.findByTestId("cert-renew"));
    const error = await screen.findByTestId("cert-error");
    expect(error.textContent).toContain("Not renewed: the credential service could not be reached; check your network and try again.");
    expect(within(error).queryByTestId("cert-error-obtain")).toBeNull();
  });
});

describe("Obtain a certificate", () => {
  it("asks for username and password once, refuses a wrong password, then saves a 10-day certificate", async () => {
    const { p } = await openCredentials({ cert: makeCert("missing"), credential: SIGNED_OUT, auth: { username: "alice" } });
    const opener = await screen.findByTestId("cert-obtain");
    opener.focus();
    await fireEvent.click(opener);
    const dialog = await screen.findByTestId("obtain-dialog");
    expect(dialog.tagName).toBe("DIALOG");
    expect(dialog.textContent).toContain("valid for 10 days");
    expect(dialog.textContent).toContain("/fake/.ssl/cadcproxy.pem");
    const user = within(dialog).getByLabelText("Username") as HTMLInputElement;
    const pw = within(dialog).getByLabelText("Password") as HTMLInputElement;
    expect(user.value).toBe("alice");
    expect(pw.type).toBe("password");
    // The username is known, so focus starts on the password.
    await waitFor(() => expect(document.activeElement).toBe(pw));
    const remember = within(dialog).getByRole("checkbox", { name: /Remember my password in the OS keyring/ }) as HTMLInputElement;
    expect(remember.checked).toBe(false);

    p.fail("obtainCertificate", WRONG_PASSWORD);
    await fireEvent.input(pw, { target: { value: "wrong-password" } });
    await fireEvent.click(within(dialog).getByTestId("obtain-submit"));
    await waitFor(() => expect(within(dialog).getByTestId("obtain-error").textContent).toContain("No certificate obtained: wrong username or password"));
    expect(pw.value).toBe("");
    await waitFor(() => expect(document.activeElement).toBe(pw));

    await fireEvent.input(pw, { target: { value: DEMO_PASSWORD } });
    await fireEvent.click(remember);
    expect(dialog.textContent).toContain("The password goes to the Secret Service keyring");
    await fireEvent.click(within(dialog).getByTestId("obtain-submit"));
    await waitFor(() => expect(screen.queryByTestId("obtain-dialog")).toBeNull());
    expect(p.argsOf("obtainCertificate")).toEqual([
      ["alice", "<redacted>", false],
      ["alice", "<redacted>", true],
    ]);
    await waitFor(() => expect(text("cert-countdown")).toMatch(/^(10 d|9 d 23 h) left$/));
    expect(text("cert-action-status")).toMatch(/^Renewed — valid until /);
    expect(document.body.innerHTML).not.toContain(DEMO_PASSWORD);
    expect(document.body.innerHTML).not.toContain("wrong-password");
    // Focus goes back to the button that opened the dialog.
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("cert-obtain")));
    // "Remember" changed what the backend holds; the view asked again.
    await waitFor(() => expect(p.auth.passwordRemembered).toBe(true));
  });

  it("shows progress while it asks, and closes with Escape forgetting the password", async () => {
    const { p } = await openCredentials({ cert: makeCert("missing"), delayMs: 30 });
    await fireEvent.click(await screen.findByTestId("cert-obtain"));
    let dialog = await screen.findByTestId("obtain-dialog");
    await fireEvent.input(within(dialog).getByLabelText("Username"), { target: { value: "alice" } });
    const pw = within(dialog).getByLabelText("Password") as HTMLInputElement;
    await fireEvent.input(pw, { target: { value: "typed-secret" } });
    await fireEvent.keyDown(dialog, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("obtain-dialog")).toBeNull());
    expect(p.calls).not.toContain("obtainCertificate");
    await fireEvent.click(screen.getByTestId("cert-obtain"));
    dialog = await screen.findByTestId("obtain-dialog");
    expect((within(dialog).getByLabelText("Password") as HTMLInputElement).value).toBe("");

    await fireEvent.input(within(dialog).getByLabelText("Username"), { target: { value: "alice" } });
    await fireEvent.input(within(dialog).getByLabelText("Password"), { target: { value: DEMO_PASSWORD } });
    await fireEvent.click(within(dialog).getByTestId("obtain-submit"));
    await waitFor(() => expect(dialog.textContent).toContain("Getting your certificate…"));
    expect((within(dialog).getByLabelText("Password") as HTMLInputElement).value).toBe("");
    await waitFor(() => expect(screen.queryByTestId("obtain-dialog")).toBeNull());
  });

  it("asks for what is missing before calling the backend", async () => {
    const { p } = await openCredentials({ cert: makeCert("missing") });
    await fireEvent.click(await screen.findByTestId("cert-obtain"));
    const dialog = await screen.findByTestId("obtain-dialog");
    await fireEvent.click(within(dialog).getByTestId("obtain-submit"));
    expect(within(dialog).getByTestId("obtain-error").textContent).toBe("Enter your username.");
    await fireEvent.input(within(dialog).getByLabelText("Username"), { target: { value: "alice" } });
    await fireEvent.click(within(dialog).getByTestId("obtain-submit"));
    expect(within(dialog).getByTestId("obtain-error").textContent).toBe("Enter your password.");
    expect(p.calls).not.toContain("obtainCertificate");
  });
});
