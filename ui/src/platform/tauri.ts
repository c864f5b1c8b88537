// The real platform: generated bindings over Tauri IPC. Nothing here names a command by string.
import { commands, events } from "../bindings";
import type { FullSettings, Platform, Settings } from "./types";
import { AppError } from "./types";

type Result<T, E> = { status: "ok"; data: T } | { status: "error"; error: E };

/** Turn a Result-shaped answer into its data, or throw the backend's `{code, message}` as an AppError. */
export function unwrap<T>(r: Result<T, { code: AppError["code"]; message: string }>): T {
  if (r.status === "ok") return r.data;
  throw new AppError(r.error.code, r.error.message);
}

/** Every setting, with the backend's defaults for any it left out. */
function full(s: Settings): FullSettings {
  return {
    expiryWarningHours: s.expiryWarningHours ?? 12,
    notifications: s.notifications ?? true,
    keepInTray: s.keepInTray ?? true,
    autoRenewCert: s.autoRenewCert ?? true,
    certRenewDaysBefore: s.certRenewDaysBefore ?? null,
    reopenWindows: s.reopenWindows ?? false,
  };
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

export const tauriPlatform: Platform = {
  appInfo: () => commands.appInfo(),
  mainWindowUsed: async () => {
    await commands.mainWindowUsed();
  },
  credentialStatus: () => commands.credentialStatus(),
  platformStatus: async () => unwrap(await commands.platformStatus()),
  onCredentialStatus: (listener) => events.credentialStatusChanged.listen((e) => listener(e.payload)),

  authInfo: () => commands.authInfo(),
  signIn: async (mode) => unwrap(await commands.signIn(mode)),
  cancelSignIn: () => commands.cancelSignIn(),
  onSignInProgress: (listener) => events.signInProgress.listen((e) => listener(e.payload)),
  signInPassword: async (username, password, remember) => unwrap(await commands.signInPassword(username, password, remember)),
  signOut: async () => unwrap(await commands.signOut()),

  certStatus: () => commands.certStatus(),
  renewCertificateNow: async () => unwrap(await commands.renewCertificateNow()),
  obtainCertificate: async (username, password, remember) => unwrap(await commands.obtainCertificate(username, password, remember)),
  onCertStatus: (listener) => events.certStatusChanged.listen((e) => listener(e.payload)),

  onNavigate: (listener) => events.navigate.listen((e) => listener(e.payload.view)),
  copyText,

  saveToken: async (token) => unwrap(await commands.saveToken(token)),
  forgetToken: async () => unwrap(await commands.forgetToken()),

  sessionsSnapshot: () => commands.sessionsSnapshot(),
  refreshSessions: () => commands.refreshSessions(),
  onSessionsUpdated: (listener) => events.sessionsUpdated.listen((e) => listener(e.payload)),
  onSessionNotified: (listener) => events.sessionNotified.listen((e) => listener(e.payload)),

  sessionDetails: async (id) => unwrap(await commands.sessionDetails(id)),
  sessionLogs: async (id) => unwrap(await commands.sessionLogs(id)),
  sessionEvents: async (id) => unwrap(await commands.sessionEvents(id)),
  renewSession: async (id) => unwrap(await commands.renewSession(id)),
  deleteSessions: async (ids) => unwrap(await commands.deleteSessions(ids)),
  prunePreview: async (rule) => unwrap(await commands.prunePreview(rule)),
  openSessionInBrowser: async (id) => {
    unwrap(await commands.openSessionInBrowser(id));
  },
  openSessionWindow: async (id) => {
    unwrap(await commands.openSessionWindow(id));
  },
  windowsToReopen: () => commands.windowsToReopen(),

  launchOptions: async () => unwrap(await commands.launchOptions()),
  launchSession: async (form) => unwrap(await commands.launchSession(form)),
  registrySecretSaved: (image, username) => commands.registrySecretSaved(image, username),

  platformLoad: async () => unwrap(await commands.platformLoad()),

  getSettings: async () => full(await commands.getSettings()),
  saveSettings: async (s) => full(unwrap(await commands.saveSettings(s))),

  downloadOffer: async (id) => unwrap(await commands.downloadOffer(id)),
  decideDownload: async (id, save) => unwrap(await commands.decideDownload(id, save)),
  downloadPromptReady: async (id, ready) => {
    unwrap(await commands.downloadPromptReady(id, ready));
  },
  onDownloadChanged: (listener) => events.downloadChanged.listen((e) => listener(e.payload)),
};
