// The seam between the UI and whatever runs it: the real app (tauri.ts) or tests (fake.ts).
// Components only ever talk to a `Platform`, never to Tauri directly.
import type { AppInfo, CredentialStatus, ErrorCode, PlatformStatus } from "../bindings";

export type { AppInfo, CredentialStatus, ErrorCode, PlatformStatus };

/** An error from the backend, as `{code, message}` (codes are generated from Rust). */
export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "AppError";
    this.code = code;
  }
}

export type Unlisten = () => void;

export interface Platform {
  appInfo(): Promise<AppInfo>;
  credentialStatus(): Promise<CredentialStatus>;
  /** Rejects with an AppError (code "config") when the configured URL is unusable. */
  platformStatus(): Promise<PlatformStatus>;
  onCredentialStatus(listener: (status: CredentialStatus) => void): Promise<Unlisten>;
}
