// A scriptable platform for UI tests and benchmarks: no Tauri, no network.
// It behaves like the backend over the simulated platform (same validation messages, quota,
// lifecycle) and records every call, so tests can assert what the UI asked for.
import type {
  AppInfo,
  AuthInfo,
  BulkOutcome,
  CertState,
  CertView,
  CredentialStatus,
  FullSettings,
  LaunchForm,
  LaunchOptions,
  LaunchOutcome,
  Offer,
  Platform,
  PlatformLoad,
  PlatformStatus,
  PruneRule,
  Session,
  SessionEvent,
  SessionNotice,
  SessionsSnapshot,
  SignInMode,
  SignOutReport,
  SignInRecord,
  SignInStage,
  Unlisten,
} from "./types";
import { AppError } from "./types";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");

let idCounter = 0;
/** A Skaha-like session id: 8 characters, a letter then `[a-z0-9]`. */
export function fakeId(seed = idCounter++): string {
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  let x = (seed + 1) * 2654435761;
  let id = letters[Math.abs(x) % 26];
  for (let i = 0; i < 7; i++) {
    x = (x * 1103515245 + 12345) % 2147483647;
    id += chars[Math.abs(x) % 36];
  }
  return id;
}

export function makeSession(over: Partial<Session> & { name: string }, now = Date.now()): Session {
  const kind = over.kind ?? "notebook";
  const start = now - 2 * HOUR;
  return {
    id: fakeId(),
    kind,
    status: "Running",
    image: "images.canfar.net/skaha/astroml:latest",
    userid: "alice",
    startTime: iso(start),
    expiryTime: iso(start + (kind === "headless" ? 14 : 4) * DAY),
    connectUrl: kind === "headless" ? null : `https://ws-uv.canfar.net/session/${kind}/x/lab`,
    requestedCores: 2,
    requestedRamGb: 8.59,
    requestedGpus: 0,
    coresInUse: 0.012,
    ramInUseGb: 0.54,
    fixedResources: true,
    appId: null,
    ...over,
  };
}

/** A realistic small list: what a user with a few sessions sees. */
export function demoSessions(now = Date.now()): Session[] {
  return [
    makeSession({ id: "k3x9q2ab", name: "notebook1", kind: "notebook" }, now),
    makeSession(
      {
        id: "d7m2p9zq",
        name: "desktop1",
        kind: "desktop",
        status: "Pending",
        image: "images.canfar.net/skaha/desktop:latest",
        startTime: null,
        expiryTime: null,
        requestedCores: null,
        requestedRamGb: null,
        coresInUse: null,
        ramInUseGb: null,
        fixedResources: false,
      },
      now,
    ),
    makeSession(
      {
        id: "c4rta001",
        name: "carta1",
        kind: "carta",
        image: "images.canfar.net/skaha/carta:5.0",
        startTime: iso(now - 3 * DAY - 20 * HOUR),
        expiryTime: iso(now + 4 * HOUR),
        requestedCores: 4,
        requestedRamGb: 16,
        coresInUse: 1.5,
        ramInUseGb: 9.2,
      },
      now,
    ),
    makeSession(
      {
        id: "h1job001",
        name: "fit-1",
        kind: "headless",
        status: "Completed",
        image: "images.canfar.net/skaha/terminal:1.1.2",
        coresInUse: null,
        ramInUseGb: null,
      },
      now,
    ),
    makeSession(
      {
        id: "h1job002",
        name: "fit-2",
        kind: "headless",
        status: "Failed",
        image: "images.canfar.net/skaha/terminal:1.1.2",
        coresInUse: null,
        ramInUseGb: null,
      },
      now,
    ),
  ];
}

/** Many headless replicas (`job-1..N`), as one large launch produces. */
export function manySessions(n: number, now = Date.now()): Session[] {
  const statuses = ["Running", "Pending", "Completed", "Running", "Failed"] as const;
  return Array.from({ length: n }, (_, i) =>
    makeSession(
      {
        id: fakeId(100_000 + i),
        name: `job-${i + 1}`,
        kind: "headless",
        status: statuses[i % statuses.length],
        image: "images.canfar.net/skaha/terminal:1.1.2",
        startTime: iso(now - (i % 300) * 60_000),
        expiryTime: iso(now + 14 * DAY - (i % 300) * 60_000),
        requestedCores: 1 + (i % 4),
        requestedRamGb: 4 * (1 + (i % 3)),
        coresInUse: (i % 7) / 10,
        ramInUseGb: (i % 5) / 2,
      },
      now,
    ),
  );
}

