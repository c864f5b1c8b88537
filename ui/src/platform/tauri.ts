// The real platform: the generated bindings over Tauri IPC, as they are. Nothing here names
// a command, so a command added in Rust reaches the UI with no line written here.
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { commands, events } from "../bindings";
import type { Commands, EventName, EventPayload, FileDrop, Platform, Unlisten } from "./types";
import { AppError } from "./types";

/** What a command rejects with: its `{code, message}`, or a framework failure (a string). */
function appError(e: unknown): unknown {
  if (e instanceof Error) return e;
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const { code, message } = e as { code: AppError["code"]; message: unknown };
    return new AppError(code, String(message));
  }
  return new AppError("internal", String(e));
}

/** Every command, rejecting with an `AppError` the views can show. */
function withAppErrors(raw: Commands): Commands {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(raw) as [string, (...a: unknown[]) => Promise<unknown>][]) {
    out[name] = (...args: unknown[]) =>
      fn(...args).catch((e: unknown) => {
        throw appError(e);
      });
  }
  return out as Commands;
}

function listen<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Promise<Unlisten> {
  const source = events[event] as unknown as {
    listen: (cb: (e: { payload: EventPayload<E> }) => void) => Promise<Unlisten>;
  };
  return source.listen((e) => listener(e.payload));
}

/** The async clipboard API, or the old selection copy where WebKit refuses it. */
async function copyText(text: string): Promise<void> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return;
    }
  } catch {
    // Fall through to the selection copy.
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } finally {
    area.remove();
    before?.focus();
  }
  if (!ok) throw new Error("The clipboard is not available here; select the code and press Ctrl+C.");
}

/** Files dragged from the desktop over the window (the webview's own drag-and-drop events). */
function onFileDrop(listener: (drop: FileDrop | null) => void): Promise<Unlisten> {
  return getCurrentWebview().onDragDropEvent((e) => {
    const p = e.payload;
    if (p.type === "drop") listener({ dropped: true, paths: p.paths });
    else if (p.type === "leave") listener(null);
    else if (p.type === "enter") listener({ dropped: false, paths: p.paths });
  });
}

export const tauriPlatform: Platform = { ...withAppErrors(commands), listen, copyText, onFileDrop };
