// The seam between the UI and whatever runs it: the real app (tauri.ts) or tests (fake.ts).
// Components only ever talk to a `Platform`, never to Tauri directly.
import type {
  AppInfo,
  BulkOutcome,
  Context,
  CredentialStatus,
  EnvVar,
  ErrorCode,
  ErrorPayload,
  Image,
  LaunchForm,
  LaunchOptions,
  LaunchOutcome,
  PlatformLoad,
  PlatformStats,
  PlatformStatus,
  PruneRule,
  Quota,
  RegistryForm,
  ResourceOptions,
  Resources,
  Session,
  SessionEvent,
  SessionKind,
  SessionNotice,
  SessionStatus,
  SessionsSnapshot,
  Settings,
} from "../bindings";

export type {
  AppInfo,
  BulkOutcome,
  Context,
  CredentialStatus,
  EnvVar,
  ErrorCode,
  ErrorPayload,
  Image,
  LaunchForm,
  LaunchOptions,
  LaunchOutcome,
  PlatformLoad,
  PlatformStats,
  PlatformStatus,
  PruneRule,
  Quota,
  RegistryForm,
  ResourceOptions,
  Resources,
  Session,
  SessionEvent,
  SessionKind,
  SessionNotice,
  SessionStatus,
  SessionsSnapshot,
  Settings,
};

/** Settings with every field present (what `get_settings` answers). */
export type FullSettings = Required<Settings>;

/** An error from the backend, as `{code, message}` (codes are generated from Rust). */
export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "AppError";
    this.code = code;
  }
}

/** The message to show for anything thrown (backend messages already say what to do next). */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === "object" && "message" in e) return String((e as { message: unknown }).message);
  return String(e);
}

export type Unlisten = () => void;

export interface Platform {
  appInfo(): Promise<AppInfo>;
  credentialStatus(): Promise<CredentialStatus>;
  /** Rejects with an AppError (code "config") when the configured URL is unusable. */
  platformStatus(): Promise<PlatformStatus>;
  onCredentialStatus(listener: (status: CredentialStatus) => void): Promise<Unlisten>;

  /** Keep a pasted bearer token in the OS keyring; answers the new credential state. */
  saveToken(token: string): Promise<CredentialStatus>;
  forgetToken(): Promise<CredentialStatus>;

  /** The list as last fetched by the backend's poller. */
  sessionsSnapshot(): Promise<SessionsSnapshot>;
  /** Fetch the list now. */
  refreshSessions(): Promise<SessionsSnapshot>;
  onSessionsUpdated(listener: (snapshot: SessionsSnapshot) => void): Promise<Unlisten>;
  onSessionNotified(listener: (notice: SessionNotice) => void): Promise<Unlisten>;

  sessionDetails(id: string): Promise<Session>;
  sessionLogs(id: string): Promise<string>;
  sessionEvents(id: string): Promise<SessionEvent[]>;
  /** Renew; answers the session with its new expiry. */
  renewSession(id: string): Promise<Session>;
  /** One outcome per id; the call itself only rejects when nothing could be tried. */
  deleteSessions(ids: string[]): Promise<BulkOutcome[]>;
  prunePreview(rule: PruneRule): Promise<Session[]>;
  openSessionInBrowser(id: string): Promise<void>;

  launchOptions(): Promise<LaunchOptions>;
  /** One outcome per replica; `field` names the form field a rejection is about. */
  launchSession(form: LaunchForm): Promise<LaunchOutcome[]>;
  registrySecretSaved(image: string, username: string): Promise<boolean>;

  platformLoad(): Promise<PlatformLoad>;

  getSettings(): Promise<FullSettings>;
  saveSettings(settings: FullSettings): Promise<FullSettings>;
}
