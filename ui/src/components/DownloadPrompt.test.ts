import { createEvent, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import DownloadPrompt from "./DownloadPrompt.svelte";
import { bytes } from "../lib/format";
import { downloadPromptId } from "../lib/route";
import { FakePlatform } from "../test/fake";

const status = () => screen.getByTestId("download-status").textContent;
const size = () => screen.getByTestId("download-size").textContent;

describe("DownloadPrompt", () => {
  it("asks before saving, shows progress in words, and saves once the file has arrived", async () => {
    const p = FakePlatform.signedIn();
    const id = p.addDownload("summary.csv", { bytes: 4_200 });
    render(DownloadPrompt, { props: { platform: p, id, armDelayMs: 0 } });
    await waitFor(() => expect(status()).toBe("Downloading…"));
    expect(size()).toBe("4.2 kB so far");
    expect(screen.getByRole("heading").textContent).toBe("Save “summary.csv”?");
    expect(screen.getByTestId("download-source").textContent).toBe("nbwin — notebook");
    expect(screen.getByText(/no file there is replaced/).textContent).toContain("/home/alice/Downloads");
    // Save is focused: Enter saves, and nothing is saved before that.
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("download-save")));
    expect(p.calls).not.toContain("decideDownload");

    p.finishDownload(id, 12_345);
    await waitFor(() => expect(status()).toBe("Downloaded. Not saved yet."));
    expect(size()).toBe("12.3 kB");
    await fireEvent.click(screen.getByTestId("download-save"));
    await waitFor(() => expect(status()).toBe("Saved as summary.csv."));
    expect(p.argsOf("decideDownload")).toEqual([[id, true]]);
  });

  it("waits a moment before a key can answer (a keystroke meant for the session)", async () => {
    const p = FakePlatform.signedIn();
    const id = p.addDownload("summary.csv", { state: "ready", bytes: 10 } as never);
    render(DownloadPrompt, { props: { platform: p, id, armDelayMs: 300 } });
    await waitFor(() => expect(status()).toBe("Downloaded. Not saved yet."));
    expect((screen.getByTestId("download-save") as HTMLButtonElement).disabled).toBe(true);
    await waitFor(() => expect((screen.getByTestId("download-save") as HTMLButtonElement).disabled).toBe(false));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("download-save")));
  });

  it("arms only while the prompt itself has focus, and tells the backend", async () => {
    const p = FakePlatform.signedIn();
    const id = p.addDownload("summary.csv", { state: "ready", bytes: 10 } as never);
    render(DownloadPrompt, { props: { platform: p, id, armDelayMs: 30 } });
    const save = () => screen.getByTestId("download-save") as HTMLButtonElement;
    await waitFor(() => expect(save().disabled).toBe(false));
    expect(p.argsOf("downloadPromptReady")).toEqual([[id, true]]);
    // Focus moves back to the session: disarmed at once, and the backend hears it.
    await fireEvent.blur(window);
    expect(save().disabled).toBe(true);
    expect(p.argsOf("downloadPromptReady")).toEqual([[id, true], [id, false]]);
    // Back on the prompt: the buttons wait the whole delay again.
    await fireEvent.focus(window);
    expect(save().disabled).toBe(true);
    await waitFor(() => expect(save().disabled).toBe(false));
    expect(p.argsOf("downloadPromptReady")).toEqual([[id, true], [id, false], [id, true]]);
  });

  it("keeps waiting while keys meant for the session still arrive", async () => {
    const p = FakePlatform.signedIn();
    const id = p.addDownload("summary.csv", { state: "ready", bytes: 10 } as never);
    render(DownloadPrompt, { props: { platform: p, id, armDelayMs: 400 } });
    const save = () => screen.getByTestId("download-save") as HTMLButtonElement;
    await waitFor(() => screen.getByTestId("download-save"));
    // Steady typing, a key every 25 ms for 500 ms: never a quiet 400 ms, never armed.
    for (let i = 0; i < 20; i++) {
      await fireEvent.keyDown(window, { key: "a", code: "KeyA" });
      await new Promise((r) => setTimeout(r, 25));
      expect(save().disabled).toBe(true);
    }
    expect(p.argsOf("downloadPromptReady")).toEqual([]);
    // Then quiet: armed.
    await waitFor(() => expect(save().disabled).toBe(false));
  });

  it("a key that went down before the prompt was ready never answers it", async () => {
    const p = FakePlatform.signedIn();
    const id = p.addDownload("summary.csv", { state: "ready", bytes: 10 } as never);
    render(DownloadPrompt, { props: { platform: p, id, armDelayMs: 0 } });
    const save = () => screen.getByTestId("download-save") as HTMLButtonElement;
    await waitFor(() => expect(save().disabled).toBe(false));
    await waitFor(() => expect(document.activeElement).toBe(save()));
    // Enter held down in the notebook: only its auto-repeat reaches the prompt. Its default
    // (pressing the focused Save) is cancelled before the button sees it.
    const held = createEvent.keyDown(save(), { key: "Enter", code: "Enter", repeat: true });
    fireEvent(save(), held);
    expect(held.defaultPrevented).toBe(true);
    // Space released after a press the prompt never saw: no click on keyup either.
    const up = createEvent.keyUp(save(), { key: " ", code: "Space" });
    fireEvent(save(), up);
    expect(up.defaultPrevented).toBe(true);
    // A held Escape does not throw the file away.
    await fireEvent.keyDown(window, { key: "Escape", code: "Escape", repeat: true });
    expect(p.argsOf("decideDownload")).toEqual([]);
    // A fresh press, made while the prompt is ready, does answer.
    const fresh = createEvent.keyDown(save(), { key: "Enter", code: "Enter" });
    fireEvent(save(), fresh);
    expect(fresh.defaultPrevented).toBe(false);
    await fireEvent.keyDown(window, { key: "Escape", code: "Escape" });
    await waitFor(() => expect(p.argsOf("decideDownload")).toEqual([[id, false]]));
  });

  it("Save while the file still arrives waits for it, and can still be cancelled", async () => {
    const p = FakePlatform.signedIn();
    const id = p.addDownload("cube.fits", { bytes: 2_000_000 });
    render(DownloadPrompt, { props: { platform: p, id, armDelayMs: 0 } });
    await waitFor(() => expect((screen.getByTestId("download-save") as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId("download-save"));
    await waitFor(() => expect(status()).toBe("Will be saved when the download finishes."));
    expect(size()).toBe("2.0 MB so far");
    expect(screen.queryByTestId("download-save")).toBeNull();
    expect(screen.getByTestId("download-discard").textContent).toBe("Cancel download");
    // The keyboard is not stranded: focus moved to the button that is left.
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("download-discard")));
    p.finishDownload(id, 3_500_000);
    await waitFor(() => expect(status()).toBe("Saved as cube.fits."));
  });

  it("Escape means don't save", async () => {
    const p = FakePlatform.signedIn();
    const id = p.addDownload("notes.txt", { state: "ready", bytes: 12 } as never);
    render(DownloadPrompt, { props: { platform: p, id, armDelayMs: 0 } });
    await waitFor(() => expect(status()).toBe("Downloaded. Not saved yet."));
    expect(size()).toBe("12 bytes");
    await waitFor(() => expect((screen.getByTestId("download-save") as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.keyDown(window, { key: "Escape" });
    await waitFor(() => expect(status()).toBe("Not saved; the file was deleted."));
    expect(p.argsOf("decideDownload")).toEqual([[id, false]]);
  });

  it("a broken transfer says what to do next and only offers Close", async () => {
    const p = FakePlatform.signedIn();
    const id = p.addDownload("cube.fits");
    render(DownloadPrompt, { props: { platform: p, id, armDelayMs: 0 } });
    await waitFor(() => screen.getByTestId("download-save"));
    p.finishDownload(id, 100, false);
    await waitFor(() => expect(screen.getByRole("alert").textContent).toContain("Try the download again from the session page"));
    expect(screen.queryByTestId("download-save")).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("download-close")));
  });

  it("a Downloads folder that refused the file offers Save again", async () => {
    const p = FakePlatform.signedIn();
    const id = p.addDownload("summary.csv", {
      state: "failed",
      canRetry: true,
      message: "Could not save summary.csv in /home/alice/Downloads: Permission denied. Check that the folder exists, is writable and has free space, then press Save again.",
      bytes: 10,
    } as never);
    render(DownloadPrompt, { props: { platform: p, id, armDelayMs: 0 } });
    await waitFor(() => expect(screen.getByTestId("download-save").textContent?.trim()).toBe("Save again"));
    expect(screen.getByTestId("download-error").textContent).toContain("press Save again");
  });

  it("an unknown download says so and can be closed", async () => {
    const p = FakePlatform.signedIn();
    render(DownloadPrompt, { props: { platform: p, id: 99, armDelayMs: 0 } });
    await waitFor(() => expect(screen.getByRole("alert").textContent).toContain("start it again from the session page"));
    await fireEvent.click(screen.getByTestId("download-close"));
    expect(p.argsOf("decideDownload")).toEqual([[99, false]]);
  });

  it("a slow poll does not undo newer news or an answer", async () => {
    const p = FakePlatform.signedIn();
    const id = p.addDownload("summary.csv", { bytes: 10 });
    render(DownloadPrompt, { props: { platform: p, id, armDelayMs: 0 } });
    await waitFor(() => expect(status()).toBe("Downloading…"));
    // The next progress poll answers late, with what was true when it was asked.
    const stale = { ...p.downloads.get(id)! };
    let release: () => void = () => {};
    p.override("downloadOffer", () => new Promise((r) => (release = () => r(stale))));
    await new Promise((r) => setTimeout(r, 600));
    p.finishDownload(id, 10);
    await waitFor(() => expect(status()).toBe("Downloaded. Not saved yet."));
    await fireEvent.click(screen.getByTestId("download-save"));
    await waitFor(() => expect(status()).toBe("Saved as summary.csv."));
    release();
    await new Promise((r) => setTimeout(r, 50));
    expect(status()).toBe("Saved as summary.csv.");
  });
});

describe("prompt routing and sizes", () => {
  it("only download-<n> windows show a prompt", () => {
    expect(downloadPromptId("download-3")).toBe(3);
    expect(downloadPromptId("main")).toBeNull();
    expect(downloadPromptId("session-abc")).toBeNull();
    expect(downloadPromptId("download-0")).toBeNull();
    expect(downloadPromptId("download-3x")).toBeNull();
  });

  it("sizes read like a file manager's", () => {
    expect(bytes(0)).toBe("0 bytes");
    expect(bytes(1)).toBe("1 byte");
    expect(bytes(999)).toBe("999 bytes");
    expect(bytes(12_345)).toBe("12.3 kB");
    expect(bytes(987_654)).toBe("988 kB");
    expect(bytes(2_500_000_000)).toBe("2.5 GB");
  });
});
