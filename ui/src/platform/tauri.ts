// The real platform: generated bindings over Tauri IPC. Nothing here names a command by string.
import { commands, events } from "../bindings";
import type { CredentialStatus, Platform, Unlisten } from "./types";
import { AppError } from "./types";

type Result<T, E> = { status: "ok"; data: T } | { status: "error"; error: E };

function unwrap<T>(r: Result<T, { code: AppError["code"]; message: string }>): T {
  if (r.status === "ok") return r.data;
  throw new AppError(r.error.code, r.error.message);
}

export const tauriPlatform: Platform = {
  appInfo: () => commands.appInfo(),
  credentialStatus: () => commands.credentialStatus(),
  platformStatus: async () => unwrap(await commands.platformStatus()),
  async onCredentialStatus(listener: (s: CredentialStatus) => void): Promise<Unlisten> {
    return events.credentialStatusChanged.listen((e) => listener(e.payload));
  },
};