export const DEMO_IMAGES = [
  { id: "images.canfar.net/skaha/astroml:latest", kinds: ["notebook", "headless"], digest: null },
  { id: "images.canfar.net/skaha/astroml:24.07", kinds: ["notebook", "headless"], digest: null },
  { id: "images.canfar.net/skaha/base-notebook:latest", kinds: ["notebook"], digest: null },
  { id: "images.canfar.net/skaha/desktop:latest", kinds: ["desktop"], digest: null },
  { id: "images.canfar.net/skaha/carta:4.1", kinds: ["carta"], digest: null },
  { id: "images.canfar.net/skaha/carta:5.0", kinds: ["carta"], digest: null },
  { id: "images.canfar.net/skaha/firefly:2024.3", kinds: ["firefly"], digest: null },
  { id: "images.canfar.net/skaha/terminal:1.1.2", kinds: ["desktop-app", "headless"], digest: null },
  { id: "images.canfar.net/skaha/marimo:latest", kinds: ["contributed"], digest: null },
  { id: "images.canfar.net/lsst/lsst_v24:latest", kinds: ["notebook", "headless"], digest: null },
];

export const DEMO_CONTEXT = {
  cores: { default: 2, defaultRequest: 1, defaultLimit: 8, options: Array.from({ length: 16 }, (_, i) => i + 1) },
  memoryGb: {
    default: 8,
    defaultRequest: 4,
    defaultLimit: 32,
    options: [1, 2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 26, 28, 30, 32, 36, 40, 44, 48, 56, 64, 80, 92, 112, 128, 140, 170, 192],
  },
  gpus: { default: null, defaultRequest: null, defaultLimit: null, options: [1, 2, 4] },
  maxInteractiveSessions: 3,
};

/** The fake's certificate file. */
export const FAKE_CERT_PATH = "/fake/.ssl/cadcproxy.pem";

const countdownText = (notAfter: number, now: number): string => {
  const span = (ms: number) => {
    const d = Math.floor(ms / DAY);
    const h = Math.floor((ms % DAY) / HOUR);
    const m = Math.floor((ms % HOUR) / 60_000);
    if (d) return h ? `${d} d ${h} h` : `${d} d`;
    if (h) return m ? `${h} h ${m} min` : `${h} h`;
    return `${m} min`;
  };
  const left = notAfter - now;
  if (left > 0) return left < 60_000 ? "less than a minute left" : `${span(left)} left`;
  return -left < 60_000 ? "expired just now" : `expired ${span(-left)} ago`;
};

/**
 * A certificate as the backend's monitor reports it. `fine`: 9 days of 10 left; `expiring`:
 * 1 d 23 h of 10 days left; `expired`: ran out 2 h ago; `missing`: no file; `invalid`: a file
 * that cannot be used (with the backend's kind of message).
 */
export function makeCert(state: CertState, now = Date.now(), over: { notBefore?: number; notAfter?: number } = {}): CertView {
  if (state === "missing") return { path: FAKE_CERT_PATH, state, info: null, countdown: null, problem: null };
  if (state === "invalid") {
    return {
      path: FAKE_CERT_PATH,
      state,
      info: null,
      countdown: null,
      problem: `${FAKE_CERT_PATH} holds a certificate but no private key; obtain a new certificate`,
    };
  }
  const notAfter =
    over.notAfter ?? (state === "fine" ? now + 9 * DAY : state === "expiring" ? now + DAY + 23 * HOUR + 30 * 60_000 : now - 2 * HOUR - 60_000);
  const notBefore = over.notBefore ?? notAfter - 10 * DAY;
  return {
    path: FAKE_CERT_PATH,
    state,
    info: {
      subject: "CN=alice_3f9a,OU=cadc,O=hia,C=ca",
      issuer: "CN=Skyport Sim CA,O=skyport-sim",
      not_before: iso(notBefore),
      not_after: iso(notAfter),
      serial: "4a:0f:93:11",
      path: FAKE_CERT_PATH,
      chain_len: 1,
      key_matches: true,
      key_type: "RSA 2048",
    },
    countdown: countdownText(notAfter, now),
    problem: null,
  };
}

