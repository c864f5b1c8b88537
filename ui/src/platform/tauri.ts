// The real platform: generated bindings over Tauri IPC. Nothing here names a command by string.
import { commands, events } from "../bindings";
import type { FullSettings, Platform } from "./types";
import { AppError } from "./types";

type Result<T, E> = { status: "ok"; data: T } | { status: "error"; error: E };

/** Turn a Result-shaped answer into its data, or throw the backend's `{code, message}` as an AppError. */
export function unwrap<T>(r: Result<T, { code: AppError["code"]; message: string }>): T {
  if (r.status === "ok") return r.data;
  throw new AppError(r.error.code, r.error.message);
}

function full(s: { expiryWarningHours?: number; notifications?: boolean }): FullSettings {
  return { expiryWarningHours: s.expiryWarningHours ?? 12, notifications: s.notifications ?? true };
}

export const tauriPlatform: Platform = {
  appInfo: () => commands.appInfo(),
  credentialStatus: () => commands.credentialStatus(),
  platformStatus: async () => unwrap(await commands.platformStatus()),
  onCredentialStatus: (listener) => events.credentialStatusChanged.listen((e) => listener(e.payload)),

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

  launchOptions: async () => unwrap(await commands.launchOptions()),
  launchSession: async (form) => unwrap(await commands.launchSession(form)),
  registrySecretSaved: (image, username) => commands.registrySecretSaved(image, username),

  platformLoad: async () => unwrap(await commands.platformLoad()),

  getSettings: async () => full(await commands.getSettings()),
  saveSettings: async (s) => full(unwrap(await commands.saveSettings(s))),
};
