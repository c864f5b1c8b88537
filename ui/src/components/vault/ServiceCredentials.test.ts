import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../../App.svelte";
import { FakePlatform } from "../../test/fake";
import { AppError } from "../../platform/types";

const SECRET = "pw-never-shown-42";

async function openCredentials(p: FakePlatform) {
  render(App, { props: { platform: p } });
  await waitFor(() => expect(p.calls).toContain("platformStatus"));
  await fireEvent.keyDown(window, { key: "4", ctrlKey: true });
  return await screen.findByTestId("service-credentials");
}

describe("Credentials for other services", () => {
  it("lists each with kind, places and where kept; platforms' own cannot be removed here", async () => {
    const p = FakePlatform.signedIn();
    p.serviceCreds = [
      { id: "canfar/sign-in", kind: "oidc", origins: ["https://ws-uv.canfar.net"], username: "ada", loginUrl: null, file: null, expiresAt: "2026-12-04T10:00:00Z", kept: "the Secret Service keyring (e.g. GNOME Keyring)", managed: true },
      { id: "gaia", kind: "cookie", origins: ["https://gea.esac.esa.int/tap-server/"], username: "ada", loginUrl: "https://gea.esac.esa.int/tap-server/login", file: null, expiresAt: null, kept: "the Secret Service keyring (e.g. GNOME Keyring)", managed: false },
    ];
    const section = await openCredentials(p);
    const rows = await within(section).findAllByTestId("service-credential");
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toContain("Your sign-in at an OpenID provider");
    expect(within(rows[0]).queryByRole("button")).toBeNull();
    expect(rows[1].textContent).toContain("Login cookie");
    expect(rows[1].textContent).toContain("https://gea.esac.esa.int/tap-server/");
    await fireEvent.click(within(rows[1]).getByRole("button", { name: "Remove gaia" }));
    const dialog = await screen.findByTestId("remove-credential-dialog");
    await fireEvent.click(within(dialog).getByTestId("remove-credential-confirm"));
    await waitFor(() => expect(within(section).getAllByTestId("service-credential")).toHaveLength(1));
    expect(p.argsOf("removeServiceCredential")[0]).toEqual(["gaia"]);
  });

  it("adds a kind with the fields it needs; the secret reaches neither the log nor the page", async () => {
    const p = FakePlatform.signedIn();
    const section = await openCredentials(p);
    await within(section).findByText(/None yet/);
    await fireEvent.click(within(section).getByTestId("add-service-credential"));
    const dialog = await screen.findByTestId("add-credential-dialog");
    // Nothing said where it may go: asked before anything is sent.
    await fireEvent.click(within(dialog).getByTestId("add-credential-save"));
    expect(within(dialog).getByRole("alert").textContent).toContain("Say where it may be sent");
    expect(p.calls).not.toContain("addServiceCredential");
    await fireEvent.change(within(dialog).getByLabelText("Kind"), { target: { value: "basic" } });
    await fireEvent.input(within(dialog).getByLabelText("Sent only to (one address per line)"), { target: { value: "https://tap.example.org/tap\nhttps://*.example.org" } });
    await fireEvent.input(within(dialog).getByLabelText("Username"), { target: { value: "ada" } });
    const pw = within(dialog).getByLabelText("Password") as HTMLInputElement;
    expect(pw.type).toBe("password");
    await fireEvent.input(pw, { target: { value: SECRET } });
    expect(within(dialog).queryByLabelText("Where to log in")).toBeNull();
    await fireEvent.click(within(dialog).getByTestId("add-credential-save"));
    await waitFor(() => expect(screen.queryByTestId("add-credential-dialog")).toBeNull());
    const [arg] = p.argsOf("addServiceCredential")[0] as [Record<string, unknown>];
    expect(arg.origins).toEqual(["https://tap.example.org/tap", "https://*.example.org"]);
    expect(arg.username).toBe("ada");
    expect(JSON.stringify(p.log)).not.toContain(SECRET);
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(section.textContent).toContain("Skyport sends it only to https://tap.example.org/tap, https://*.example.org");
    expect(within(section).getAllByTestId("service-credential")).toHaveLength(1);

    // A kind with a login page asks where to log in; an error from the backend shows.
    await fireEvent.click(within(section).getByTestId("add-service-credential"));
    const again = await screen.findByTestId("add-credential-dialog");
    await fireEvent.change(within(again).getByLabelText("Kind"), { target: { value: "cookie" } });
    expect(within(again).getByLabelText("Where to log in")).toBeTruthy();
    await fireEvent.input(within(again).getByLabelText("Sent only to (one address per line)"), { target: { value: "http://plain.example.org" } });
    p.fail("addServiceCredential", new AppError("validation", "credentials go only over https (plain http only on this machine)"));
    await fireEvent.click(within(again).getByTestId("add-credential-save"));
    await waitFor(() => expect(within(again).getByRole("alert").textContent).toContain("only over https"));
  });

  it("tests a service: what it asks for and which credential would go", async () => {
    const p = FakePlatform.signedIn();
    const section = await openCredentials(p);
    await fireEvent.input(within(section).getByLabelText("Its address"), { target: { value: "https://tap.example.org/tap" } });
    await fireEvent.click(within(section).getByTestId("probe-service"));
    const report = await within(section).findByTestId("probe-report");
    expect(report.textContent).toContain("answered 401 to HEAD: a credential is required");
    expect(report.textContent).toContain("Basic");
    expect(report.textContent).toContain("none of your credentials is of a kind this service takes");
    expect(report.textContent).toContain("skyport credentials add basic");
    p.probeReport = { ...p.probeReport, status: 200, requirement: "optional", decision: { decision: "use", id: "gaia", kind: "cookie", why: "bound to https://gea.esac.esa.int/tap-server/" } };
    await fireEvent.click(within(section).getByTestId("probe-service"));
    await waitFor(() => expect(within(section).getByTestId("probe-report").textContent).toContain("Skyport sends gaia (Login cookie"));
  });
});
