// Which screen a Skyport window shows, from its window label: the main window shows the app,
// `download-<n>` windows show the prompt for download n.

/** The download id of a prompt window's label, or null for any other window. */
export function downloadPromptId(label: string): number | null {
  const m = /^download-(\d+)$/.exec(label);
  if (!m) return null;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}