/** What a completed OIDC sign-in leaves behind (the demo user at the test provider). */
export function demoSignIn(now = Date.now()): SignInRecord {
  return {
    issuer: "https://login.example.org/realms/canfar",
    clientId: "skyport-desktop",
    identity: { subject: "7c1e0b52-alice", name: "Alice Astronomer", email: "alice@example.org", username: "alice" },
    accessExpiresAt: iso(now + 5 * 60_000),
    hasRefreshToken: true,
    signedInAt: iso(now - 2 * HOUR),
    refreshedAt: iso(now - 60_000),
  };
}

export const DEMO_PASSWORD = "skyport-demo";

/** The backend's defaults. */
export const DEFAULT_SETTINGS: FullSettings = {
  expiryWarningHours: 12,
  notifications: true,
  keepInTray: true,
  autoRenewCert: true,
  certRenewDaysBefore: null,
  reopenWindows: false,
};

export interface FakeOptions {
  credential?: CredentialStatus;
  platform?: PlatformStatus | AppError;
  /** The session list the backend holds. */
  sessions?: Session[];
  /** Extra snapshot fields (error, asOf, loading, skipped). */
  snapshot?: Partial<SessionsSnapshot>;
  launchOptions?: Partial<LaunchOptions>;
  settings?: FullSettings;
  load?: PlatformLoad;
  /** Registry secrets the keyring holds, as "host|username". */
  registrySecrets?: string[];
  /** Answer every call after this many milliseconds (for "in progress" tests). */
  delayMs?: number;
  /** What `authInfo` answers (merged over a profile "sim" with an OIDC issuer). */
  auth?: Partial<AuthInfo>;
  /** The certificate the monitor reports (default: missing). */
  cert?: CertView | null;
  /**
   * Browser/device sign-in waits after its first progress stages until the test calls
   * `finishSignIn()` or `failSignIn()` (or the UI cancels). Default: completes at once.
   */
  holdSignIn?: boolean;
}

type Method = keyof Platform;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

export class FakePlatform implements Platform {
  /** Names of the methods called, in order. */
  calls: string[] = [];
  /** Each call with its arguments. */
  log: { name: string; args: unknown[] }[] = [];

  credential: CredentialStatus;
  platform: PlatformStatus | AppError;
  snapshot: SessionsSnapshot;
  settings: FullSettings;
  registrySecrets: Set<string>;
  logs = new Map<string, string>();
  options: Partial<LaunchOptions>;
  load: PlatformLoad | undefined;
  delayMs: number;
  auth: AuthInfo;
  cert: CertView | null;
  holdSignIn: boolean;
  /** What `copyText` put on the clipboard. */
  clipboard: string[] = [];

  private pendingSignIn: { resolve: (a: AuthInfo) => void; reject: (e: AppError) => void } | null = null;
  private failures = new Map<string, AppError[]>();
  private overrides = new Map<string, AnyFn>();
  private credentialListeners = new Set<(s: CredentialStatus) => void>();
  private sessionListeners = new Set<(s: SessionsSnapshot) => void>();
  private noticeListeners = new Set<(n: SessionNotice) => void>();
  private progressListeners = new Set<(s: SignInStage) => void>();
  private certListeners = new Set<(c: CertView) => void>();
  private navigateListeners = new Set<(view: string) => void>();
  private downloadListeners = new Set<(offer: Offer) => void>();
  /** Downloads waiting in prompts, by id (the backend's book). */
  downloads = new Map<number, Offer>();

  constructor(opts: FakeOptions = {}) {
    this.credential = opts.credential ?? {
      state: "signed_out",
      headline: "Not signed in",
      advice: "Open Credentials to sign in or paste a token.",
      expiresAt: null,
    };
    this.platform = opts.platform ?? { serviceUrl: null, source: "No platform configured yet" };
    this.snapshot = {
      sessions: opts.sessions ?? [],
      asOf: opts.sessions ? iso(Date.now()) : null,
      error: null,
      skipped: 0,
      loading: false,
      ...opts.snapshot,
    };
    this.settings = opts.settings ?? DEFAULT_SETTINGS;
    this.registrySecrets = new Set(opts.registrySecrets ?? []);
    this.options = opts.launchOptions ?? {};
    this.load = opts.load;
    this.delayMs = opts.delayMs ?? 0;
    const configured = this.platform instanceof AppError ? false : !!this.platform.serviceUrl;
    this.auth = {
      profile: configured ? "sim" : null,
      oidcIssuer: configured ? "https://login.example.org/realms/canfar" : null,
      passwordLoginUrl: configured ? "https://ws-cadc.canfar.net/ac/login" : null,
      username: null,
      signIn: null,
      credential: this.credential,
      storage: "the Secret Service keyring (e.g. GNOME Keyring)",
      passwordRemembered: false,
      signOut: null,
      ...opts.auth,
    };
    this.cert = opts.cert === undefined ? makeCert("missing") : opts.cert;
    this.holdSignIn = opts.holdSignIn ?? false;
  }

