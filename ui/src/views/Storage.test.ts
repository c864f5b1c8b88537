import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../App.svelte";
import { AppError } from "../platform/types";
import { FakePlatform, makeFolder } from "../test/fake";

function storageFake(): FakePlatform {
  const p = FakePlatform.signedIn();
  p.folders.set(
    "/home/alice",
    makeFolder(
      "/home/alice",
      [
        { name: "run1", kind: "folder", sizeWords: "3.0 KB", size: 3000 },
        { name: "notes.txt", sizeWords: "6 B", size: 6, modified: new Date(Date.now() - 2 * 3600_000).toISOString() },
        { name: ".ssl", kind: "folder", hidden: true },
      ],
      {
        usage: { root: "/home/alice", used: 3006, quota: 10_000_000, fraction: 0.0003, words: "3.0 KB of 10 MB used (0%), 10 MB free" },
      },
    ),
  );
  p.folders.set("/home/alice/run1", makeFolder("/home/alice/run1", [{ name: "a.fits", sizeWords: "3.0 KB" }]));
  p.storagePlacesList = [
    { name: "Home", path: "/home/alice" },
    { name: "survey", path: "/projects/survey" },
  ];
  return p;
}

async function openStorage(p: FakePlatform) {
  render(App, { props: { platform: p } });
  await waitFor(() => expect(p.calls).toContain("platformStatus"));
  await fireEvent.keyDown(window, { key: "3", ctrlKey: true });
  return await screen.findByTestId("storage");
}

