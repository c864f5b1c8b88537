// The app's top-level views, in navigation order. Ctrl+1..6 jump to them.
export const VIEWS = [
  { id: "sessions", label: "Sessions", icon: "sessions" },
  { id: "launch", label: "Launch", icon: "launch" },
  { id: "storage", label: "Storage", icon: "folder" },
  { id: "credentials", label: "Credentials", icon: "credentials" },
  { id: "platforms", label: "Platforms", icon: "platforms" },
  { id: "settings", label: "Settings", icon: "settings" },
] as const;

export type ViewId = (typeof VIEWS)[number]["id"];

/** The view a key press asks for (Ctrl/Cmd + 1..6, Ctrl/Cmd+N for Launch), if any. */
export function viewForShortcut(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey?: boolean }): ViewId | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return null;
  const n = Number(e.key);
  if (Number.isInteger(n) && n >= 1 && n <= VIEWS.length) return VIEWS[n - 1].id;
  // Ctrl+Shift+N is the Storage view's "New folder".
  if (e.key.toLowerCase() === "n" && !e.shiftKey) return "launch";
  return null;
}

/** Whether a name from the backend (a `navigate` event) is one of the views. */
export function isViewId(v: string): v is ViewId {
  return VIEWS.some((x) => x.id === v);
}