  /** A signed-in fake pointed at a platform, holding the demo sessions. */
  static signedIn(opts: FakeOptions = {}): FakePlatform {
    return new FakePlatform({
      platform: { serviceUrl: "https://ws-uv.canfar.net/skaha", source: "From the SKYPORT_URL environment variable" },
      credential: { state: "signed_in", headline: "Signed in with a saved token", advice: null, expiresAt: null },
      sessions: demoSessions(),
      ...opts,
    });
  }

  // ---- scripting -------------------------------------------------------------------------

  /** The next call of `method` rejects with this error (queue several for several calls). */
  fail(method: Method, error: AppError): this {
    const q = this.failures.get(method) ?? [];
    q.push(error);
    this.failures.set(method, q);
    return this;
  }

  /** Replace a method's behaviour (the call is still recorded). */
  override<M extends Method>(method: M, fn: Platform[M]): this {
    this.overrides.set(method, fn as AnyFn);
    return this;
  }

  argsOf(method: Method): unknown[][] {
    return this.log.filter((c) => c.name === method).map((c) => c.args);
  }

  private async call<T>(name: Method, args: unknown[], run: () => T | Promise<T>): Promise<T> {
    this.calls.push(name);
    this.log.push({ name, args });
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const q = this.failures.get(name);
    if (q?.length) throw q.shift();
    const o = this.overrides.get(name);
    if (o) return o(...args);
    return run();
  }

  // ---- events ----------------------------------------------------------------------------

  /** Push a credential change as the backend would. */
  emitCredential(status: CredentialStatus): void {
    this.credential = status;
    for (const l of this.credentialListeners) l(status);
  }

  /** Push a session list (or a failed refresh) as the backend's poller would. */
  emitSessions(update: Partial<SessionsSnapshot> = {}): void {
    this.snapshot = { ...this.snapshot, loading: false, ...update };
    for (const l of this.sessionListeners) l(this.snapshot);
  }

  emitNotice(notice: SessionNotice): void {
    for (const l of this.noticeListeners) l(notice);
  }

  /** Push a sign-in progress stage as the backend would. */
  emitSignInProgress(stage: SignInStage): void {
    for (const l of this.progressListeners) l(stage);
  }

  /** Push a certificate reading as the backend's watcher would (a renewal, a copied file). */
  emitCert(view: CertView): void {
    this.cert = view;
    for (const l of this.certListeners) l(view);
  }

  /** The backend asks for a view (the tray's "Sign in…"). */
  emitNavigate(view: string): void {
    for (const l of this.navigateListeners) l(view);
  }

  /** Complete a held browser/device sign-in as `alice`. */
  finishSignIn(record: SignInRecord = demoSignIn()): void {
    const pending = this.pendingSignIn;
    if (!pending) throw new Error("no sign-in is waiting");
    this.pendingSignIn = null;
    pending.resolve(this.completeSignIn(record));
  }

  /** Fail a held sign-in with the backend's error (also emitted as the `failed` stage). */
  failSignIn(error: AppError): void {
    const pending = this.pendingSignIn;
    if (!pending) throw new Error("no sign-in is waiting");
    this.pendingSignIn = null;
    this.emitSignInProgress({ stage: "failed", error: { code: error.code, message: error.message } });
    pending.reject(error);
  }

  get signInWaiting(): boolean {
    return this.pendingSignIn !== null;
  }

  private completeSignIn(record: SignInRecord): AuthInfo {
    this.auth = { ...this.auth, signIn: record };
    this.emitSignInProgress({ stage: "done" });
    this.emitCredential({ state: "signed_in", headline: "Signed in with your sign-in", advice: null, expiresAt: null });
    return this.authSnapshot();
  }

  private authSnapshot(): AuthInfo {
    return { ...this.auth, credential: this.credential };
  }

  get listening(): { credential: number; sessions: number; notices: number; progress: number; cert: number; navigate: number } {
    return {
      credential: this.credentialListeners.size,
      sessions: this.sessionListeners.size,
      notices: this.noticeListeners.size,
      progress: this.progressListeners.size,
      cert: this.certListeners.size,
      navigate: this.navigateListeners.size,
    };
  }