describe("Storage", () => {
  it("shows the home with folders first, sizes, how full it is, and hides dot files", async () => {
    const p = storageFake();
    const view = await openStorage(p);
    const table = await within(view).findByRole("table", { name: "Contents of alice" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.getAttribute("data-name"))).toEqual(["run1", "notes.txt"]);
    expect(rows[1].textContent).toContain("6 B");
    expect(rows[1].textContent).toContain("2 h ago");
    const meter = within(view).getByRole("meter", { name: "Space used in /home/alice" });
    expect(meter.getAttribute("aria-valuetext")).toBe("3.0 KB of 10 MB used (0%), 10 MB free");
    await fireEvent.click(within(view).getByLabelText("Show 1 hidden file"));
    expect(within(table).getAllByRole("row")).toHaveLength(4);
    // Places: the home and the project folders.
    expect(within(within(view).getByRole("navigation", { name: "Places" })).getAllByRole("button").map((b) => b.textContent)).toEqual(["Home", "survey"]);
  });

  it("opens folders and goes back by the breadcrumbs; copies the path sessions see", async () => {
    const p = storageFake();
    const view = await openStorage(p);
    await fireEvent.click(await within(view).findByRole("button", { name: "run1" }));
    await within(view).findByRole("table", { name: "Contents of run1" });
    const crumbs = within(view).getByRole("navigation", { name: "Folder path" });
    expect(within(crumbs).getByText("run1").getAttribute("aria-current")).toBe("page");
    await fireEvent.click(within(view).getByRole("button", { name: "Copy the path of a.fits" }));
    await waitFor(() => expect(p.clipboard).toEqual(["/arc/home/alice/run1/a.fits"]));
    expect(within(view).getByRole("status").textContent).toContain("Copied /arc/home/alice/run1/a.fits");
    await fireEvent.click(within(crumbs).getByRole("button", { name: "alice" }));
    await within(view).findByRole("table", { name: "Contents of alice" });
    expect(p.argsOf("storageFolder").map((a) => a[0])).toEqual([null, "/home/alice/run1", "/home/alice"]);
  });

  it("uploads dropped files with progress in words, and lists them when done", async () => {
    const p = storageFake();
    const view = await openStorage(p);
    await within(view).findByRole("table");
    p.dropFiles(["/tmp/cube.fits"]);
    await waitFor(() => expect(p.argsOf("storageUpload")).toEqual([["/home/alice", ["/tmp/cube.fits"]]]));
    const list = await within(view).findByRole("region", { name: "Transfers" });
    expect(list.textContent).toContain("cube.fits");
    expect(list.textContent).toContain("waiting for its turn");
    expect(within(list).getByRole("progressbar", { name: /Uploading cube.fits/ })).toBeTruthy();
    p.finishTransfer(1);
    await waitFor(() => expect(view.querySelector('tr[data-name="cube.fits"]')).not.toBeNull());
    expect(list.textContent).toContain("uploaded");
  });

  it("asks before an upload replaces a file of the same name", async () => {
    const p = storageFake();
    p.chosenFiles = ["/tmp/notes.txt"];
    const view = await openStorage(p);
    await within(view).findByRole("table");
    await fireEvent.keyDown(window, { key: "u", ctrlKey: true });
    const dialog = await screen.findByRole("dialog", { name: "Replace 1 file?" });
    expect(dialog.textContent).toContain("notes.txt is already in /home/alice");
    expect(p.calls).not.toContain("storageUpload");
    // Files dropped while it asks join the question; nothing is sent unasked.
    p.dropFiles(["/tmp/other.txt"]);
    await waitFor(() => expect(dialog.textContent).toContain("notes.txt"));
    expect(p.calls).not.toContain("storageUpload");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Replace" }));
    await waitFor(() => expect(p.argsOf("storageUpload")).toEqual([["/home/alice", ["/tmp/notes.txt", "/tmp/other.txt"]]]));
  });

  it("downloads a file and says where it was saved; a cancel is said", async () => {
    const p = storageFake();
    const view = await openStorage(p);
    await fireEvent.click(await within(view).findByRole("button", { name: "Download notes.txt" }));
    await waitFor(() => expect(p.argsOf("storageDownload")).toEqual([["/home/alice/notes.txt"]]));
    p.finishTransfer(1);
    const list = await within(view).findByRole("region", { name: "Transfers" });
    await waitFor(() => expect(list.querySelector('[data-state="done"]')).not.toBeNull());
    await fireEvent.click(await within(view).findByRole("button", { name: "Download notes.txt" }));
    await fireEvent.click(await within(list).findByRole("button", { name: "Cancel notes.txt" }));
    await waitFor(() => expect(list.textContent).toContain("Cancelled; nothing was left half-copied."));
    await fireEvent.click(within(list).getByRole("button", { name: "Clear finished" }));
    await waitFor(() => expect(within(view).queryByRole("region", { name: "Transfers" })).toBeNull());
  });

  it("makes, renames and deletes with dialogs, and shows what the storage refused", async () => {
    const p = storageFake();
    const view = await openStorage(p);
    await within(view).findByRole("table");
    await fireEvent.keyDown(window, { key: "N", ctrlKey: true, shiftKey: true });
    let dialog = await screen.findByRole("dialog", { name: "New folder" });
    await fireEvent.input(within(dialog).getByLabelText("Name, in /home/alice"), { target: { value: "out" } });
    await fireEvent.click(within(dialog).getByRole("button", { name: "Make folder" }));
    await waitFor(() => expect(view.querySelector('tr[data-name="out"]')).not.toBeNull());
    expect(p.argsOf("storageMakeFolder")).toEqual([["/home/alice", "out"]]);

    await fireEvent.click(within(view).getByRole("button", { name: "Rename notes.txt" }));
    dialog = await screen.findByRole("dialog", { name: "Rename notes.txt" });
    await fireEvent.input(within(dialog).getByLabelText("New name"), { target: { value: "run1" } });
    p.fail("storageRename", new AppError("validation", "run1 already exists here. Choose another name."));
    await fireEvent.click(within(dialog).getByRole("button", { name: "Rename" }));
    expect(await within(dialog).findByText("run1 already exists here. Choose another name.")).toBeTruthy();
    await fireEvent.input(within(dialog).getByLabelText("New name"), { target: { value: "log.txt" } });
    await fireEvent.click(within(dialog).getByRole("button", { name: "Rename" }));
    await waitFor(() => expect(view.querySelector('tr[data-name="log.txt"]')).not.toBeNull());

    await fireEvent.click(within(view).getByRole("button", { name: "Delete run1" }));
    dialog = await screen.findByRole("dialog", { name: "Delete run1?" });
    expect(dialog.textContent).toContain("if it is empty");
    // Focus starts on the safe answer.
    await waitFor(() => expect(document.activeElement?.textContent).toBe("Keep it"));
    p.fail("storageDelete", new AppError("validation", "/home/alice/run1 is not empty. Delete what is in it first."));
    await fireEvent.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await within(dialog).findByText(/is not empty/)).toBeTruthy();
    await fireEvent.click(within(dialog).getByRole("button", { name: "Keep it" }));
    await fireEvent.click(within(view).getByRole("button", { name: "Delete log.txt" }));
    dialog = await screen.findByRole("dialog", { name: "Delete log.txt?" });
    await fireEvent.click(within(dialog).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(view.querySelector('tr[data-name="log.txt"]')).toBeNull());
  });

  it("says what to do when the platform has no storage, and an empty folder explains itself", async () => {
    const p = storageFake();
    p.fail("storageFolder", new AppError("config", "lab has no storage service known. Under Platforms, choose Check again to look for one."));
    let view = await openStorage(p);
    expect((await within(view).findByRole("alert")).textContent).toContain("Check again");
    p.folders.set("/home/alice", makeFolder("/home/alice"));
    await fireEvent.click(within(view).getByRole("button", { name: "Try again" }));
    view = await screen.findByTestId("storage");
    const empty = await within(view).findByRole("region", { name: "This folder is empty" });
    expect(empty.textContent).toContain("Drop files from your desktop");
    expect(empty.textContent).toContain("/arc/home/alice");
  });
});
