// The seam between the UI and whatever runs it: the real app (tauri.ts) or tests (fake.ts).
// Components only ever talk to a `Platform`, never to Tauri directly.
import type {
  AppInfo,
  AuthInfo,
  BulkOutcome,
  CertInfo,
  CertState,
  CertView,
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
  SignInMode,
  SignInRecord,
  SignInStage,
  DevicePromptView,
  Identity,
  Offer,
  OfferState,
  SignOutReport,
} from "../bindings";

export type {
  AppInfo,
  AuthInfo,
  BulkOutcome,
  CertInfo,
  CertState,
  CertView,
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
  SignInMode,
  SignInRecord,
  SignInStage,
  DevicePromptView,
  Identity,
  Offer,
  OfferState,
  SignOutReport,
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
  /** The user clicked or typed in the main window (it is in use, even after being closed). */
  mainWindowUsed(): Promise<void>;
  credentialStatus(): Promise<CredentialStatus>;
  /** Rejects with an AppError (code "config") when the configured URL is unusable. */
  platformStatus(): Promise<PlatformStatus>;
  onCredentialStatus(listener: (status: CredentialStatus) => void): Promise<Unlisten>;

  /** How the user can sign in to the current platform, and how they are signed in now. */
  authInfo(): Promise<AuthInfo>;
  /**
   * Browser or device-code sign-in with the profile's OIDC provider. Progress arrives through
   * `onSignInProgress`; resolves when signed in, rejects with an AppError (code "cancelled"
   * after `cancelSignIn`).
   */
  signIn(mode: SignInMode): Promise<AuthInfo>;
  /** Stop a running browser or device sign-in; false when none was running. */
  cancelSignIn(): Promise<boolean>;
  onSignInProgress(listener: (stage: SignInStage) => void): Promise<Unlisten>;
  /** CADC-style sign-in; `remember` keeps the password in the keyring for certificate renewal. */
  signInPassword(username: string, password: string, remember: boolean): Promise<AuthInfo>;
  /** Revoke the tokens where possible and delete the profile's secrets from the keyring. */
  signOut(): Promise<AuthInfo>;

  /** The certificate as last read by the backend's watcher (null before the first reading). */
  certStatus(): Promise<CertView | null>;
  /** Renew with the remembered password, ~/.netrc or the signed-in token. */
  renewCertificateNow(): Promise<CertView>;
  /** Get a certificate with a username and password typed now. */
  obtainCertificate(username: string, password: string, remember: boolean): Promise<CertView>;
  /** Every change of the certificate file: renewals, a copy from outside, removal, the countdown. */
  onCertStatus(listener: (view: CertView) => void): Promise<Unlisten>;

  /** The backend asks the UI to show a view (the tray's "Sign in…" asks for Credentials). */
  onNavigate(listener: (view: string) => void): Promise<Unlisten>;
  /** Put text on the clipboard (a device code); rejects when the clipboard refuses. */
  copyText(text: string): Promise<void>;

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
  /** Open a Running session in its own Skyport window (a second call focuses it). */
  openSessionWindow(id: string): Promise<void>;
  /** Running sessions whose windows were open when Skyport last quit. */
  windowsToReopen(): Promise<Session[]>;

  launchOptions(): Promise<LaunchOptions>;
  /** One outcome per replica; `field` names the form field a rejection is about. */
  launchSession(form: LaunchForm): Promise<LaunchOutcome[]>;
  registrySecretSaved(image: string, username: string): Promise<boolean>;

  platformLoad(): Promise<PlatformLoad>;

  getSettings(): Promise<FullSettings>;
  saveSettings(settings: FullSettings): Promise<FullSettings>;

  /** The download a prompt window asks about (session pages' downloads). */
  downloadOffer(id: number): Promise<Offer>;
  /** Save it in the Downloads folder (now, or when it has arrived), or not. */
  decideDownload(id: number, save: boolean): Promise<Offer>;
  /** The prompt's buttons are armed (or no longer): Save is refused until they are. */
  downloadPromptReady(id: number, ready: boolean): Promise<void>;
  onDownloadChanged(listener: (offer: Offer) => void): Promise<Unlisten>;
}