  // ---- Platform --------------------------------------------------------------------------

  mainWindowUsed(): Promise<void> {
    return this.call("mainWindowUsed", [], () => undefined);
  }

  appInfo(): Promise<AppInfo> {
    return this.call("appInfo", [], () => ({
      version: "0.0.0-test",
      configDir: "/fake/config",
      dataDir: "/fake/data",
      logDir: "/fake/state/logs",
      certFile: "/fake/.ssl/cadcproxy.pem",
      downloadsDir: "/fake/Downloads",
    }));
  }

  credentialStatus(): Promise<CredentialStatus> {
    return this.call("credentialStatus", [], () => this.credential);
  }

  platformStatus(): Promise<PlatformStatus> {
    return this.call("platformStatus", [], () => {
      if (this.platform instanceof AppError) throw this.platform;
      return this.platform;
    });
  }

  async onCredentialStatus(listener: (s: CredentialStatus) => void): Promise<Unlisten> {
    this.credentialListeners.add(listener);
    return () => this.credentialListeners.delete(listener);
  }

  async onSessionsUpdated(listener: (s: SessionsSnapshot) => void): Promise<Unlisten> {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }

  async onSessionNotified(listener: (n: SessionNotice) => void): Promise<Unlisten> {
    this.noticeListeners.add(listener);
    return () => this.noticeListeners.delete(listener);
  }

