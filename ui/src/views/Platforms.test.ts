import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../App.svelte";
import { FakePlatform } from "../test/fake";
import { AppError, type ProfileSummary } from "../platform/types";

const signedIn = (who: string) => ({ state: "signed_in" as const, headline: `Signed in as ${who}`, advice: null, expiresAt: null });
const PROFILES: ProfileSummary[] = [
  { name: "canfar", displayName: "canfar", url: "https://ws-uv.canfar.net/skaha", active: true, status: signedIn("alice"), password: true, browser: false, resourceId: "ivo://cadc.nrc.ca/skaha" },
  { name: "swesrc", displayName: "sweSRC", url: "https://services.swesrc.chalmers.se/skaha/v0", active: false, status: signedIn("alice@ska"), password: false, browser: true, resourceId: "ivo://swesrc.chalmers.se/skaha" },
];

async function openPlatforms(p: FakePlatform) {
  render(App, { props: { platform: p } });
  await fireEvent.keyDown(window, { key: "5", ctrlKey: true });
  return screen.findAllByTestId("profile");
}

function fake() {
  return FakePlatform.signedIn({ profiles: PROFILES.map((p) => ({ ...p })) });
}

describe("Platforms", () => {
  it("lists each saved platform with who is signed in there and which is in use", async () => {
    const rows = await openPlatforms(fake());
    expect(rows.map((r) => r.dataset.name)).toEqual(["canfar", "swesrc"]);
    expect(within(rows[0]).getByTestId("in-use")).toBeTruthy();
    expect(within(rows[1]).queryByTestId("in-use")).toBeNull();
    expect(within(rows[1]).getByTestId("profile-status").textContent).toBe("Signed in as alice@ska");
  });

  it("switches to another platform without a sign-in, and says so once", async () => {
    const p = fake();
    await openPlatforms(p);
    await fireEvent.click(screen.getByRole("button", { name: "Use sweSRC" }));
    await waitFor(() => expect(p.argsOf("useProfile")).toEqual([["swesrc"]]));
    await screen.findByText("Using sweSRC");
    const rows = await screen.findAllByTestId("profile");
    await waitFor(() => expect(within(rows[1]).queryByTestId("in-use")).toBeTruthy());
    expect(p.calls).not.toContain("signIn");
    expect(screen.getAllByText("Using sweSRC")).toHaveLength(1);
  });

  it("tests a connection: each service and the credential", async () => {
    const p = fake();
    p.connectionCheck = {
      services: [
        { service: "Session API v1", url: "https://ws-uv.canfar.net/skaha", probe: { reachable: true, latencyMs: 41, detail: null } },
        { service: "Password sign-in", url: "https://ws-cadc.canfar.net/ac/login", probe: { reachable: false, latencyMs: null, detail: "no answer in time" } },
      ],
      credential: { accepted: false, detail: "The platform refuses a saved token: sign in again" },
    };
    await openPlatforms(p);
    await fireEvent.click(screen.getByRole("button", { name: "Test connection to canfar" }));
    const report = await screen.findByTestId("connection-report");
    expect(report.textContent).toContain("answering in 41 ms");
    expect(report.textContent).toContain("not answering: no answer in time");
    expect(within(report).getByTestId("credential-check").textContent).toContain("refuses a saved token");
  });

  it("removes a platform only after a confirmation that says what goes", async () => {
    const p = fake();
    await openPlatforms(p);
    await fireEvent.click(screen.getByRole("button", { name: "Remove sweSRC" }));
    const dialog = await screen.findByTestId("confirm-remove");
    await waitFor(() => expect(within(dialog).getByTestId("removal-what").textContent).toContain("its sign-in and keyring entries"));
    expect(p.calls).not.toContain("removeProfile");
    await fireEvent.click(within(dialog).getByTestId("confirm-remove-button"));
    await screen.findByText("sweSRC removed");
    expect(p.argsOf("removeProfile")).toEqual([["swesrc"]]);
    await waitFor(() => expect(screen.getAllByTestId("profile").map((r) => r.dataset.name)).toEqual(["canfar"]));
  });

  it("renames what a platform is shown as", async () => {
    const p = fake();
    await openPlatforms(p);
    await fireEvent.click(screen.getByRole("button", { name: "Rename canfar" }));
    await fireEvent.input(screen.getByLabelText("Name shown for canfar"), { target: { value: "CANFAR (work)" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(p.argsOf("renameProfile")).toEqual([["canfar", "CANFAR (work)"]]));
    await screen.findByText("CANFAR (work)");
  });

  it("reads the load of the platform switched to, never showing the other's", async () => {
    const p = fake();
    p.load = { stats: { coresRequested: 10, coresAvailable: 100, ramRequestedGb: 1, ramAvailableGb: 10, maxCoresPerSession: 8, maxRamGbPerSession: 32 } };
    await openPlatforms(p);
    await waitFor(() => expect(screen.getByTestId("load-cores").textContent).toContain("10 of 100"));
    p.load = { stats: { coresRequested: 3, coresAvailable: 50, ramRequestedGb: 1, ramAvailableGb: 10, maxCoresPerSession: 8, maxRamGbPerSession: 32 } };
    await fireEvent.click(screen.getByRole("button", { name: "Use sweSRC" }));
    await waitFor(() => expect(screen.getByTestId("load-cores").textContent).toContain("3 of 50"));
    expect(p.calls.filter((c) => c === "platformLoad")).toHaveLength(2);
  });

  it("keeps the list usable when the platform in use cannot be used", async () => {
    const p = fake();
    p.platform = new AppError("config", "profile canfar: \"ws-uv\" is not a URL");
    await openPlatforms(p);
    expect(screen.getByRole("alert").textContent).toContain("is not a URL");
    expect(screen.getByRole("button", { name: "Use sweSRC" })).toBeTruthy();
  });

  it("follows a switch made elsewhere (the CLI)", async () => {
    const p = fake();
    await openPlatforms(p);
    await waitFor(() => expect(p.listening.platformChanged).toBe(1));
    p.profiles = p.profiles.map((x) => ({ ...x, active: x.name === "swesrc" }));
    p.platform = { serviceUrl: PROFILES[1].url, source: 'Profile "swesrc"' };
    p.emit("platformChanged", null);
    await waitFor(() => expect(screen.getByTestId("platform-url").textContent).toBe(PROFILES[1].url));
    const rows = screen.getAllByTestId("profile");
    await waitFor(() => expect(within(rows[1]).queryByTestId("in-use")).toBeTruthy());
  });
});