  async onSignInProgress(listener: (s: SignInStage) => void): Promise<Unlisten> {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  async onCertStatus(listener: (c: CertView) => void): Promise<Unlisten> {
    this.certListeners.add(listener);
    return () => this.certListeners.delete(listener);
  }

  async onNavigate(listener: (view: string) => void): Promise<Unlisten> {
    this.navigateListeners.add(listener);
    return () => this.navigateListeners.delete(listener);
  }

  authInfo(): Promise<AuthInfo> {
    return this.call("authInfo", [], () => this.authSnapshot());
  }

  signIn(mode: SignInMode): Promise<AuthInfo> {
    return this.call("signIn", [mode], () => {
      if (!this.auth.oidcIssuer) {
        throw new AppError("config", "The profile sim has no OpenID Connect provider; sign in with your password instead.");
      }
      this.emitSignInProgress({ stage: "openingBrowser" });
      if (mode === "browser") {
        this.emitSignInProgress({
          stage: "waitingForBrowser",
          url: `${this.auth.oidcIssuer}/protocol/openid-connect/auth?client_id=skyport-desktop&state=s1&code_challenge=c1`,
        });
      } else {
        this.emitSignInProgress({
          stage: "deviceCode",
          prompt: {
            userCode: "WDJB-MJHT",
            verificationUri: `${this.auth.oidcIssuer}/device`,
            verificationUriComplete: `${this.auth.oidcIssuer}/device?user_code=WDJB-MJHT`,
            expiresInSecs: 600,
          },
        });
      }
      if (!this.holdSignIn) return this.completeSignIn(demoSignIn());
      return new Promise<AuthInfo>((resolve, reject) => {
        this.pendingSignIn = { resolve, reject };
      });
    });
  }

  cancelSignIn(): Promise<boolean> {
    return this.call("cancelSignIn", [], () => {
      const pending = this.pendingSignIn;
      if (!pending) return false;
      this.pendingSignIn = null;
      const err = new AppError("cancelled", "sign-in was cancelled");
      this.emitSignInProgress({ stage: "failed", error: { code: err.code, message: err.message } });
      pending.reject(err);
      return true;
    });
  }

  private checkPassword(username: string, password: string): void {
    if (username.trim() !== "alice" || password !== DEMO_PASSWORD) {
      throw new AppError(
        "permission_denied",
        `wrong username or password for ${this.auth.passwordLoginUrl ?? "the login service"}; check them and try again`,
      );
    }
  }

  signInPassword(username: string, password: string, remember: boolean): Promise<AuthInfo> {
    return this.call("signInPassword", [username, "<redacted>", remember], () => {
      this.checkPassword(username, password);
      this.auth = { ...this.auth, username: username.trim(), passwordRemembered: remember };
      this.emitCredential({ state: "signed_in", headline: "Signed in with a saved token", advice: "Kept in the test keyring.", expiresAt: null });
      return this.authSnapshot();
    });
  }

  /** What the provider does at the next sign-out (default: revokes both tokens). */
  signOutReport: SignOutReport = { revoked: ["refresh token", "access token"], revocationNote: null };

  signOut(): Promise<AuthInfo> {
    return this.call("signOut", [], () => {
      this.auth = { ...this.auth, signIn: null, passwordRemembered: false };
      this.emitCredential({
        state: "signed_out",
        headline: "Not signed in",
        advice: "Open Credentials to sign in or paste a token.",
        expiresAt: null,
      });
      return { ...this.authSnapshot(), signOut: this.signOutReport };
    });
  }

  certStatus(): Promise<CertView | null> {
    return this.call("certStatus", [], () => this.cert);
  }

  private freshCert(): CertView {
    const now = Date.now();
    const view = makeCert("fine", now, { notBefore: now, notAfter: now + 10 * DAY });
    this.emitCert(view);
    return view;
  }

  renewCertificateNow(): Promise<CertView> {
    return this.call("renewCertificateNow", [], () => {
      const signedIn = this.credential.state === "signed_in" || this.credential.state === "expiring";
      if (!this.auth.passwordRemembered && !this.auth.signIn && !signedIn) {
        throw new AppError(
          "sign_in_needed",
          "there is nothing to renew the certificate of sim with: remember your password (sign in with your password and keep it), add a ~/.netrc entry for ws-cadc.canfar.net, or sign in",
        );
      }
      return this.freshCert();
    });
  }

  obtainCertificate(username: string, password: string, remember: boolean): Promise<CertView> {
    return this.call("obtainCertificate", [username, "<redacted>", remember], () => {
      this.checkPassword(username, password);
      if (remember) this.auth = { ...this.auth, passwordRemembered: true };
      this.auth = { ...this.auth, username: username.trim() };
      return this.freshCert();
    });
  }

  copyText(text: string): Promise<void> {
    return this.call("copyText", [text], () => {
      this.clipboard.push(text);
    });
  }

  saveToken(token: string): Promise<CredentialStatus> {
    return this.call("saveToken", ["<redacted>"], () => {
      const t = token.trim();
      if (!t || /\s/.test(t)) throw new AppError("validation", "Paste the token alone, without spaces or line breaks.");
      this.emitCredential({
        state: "signed_in",
        headline: "Signed in with a saved token",
        advice: "Kept in the test keyring.",
        expiresAt: null,
      });
      return this.credential;
    });
  }

  forgetToken(): Promise<CredentialStatus> {
    return this.call("forgetToken", [], () => {
      this.emitCredential({
        state: "signed_out",
        headline: "Not signed in",
        advice: "Open Credentials to sign in or paste a token.",
        expiresAt: null,
      });
      return this.credential;
    });
  }

  sessionsSnapshot(): Promise<SessionsSnapshot> {
    return this.call("sessionsSnapshot", [], () => this.snapshot);
  }

  refreshSessions(): Promise<SessionsSnapshot> {
    return this.call("refreshSessions", [], () => {
      if (!this.snapshot.error) this.emitSessions({ asOf: iso(Date.now()) });
      else this.emitSessions();
      return this.snapshot;
    });
  }

  private find(id: string): Session {
    const s = this.snapshot.sessions.find((x) => x.id === id);
    if (!s) throw new AppError("not_found", `Session ${id} was not found; it may have ended. Refresh the list.`);
    return s;
  }

  private replace(s: Session): void {
    this.snapshot = { ...this.snapshot, sessions: this.snapshot.sessions.map((x) => (x.id === s.id ? s : x)) };
  }

  sessionDetails(id: string): Promise<Session> {
    return this.call("sessionDetails", [id], () => this.find(id));
  }

  sessionLogs(id: string): Promise<string> {
    return this.call("sessionLogs", [id], () => {
      const s = this.find(id);
      return (
        this.logs.get(id) ??
        `[I 2026-07-13 22:57:12.001 ServerApp] Jupyter Server is running at:\n[I 2026-07-13 22:57:12.002 ServerApp] http://${s.id}:8888/lab\n`
      );
    });
  }

  sessionEvents(id: string): Promise<SessionEvent[]> {
    return this.call("sessionEvents", [id], () => {
      this.find(id);
      return [
        { kind: "Normal", reason: "Scheduled", message: `Successfully assigned skaha-workload/${id} to node-7`, firstTime: "2026-07-13T22:57:02Z", lastTime: "2026-07-13T22:57:02Z" },
        { kind: "Normal", reason: "Pulling", message: 'Pulling image "images.canfar.net/skaha/astroml:latest"', firstTime: "2026-07-13T22:57:03Z", lastTime: "2026-07-13T22:57:03Z" },
        { kind: "Warning", reason: "BackOff", message: "Back-off pulling image", firstTime: null, lastTime: null },
      ];
    });
  }

  renewSession(id: string): Promise<Session> {
    return this.call("renewSession", [id], () => {
      const s = this.find(id);
      if (s.status !== "Running" && s.status !== "Pending") {
        throw new AppError("validation", `No active job for user alice with session ${id}`);
      }
      const renewed = { ...s, expiryTime: iso(Date.now() + 4 * DAY) };
      this.replace(renewed);
      return renewed;
    });
  }

  deleteSessions(ids: string[]): Promise<BulkOutcome[]> {
    return this.call("deleteSessions", [ids], () => {
      const out = ids.map((id) => ({ id, error: null }));
      this.snapshot = {
        ...this.snapshot,
        sessions: this.snapshot.sessions.map((s) => (ids.includes(s.id) ? { ...s, status: "Terminating" } : s)),
      };
      this.emitSessions({ asOf: iso(Date.now()) });
      return out;
    });
  }

  prunePreview(rule: PruneRule): Promise<Session[]> {
    return this.call("prunePreview", [rule], () => {
      let re: RegExp | null = null;
      if (rule.regex) {
        try {
          re = new RegExp(rule.pattern);
        } catch (e) {
          throw new AppError("validation", `the pattern is not a valid regular expression: ${(e as Error).message}`);
        }
      }
      if (!rule.pattern && !rule.kind && !rule.status) {
        throw new AppError("validation", "give a name prefix, a kind or a status; pruning everything is not allowed");
      }
      return this.snapshot.sessions.filter(
        (s) =>
          (re ? re.test(s.name) : s.name.startsWith(rule.pattern.toLowerCase())) &&
          (!rule.kind || s.kind === rule.kind) &&
          (!rule.status || JSON.stringify(s.status) === JSON.stringify(rule.status)),
      );
    });
  }

  openSessionInBrowser(id: string): Promise<void> {
    return this.call("openSessionInBrowser", [id], () => {
      const s = this.find(id);
      if (s.status !== "Running") {
        throw new AppError("validation", `The session is ${String(s.status)}; it can be opened once it is Running.`);
      }
    });
  }

  openSessionWindow(id: string): Promise<void> {
    return this.call("openSessionWindow", [id], () => {
      const s = this.find(id);
      if (s.status !== "Running") {
        throw new AppError("validation", `The session is ${String(s.status)}; it can be opened once it is Running.`);
      }
    });
  }

  windowsToReopen(): Promise<Session[]> {
    return this.call("windowsToReopen", [], () => this.snapshot.sessions.filter((s) => this.reopen.includes(s.id)));
  }

  /** Test helper: session windows remembered from the last run. */
  reopen: string[] = [];

  private quota() {
    const used = this.snapshot.sessions.filter(
      (s) => s.kind !== "headless" && s.kind !== "desktop-app" && (s.status === "Running" || s.status === "Pending"),
    ).length;
    return { used, max: (this.options.context ?? DEMO_CONTEXT).maxInteractiveSessions ?? 3 };
  }

  launchOptions(): Promise<LaunchOptions> {
    return this.call("launchOptions", [], () => ({
      images: DEMO_IMAGES,
      context: DEMO_CONTEXT,
      repositories: ["images.canfar.net"],
      quota: this.quota(),
      existingNames: this.snapshot.sessions.map((s) => s.name),
      ...this.options,
    }));
  }

  launchSession(form: LaunchForm): Promise<LaunchOutcome[]> {
    return this.call("launchSession", [{ ...form, registry: form.registry ? { ...form.registry, secret: form.registry.secret ? "<redacted>" : null } : null }], () => {
      const replicas = form.kind === "headless" ? Math.max(1, form.replicas) : 1;
      const out: LaunchOutcome[] = [];
      for (let i = 1; i <= replicas; i++) {
        const name = replicas > 1 ? `${form.name}-${i}` : form.name;
        if (!/^[A-Za-z0-9-]+$/.test(name)) {
          out.push({ name, id: null, field: "name", error: { code: "validation", message: "name can only contain alpha-numeric chars and '-'" } });
          continue;
        }
        const q = this.quota();
        if (form.kind !== "headless" && q.max !== null && q.used >= q.max) {
          out.push({ name, id: null, field: "kind", error: { code: "quota_reached", message: `User alice has reached the maximum of ${q.max} active sessions.` } });
          continue;
        }
        const s = makeSession({
          name: name.toLowerCase(),
          kind: form.kind,
          status: "Pending",
          image: form.image,
          startTime: null,
          expiryTime: null,
          coresInUse: null,
          ramInUseGb: null,
          requestedCores: form.resources.mode === "fixed" ? form.resources.cores : null,
          requestedRamGb: form.resources.mode === "fixed" ? form.resources.ram_gb : null,
          fixedResources: form.resources.mode === "fixed",
        });
        this.snapshot = { ...this.snapshot, sessions: [...this.snapshot.sessions, s] };
        out.push({ name, id: s.id, error: null, field: null });
      }
      // The backend pokes its poller after a launch; the list follows.
      this.emitSessions({ asOf: iso(Date.now()) });
      return out;
    });
  }

  registrySecretSaved(image: string, username: string): Promise<boolean> {
    return this.call("registrySecretSaved", [image, username], () => {
      const host = image.split("/")[0];
      return this.registrySecrets.has(`${host}|${username.trim()}`);
    });
  }

  platformLoad(): Promise<PlatformLoad> {
    return this.call("platformLoad", [], () => ({
      stats: {
        coresRequested: 377.5,
        coresAvailable: 960,
        ramRequestedGb: 1234.5,
        ramAvailableGb: 4096,
        maxCoresPerSession: 8,
        maxRamGbPerSession: 32,
      },
      quota: this.quota(),
      asOf: iso(Date.now()),
      ...this.load,
    }));
  }

  getSettings(): Promise<FullSettings> {
    return this.call("getSettings", [], () => ({ ...this.settings }));
  }

  saveSettings(settings: FullSettings): Promise<FullSettings> {
    return this.call("saveSettings", [settings], () => {
      if (!(settings.expiryWarningHours >= 1 && settings.expiryWarningHours <= 336)) {
        throw new AppError("validation", "Warn between 1 and 336 hours (14 days) before expiry.");
      }
      this.settings = { ...settings };
      return { ...settings };
    });
  }

  // ---- downloads -------------------------------------------------------------------------

  /** A page started downloading `fileName`; answers its id. */
  addDownload(fileName: string, over: Partial<Offer> = {}): number {
    const id = this.downloads.size + 1;
    this.downloads.set(id, {
      id,
      fileName,
      source: "nbwin — notebook",
      bytes: 0,
      folder: "/home/alice/Downloads",
      decision: "undecided",
      state: "downloading",
      ...over,
    } as Offer);
    return id;
  }

  /** The transfer of download `id` ended with `bytes` (or failed); as the backend settles. */
  finishDownload(id: number, bytes: number, ok = true): void {
    const o = this.downloads.get(id);
    if (!o) throw new Error(`no download ${id}`);
    let next: Offer;
    if (!ok) next = { ...o, bytes, state: "failed", canRetry: false, message: `The session stopped sending ${o.fileName} before it was complete. Try the download again from the session page.` } as Offer;
    else if (o.decision === "save") next = { ...o, bytes, state: "saved", savedAs: o.fileName } as Offer;
    else next = { ...o, bytes, state: "ready" } as Offer;
    this.downloads.set(id, next);
    for (const l of this.downloadListeners) l(next);
  }

  downloadOffer(id: number): Promise<Offer> {
    return this.call("downloadOffer", [id], () => {
      const o = this.downloads.get(id);
      if (!o) throw new AppError("not_found", "That download is no longer known; start it again from the session page.");
      return { ...o };
    });
  }

  downloadPromptReady(id: number, ready: boolean): Promise<void> {
    return this.call("downloadPromptReady", [id, ready], () => undefined);
  }

  decideDownload(id: number, save: boolean): Promise<Offer> {
    return this.call("decideDownload", [id, save], () => {
      const o = this.downloads.get(id);
      if (!o) throw new AppError("not_found", "That download is no longer known; start it again from the session page.");
      let next: Offer;
      if (!save) next = { ...o, decision: "discard", state: "discarded" } as Offer;
      else if (o.state === "ready") next = { ...o, decision: "save", state: "saved", savedAs: o.fileName } as Offer;
      else next = { ...o, decision: "save" } as Offer;
      this.downloads.set(id, next);
      return { ...next };
    });
  }

  async onDownloadChanged(listener: (offer: Offer) => void): Promise<Unlisten> {
    this.downloadListeners.add(listener);
    return () => this.downloadListeners.delete(listener);
  }
}
