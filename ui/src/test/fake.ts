// A scriptable platform for UI tests and benchmarks: no Tauri, no network, no rules.
//
// It holds data (the session list, the certificate reading, the settings, …) and answers
// each command from it; it decides nothing the backend decides. Where a test needs a
// decision (a refusal, a quota, what a prune rule selects), the test scripts it with
// `fail`, `override` or the data it passes in. Every call is recorded, so tests can assert
// what the UI asked for.
import { DEFAULT_SETTINGS } from "../bindings";
import type {
  PageTimes,
  AddedPlatform,
  ImportPreview,
  ImportReport,
  ConnectionCheck,
  NewServiceCredential,
  ProbeReport,
  ServiceCredential,
  ProfileSummary,
  Removed,
  AppInfo,
  AuthInfo,
  Choices,
  BulkOutcome,
  CertView,
  CredentialStatus,
  EventName,
  EventPayload,
  LaunchForm,
  LaunchMemoryView,
  LaunchOptions,
  LaunchSpec,
  Preset,
  PresetEntry,
  RecentLaunch,
  Fit,
  SessionUsage,
  KeepAlive,
  Expiry,
  LaunchOutcome,
  Offer,
  Platform,
  PlatformChoice,
  PlatformLoad,
  PlatformStatus,
  PruneRule,
  Quota,
  Session,
  SessionEvent,
  Why,
  SessionNotice,
  SessionsSnapshot,
  Settings,
  SignInMode,
  SignInRecord,
  SignInStage,
  SignOutReport,
  Unlisten,
  LinkRequest,
  Missed,
  Crumb,
  Entry,
  FileDrop,
  Folder,
  TransferView,
} from "../platform/types";
import { AppError } from "../platform/types";
import {
  DEMO_CONTEXT,
  DEMO_IMAGES,
  DEMO_QUOTA,
  SIGNED_IN_TOKEN,
  SIGNED_OUT,
  demoAuth,
  demoLoad,
  demoSessions,
  demoSignIn,
  makeCert,
  makeSession,
} from "./fixtures";

export * from "./fixtures";
export { DEFAULT_SETTINGS };

const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
const DAY = 86_400_000;

export interface FakeOptions {
  credential?: CredentialStatus;
  platform?: PlatformStatus | AppError;
  /** The session list the backend holds. */
  sessions?: Session[];
  /** Extra snapshot fields (error, asOf, loading, skipped). */
  snapshot?: Partial<SessionsSnapshot>;
  /** What `launchOptions` answers, over the demo catalogue, context and quota. */
  launchOptions?: Partial<LaunchOptions>;
  settings?: Settings;
  /** What `platformLoad` answers, over the demo load. */
  load?: Partial<PlatformLoad>;
  /** The interactive-session quota the backend counts (default: none used, of the demo
   * context's limit). */
  quota?: Quota;
  /** The registry secrets the keyring holds, as "image|username". */
  registrySecrets?: string[];
  /** What the registries list (default: none, no problem). */
  choices?: Choices;
  /** The saved platforms (default: none). */
  profiles?: ProfileSummary[];
  /** What the canfar client's settings hold (default: no such file). */
  canfarImport?: ImportPreview | null;
  /** The catalogue kept from an earlier visit (default: none). */
  cachedOptions?: Partial<LaunchOptions>;
  /** The presets and recent launches the shared files hold (default: none), with the size
   * each would fit in (default: none said). */
  memory?: { presets?: (Preset & { fit?: Fit | null })[]; recent?: (RecentLaunch & { fit?: Fit | null })[] };
  /** What the poller noted each session used, by id (default: nothing). */
  usage?: Record<string, SessionUsage>;
  /** The keep-alive rules (default: none). */
  keepAlive?: KeepAlive[];
  /** What `expiryTimeline` answers (default: nothing runs out). */
  timeline?: Expiry[];
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

type Method = Exclude<keyof Platform, "listen">;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

/** What the backend remembers of a launch form: no secret, the registry user only. */
function specOf(form: LaunchForm): LaunchSpec {
  return {
    kind: form.kind,
    image: form.image,
    sessionName: form.name,
    resources: form.resources,
    cmd: form.cmd,
    args: form.args,
    env: form.env,
    replicas: form.replicas,
    registryUser: form.registry?.username ?? null,
    keepAliveDays: form.keepAliveDays ?? null,
  };
}

/** A storage folder as the backend shows it (crumbs and session paths as core makes them). */
export function makeFolder(path: string, entries: Partial<Entry>[] = [], over: Partial<Folder> = {}): Folder {
  const parts = path.split("/").filter(Boolean);
  const crumbs: Crumb[] = [{ name: "arc", path: "/" }];
  parts.forEach((p, i) => crumbs.push({ name: p, path: "/" + parts.slice(0, i + 1).join("/") }));
  return {
    path,
    name: parts[parts.length - 1] ?? "/arc",
    crumbs,
    sessionPath: `/arc${path}`,
    entries: entries.map((e) => storageEntry(path, e)),
    usage: null,
    writable: true,
    ...over,
  };
}

function storageEntry(folder: string, e: Partial<Entry>): Entry {
  const name = e.name ?? "file.txt";
  const path = `${folder === "/" ? "" : folder}/${name}`;
  return {
    name,
    path,
    kind: "file",
    size: null,
    sizeWords: null,
    modified: null,
    sessionPath: `/arc${path}`,
    hidden: name.startsWith("."),
    ...e,
  };
}

export class FakePlatform implements Platform {
  /** Names of the methods called, in order. */
  calls: string[] = [];
  /** Each call with its arguments. */
  log: { name: string; args: unknown[] }[] = [];

  credential: CredentialStatus;
  platform: PlatformStatus | AppError;
  snapshot: SessionsSnapshot;
  settings: Settings;
  registrySecrets: Set<string>;
  logs = new Map<string, string>();
  options: Partial<LaunchOptions>;
  cachedOptions: Partial<LaunchOptions> | null;
  memory: LaunchMemoryView;
  usage: Record<string, SessionUsage>;
  keepAlive: KeepAlive[];
  timeline: Expiry[];
  load: Partial<PlatformLoad>;
  quota: Quota;
  delayMs: number;
  auth: AuthInfo;
  cert: CertView | null;
  holdSignIn: boolean;
  /** What `copyText` put on the clipboard. */
  clipboard: string[] = [];
  /** Session windows remembered from the last run. */
  reopen: string[] = [];
  /** skyport:// links waiting for the UI, as the backend queues them. */
  links: LinkRequest[] = [];
  /** What the page missed while it rested in the tray, as the backend keeps it. */
  missed: Missed = { view: null, notices: [] };
  /** What the provider does at the next sign-out (default: revokes both tokens). */
  signOutReport: SignOutReport = { revoked: ["refresh token", "access token"], revocationNote: null };
  /** What `platformChoices` answers. */
  choices: Choices;
  /** The saved platforms, as the backend would list them. */
  profiles: ProfileSummary[];
  /** What `canfarImportPreview` answers. */
  canfarImport: ImportPreview | null;
  /** What `testConnection` answers. */
  connectionCheck: ConnectionCheck = {
    services: [{ service: "Session API v1", url: "https://ws-uv.canfar.net/skaha", probe: { reachable: true, latencyMs: 41, detail: null } }],
    credential: { accepted: true, detail: "The platform accepts a saved token (2 session(s) listed)." },
  };
  /** What `addPlatform` answers (the platform becomes the one in use). */
  added: AddedPlatform = {
    profile: "canfar",
    displayName: "canfar",
    serviceUrl: "https://ws-uv.canfar.net/skaha",
    password: true,
    browser: false,
    notes: [],
  };
  /** Downloads waiting in prompts, by id (the backend's book). */
  downloads = new Map<number, Offer>();
  /** The storage's folders, by path; `storageHome` is the one shown first. */
  folders = new Map<string, Folder>();
  storageHome = "/home/alice";
  storagePlacesList: Crumb[] = [{ name: "Home", path: "/home/alice" }];
  /** What the file chooser answers next. */
  chosenFiles: string[] = [];
  /** Storage transfers, by id, as the backend reports them. */
  transfers = new Map<number, TransferView>();
  private fileDrop: ((d: FileDrop | null) => void) | null = null;

  private pendingSignIn: { resolve: (a: AuthInfo) => void; reject: (e: AppError) => void } | null = null;
  private failures = new Map<string, AppError[]>();
  private overrides = new Map<string, AnyFn>();
  private listeners = new Map<EventName, Set<(payload: never) => void>>();

  constructor(opts: FakeOptions = {}) {
    this.credential = opts.credential ?? SIGNED_OUT;
    this.platform = opts.platform ?? { serviceUrl: null, source: "No platform configured yet" };
    this.snapshot = {
      sessions: opts.sessions ?? [],
      asOf: opts.sessions ? iso(Date.now()) : null,
      error: null,
      skipped: 0,
      loading: false,
      ...opts.snapshot,
    };
    this.settings = opts.settings ?? { ...DEFAULT_SETTINGS };
    this.registrySecrets = new Set(opts.registrySecrets ?? []);
    this.options = opts.launchOptions ?? {};
    this.cachedOptions = opts.cachedOptions ?? null;
    this.memory = {
      presets: (opts.memory?.presets ?? []).map((p) => ({ fit: null, ...p })),
      recent: (opts.memory?.recent ?? []).map((r) => ({ fit: null, ...r })),
    };
    this.usage = opts.usage ?? {};
    this.keepAlive = opts.keepAlive ?? [];
    this.timeline = opts.timeline ?? [];
    this.load = opts.load ?? {};
    this.quota = opts.quota ?? { used: 0, max: DEMO_CONTEXT.maxInteractiveSessions };
    this.delayMs = opts.delayMs ?? 0;
    this.choices = opts.choices ?? { platforms: [], problems: [] };
    this.profiles = opts.profiles ?? [];
    this.canfarImport = opts.canfarImport ?? null;
    const configured = this.platform instanceof AppError ? false : !!this.platform.serviceUrl;
    this.auth = { ...demoAuth(this.credential, configured), ...opts.auth };
    this.cert = opts.cert === undefined ? makeCert("missing") : opts.cert;
    this.holdSignIn = opts.holdSignIn ?? false;
  }

  /** A signed-in fake pointed at a platform, holding the demo sessions (and their quota). */
  static signedIn(opts: FakeOptions = {}): FakePlatform {
    return new FakePlatform({
      platform: { serviceUrl: "https://ws-uv.canfar.net/skaha", source: "From the SKYPORT_URL environment variable" },
      credential: { state: "signed_in", headline: "Signed in with a saved token", advice: null, expiresAt: null },
      sessions: demoSessions(),
      quota: opts.sessions ? undefined : DEMO_QUOTA,
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

  /** Replace a method's answer (the call is still recorded). */
  override<M extends Method>(method: M, fn: Platform[M]): this {
    this.overrides.set(method, fn as AnyFn);
    return this;
  }

  argsOf(method: Method): unknown[][] {
    return this.log.filter((c) => c.name === method).map((c) => c.args);
  }

  /**
   * Record a call (with `logged` in place of the arguments when they hold a secret), then
   * answer: a scripted failure, an override (given the real arguments), or `run`.
   */
  private async call<T>(name: Method, args: unknown[], run: () => T | Promise<T>, logged: unknown[] = args): Promise<T> {
    this.calls.push(name);
    this.log.push({ name, args: logged });
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const q = this.failures.get(name);
    if (q?.length) throw q.shift();
    const o = this.overrides.get(name);
    if (o) return o(...args);
    return run();
  }

  // ---- events ----------------------------------------------------------------------------

  /** Send an event as the backend would. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const l of this.listeners.get(event) ?? []) (l as (p: EventPayload<E>) => void)(payload);
  }

  async listen<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Promise<Unlisten> {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener as (payload: never) => void);
    this.listeners.set(event, set);
    return () => set.delete(listener as (payload: never) => void);
  }

  /** How many listeners each event has (the UI must stop listening when it unmounts). */
  get listening(): {
    credential: number;
    sessions: number;
    notices: number;
    progress: number;
    cert: number;
    navigate: number;
    platformChanged: number;
    links: number;
  } {
    const n = (e: EventName) => this.listeners.get(e)?.size ?? 0;
    return {
      credential: n("credentialStatusChanged"),
      sessions: n("sessionsUpdated"),
      notices: n("sessionNotified"),
      progress: n("signInProgress"),
      cert: n("certStatusChanged"),
      navigate: n("navigate"),
      platformChanged: n("platformChanged"),
      links: n("linkReceived"),
    };
  }

  /** Push a credential change as the backend would. */
  emitCredential(status: CredentialStatus): void {
    this.credential = status;
    this.emit("credentialStatusChanged", status);
  }

  /** Push a session list (or a failed refresh) as the backend's poller would. */
  emitSessions(update: Partial<SessionsSnapshot> = {}): void {
    this.snapshot = { ...this.snapshot, loading: false, ...update };
    this.emit("sessionsUpdated", this.snapshot);
  }

  /** The poller read the list again and found it unchanged. */
  confirmSessions(asOf: string): void {
    this.snapshot = { ...this.snapshot, asOf };
    this.emit("sessionsConfirmed", { asOf });
  }

  emitNotice(notice: SessionNotice): void {
    this.emit("sessionNotified", notice);
  }

  emitSignInProgress(stage: SignInStage): void {
    this.emit("signInProgress", stage);
  }

  /** Push a certificate reading as the backend's watcher would (a renewal, a copied file). */
  emitCert(view: CertView): void {
    this.cert = view;
    this.emit("certStatusChanged", view);
  }

  /** The backend asks for a view (the tray's "Sign in…"). */
  emitNavigate(view: string): void {
    this.emit("navigate", { view });
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

  /** The transfer of download `id` ended with `bytes` (or failed), as the backend reports it. */
  finishDownload(id: number, bytes: number, ok = true): void {
    const o = this.downloads.get(id);
    if (!o) throw new Error(`no download ${id}`);
    let next: Offer;
    if (!ok) next = { ...o, bytes, state: "failed", canRetry: false, message: `The session stopped sending ${o.fileName} before it was complete. Try the download again from the session page.` } as Offer;
    else if (o.decision === "save") next = { ...o, bytes, state: "saved", savedAs: o.fileName } as Offer;
    else next = { ...o, bytes, state: "ready" } as Offer;
    this.downloads.set(id, next);
    this.emit("downloadChanged", next);
  }

  // ---- Platform: each answer comes from the data above -----------------------------------

  copyText(text: string): Promise<void> {
    return this.call("copyText", [text], () => {
      this.clipboard.push(text);
    });
  }

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

  platformChoices(): Promise<Choices> {
    return this.call("platformChoices", [], () => this.choices);
  }

  addPlatform(choice: PlatformChoice): Promise<AddedPlatform> {
    return this.call("addPlatform", [choice], () => {
      this.platform = { serviceUrl: this.added.serviceUrl, source: `Profile "${this.added.profile}"` };
      return this.added;
    });
  }

  listProfiles(): Promise<ProfileSummary[]> {
    return this.call("listProfiles", [], () => this.profiles.map((p) => ({ ...p })));
  }

  useProfile(name: string): Promise<null> {
    return this.call("useProfile", [name], () => {
      const p = this.profiles.find((x) => x.name === name);
      if (!p) throw new AppError("validation", `there is no profile "${name}"`);
      for (const x of this.profiles) x.active = x.name === name;
      this.platform = { serviceUrl: p.url, source: `Profile "${name}"` };
      return null;
    });
  }

  renameProfile(name: string, displayName: string): Promise<null> {
    return this.call("renameProfile", [name, displayName], () => {
      const p = this.profiles.find((x) => x.name === name);
      if (p) p.displayName = displayName.trim() || name;
      return null;
    });
  }

  profileRemoval(name: string): Promise<string> {
    return this.call("profileRemoval", [name], () => `Skyport forgets ${name}: its sign-in and keyring entries.`);
  }

  removeProfile(name: string): Promise<Removed> {
    return this.call("removeProfile", [name], () => {
      this.profiles = this.profiles.filter((x) => x.name !== name);
      return { secrets: 2, revoked: false, revokeFailed: null, active: this.profiles[0]?.name ?? null, keyringProblem: null };
    });
  }

  canfarImportPreview(): Promise<ImportPreview | null> {
    return this.call("canfarImportPreview", [], () => this.canfarImport);
  }

  importCanfar(tokens: boolean): Promise<ImportReport> {
    return this.call("importCanfar", [tokens], () => {
      const added = (this.canfarImport?.servers ?? []).filter((s) => !s.skipped);
      const first = added.find((s) => s.active) ?? added[0];
      if (first) this.platform = { serviceUrl: first.url, source: `Profile "${first.name}"` };
      return { added: added.map((s) => s.name), tokens: tokens ? added.filter((s) => s.hasToken).length : 0 };
    });
  }

  /** The service credentials, as the backend would list them. */
  serviceCreds: ServiceCredential[] = [];
  /** What `probeService` answers. */
  probeReport: ProbeReport = {
    url: "https://tap.example.org/tap",
    method: "HEAD",
    status: 401,
    requirement: "required",
    challenges: [{ scheme: "Basic", accessUrl: null, standardId: null, realm: "tap", kinds: ["basic", "basic-token"] }],
    unreadable: [],
    redirectedTo: null,
    decision: { decision: "missing", how: ["a username and password (Basic): `skyport credentials add basic --origin ORIGIN --username U --password-stdin`"] },
  };

  serviceCredentials(): Promise<ServiceCredential[]> {
    return this.call("serviceCredentials", [], () => this.serviceCreds.map((c) => ({ ...c })));
  }

  addServiceCredential(n: NewServiceCredential): Promise<string> {
    // The secret is never logged (as the backend never keeps it outside the keyring).
    return this.call(
      "addServiceCredential",
      [n],
      () => {
        const id = n.name || `${n.kind}-${(n.origins[0] ?? "").replace(/^\w+:\/\//, "").replace(/[^a-z0-9]+/gi, "-")}`;
        this.serviceCreds.push({
          id,
          kind: n.kind,
          origins: n.origins,
          username: n.username,
          loginUrl: n.loginUrl,
          file: n.file,
          expiresAt: null,
          kept: n.kind === "certificate" ? `the file ${n.file}` : "the Secret Service keyring (e.g. GNOME Keyring)",
          managed: false,
        });
        return id;
      },
      [{ ...n, secret: n.secret ? "<secret>" : null, passphrase: n.passphrase ? "<secret>" : null }],
    );
  }

  removeServiceCredential(id: string): Promise<null> {
    return this.call("removeServiceCredential", [id], () => {
      this.serviceCreds = this.serviceCreds.filter((c) => c.id !== id);
      return null;
    });
  }

  probeService(url: string): Promise<ProbeReport> {
    return this.call("probeService", [url], () => ({ ...this.probeReport, url }));
  }

  testConnection(name: string): Promise<ConnectionCheck> {
    return this.call("testConnection", [name], () => this.connectionCheck);
  }

  authInfo(): Promise<AuthInfo> {
    return this.call("authInfo", [], () => this.authSnapshot());
  }

  signIn(mode: SignInMode): Promise<AuthInfo> {
    return this.call("signIn", [mode], () => {
      const issuer = this.auth.oidcIssuer ?? "https://login.example.org/realms/canfar";
      this.emitSignInProgress({ stage: "openingBrowser" });
      if (mode === "browser") {
        this.emitSignInProgress({
          stage: "waitingForBrowser",
          url: `${issuer}/protocol/openid-connect/auth?client_id=skyport-desktop&state=s1&code_challenge=c1`,
        });
      } else {
        this.emitSignInProgress({
          stage: "deviceCode",
          prompt: {
            userCode: "WDJB-MJHT",
            verificationUri: `${issuer}/device`,
            verificationUriComplete: `${issuer}/device?user_code=WDJB-MJHT`,
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

  signInPassword(username: string, password: string, remember: boolean): Promise<AuthInfo> {
    return this.call(
      "signInPassword",
      [username, password, remember],
      () => {
        this.auth = { ...this.auth, username, passwordRemembered: remember };
        this.emitCredential(SIGNED_IN_TOKEN);
        return this.authSnapshot();
      },
      [username, "<redacted>", remember],
    );
  }

  signOut(): Promise<AuthInfo> {
    return this.call("signOut", [], () => {
      this.auth = { ...this.auth, signIn: null, passwordRemembered: false };
      this.emitCredential(SIGNED_OUT);
      return { ...this.authSnapshot(), signOut: this.signOutReport };
    });
  }

  certStatus(): Promise<CertView | null> {
    return this.call("certStatus", [], () => this.cert);
  }

  /** A new 10-day certificate, as the watcher reports it after a renewal. */
  private freshCert(): CertView {
    const now = Date.now();
    const view = makeCert("fine", now, { notBefore: now, notAfter: now + 10 * DAY, countdown: "10 d left" });
    this.emitCert(view);
    return view;
  }

  renewCertificateNow(): Promise<CertView> {
    return this.call("renewCertificateNow", [], () => this.freshCert());
  }

  obtainCertificate(username: string, password: string, remember: boolean): Promise<CertView> {
    return this.call(
      "obtainCertificate",
      [username, password, remember],
      () => {
        if (remember) this.auth = { ...this.auth, passwordRemembered: true };
        this.auth = { ...this.auth, username };
        return this.freshCert();
      },
      [username, "<redacted>", remember],
    );
  }

  saveToken(token: string): Promise<CredentialStatus> {
    return this.call(
      "saveToken",
      [token],
      () => {
        this.emitCredential(SIGNED_IN_TOKEN);
        return this.credential;
      },
      ["<redacted>"],
    );
  }

  forgetToken(): Promise<CredentialStatus> {
    return this.call("forgetToken", [], () => {
      this.emitCredential(SIGNED_OUT);
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

  /** A Pending session waits for memory (as the platform would say for a big request). */
  sessionWhy(id: string): Promise<Why | null> {
    return this.call("sessionWhy", [id], () => {
      const s = this.find(id);
      if (s.status !== "Pending") return null;
      return {
        cause: "noRoom",
        short: "No room: memory",
        sentence: "No node has 192 GB free: the platform's RAM is 94% taken.",
        nextStep: "Try 92 GB, or wait.",
        evidence: "FailedScheduling: 0/12 nodes are available: 12 Insufficient memory.",
        since: "2026-07-13T22:57:10Z",
      };
    });
  }

  renewSession(id: string): Promise<Session> {
    return this.call("renewSession", [id], () => {
      const renewed = { ...this.find(id), expiryTime: iso(Date.now() + 4 * DAY) };
      this.snapshot = { ...this.snapshot, sessions: this.snapshot.sessions.map((x) => (x.id === id ? renewed : x)) };
      return renewed;
    });
  }

  deleteSessions(ids: string[]): Promise<BulkOutcome[]> {
    return this.call("deleteSessions", [ids], () => {
      this.snapshot = {
        ...this.snapshot,
        sessions: this.snapshot.sessions.map((s) => (ids.includes(s.id) ? { ...s, status: "Terminating" } : s)),
      };
      this.emitSessions({ asOf: iso(Date.now()) });
      return ids.map((id) => ({ id, error: null }));
    });
  }

  /** What the backend selects for a prune rule is the test's to say (`override`); by default nothing. */
  prunePreview(rule: PruneRule): Promise<Session[]> {
    return this.call("prunePreview", [rule], () => []);
  }

  openSessionInBrowser(id: string): Promise<null> {
    return this.call("openSessionInBrowser", [id], () => {
      this.find(id);
      return null;
    });
  }

  openSessionWindow(id: string): Promise<null> {
    return this.call("openSessionWindow", [id], () => {
      this.find(id);
      return null;
    });
  }

  listPainted(sessions: number, page: PageTimes): Promise<void> {
    return this.call("listPainted", [sessions, page], () => undefined);
  }

  takeMissed(): Promise<Missed> {
    return this.call("takeMissed", [], () => {
      const m = this.missed;
      this.missed = { view: null, notices: [] };
      return m;
    });
  }

  takeLinks(): Promise<LinkRequest[]> {
    return this.call("takeLinks", [], () => this.links.splice(0));
  }

  /** A link arrives while the app runs (a second launch handed it over). */
  receiveLink(r: LinkRequest): void {
    this.links.push(r);
    this.emit("linkReceived", null);
  }

  windowsToReopen(): Promise<Session[]> {
    return this.call("windowsToReopen", [], () => this.snapshot.sessions.filter((s) => this.reopen.includes(s.id)));
  }

  private demoOptions(over: Partial<LaunchOptions>, cached: boolean): LaunchOptions {
    return {
      images: DEMO_IMAGES,
      context: DEMO_CONTEXT,
      repositories: ["images.canfar.net"],
      quota: this.quota,
      existingNames: this.snapshot.sessions.map((s) => s.name),
      fetchedAt: iso(Date.now()),
      cached,
      ...over,
    };
  }

  launchOptions(): Promise<LaunchOptions> {
    return this.call("launchOptions", [], () => this.demoOptions(this.options, false));
  }

  cachedLaunchOptions(): Promise<LaunchOptions | null> {
    return this.call("cachedLaunchOptions", [], () => (this.cachedOptions ? this.demoOptions(this.cachedOptions, true) : null));
  }

  launchMemory(): Promise<LaunchMemoryView> {
    return this.call("launchMemory", [], () => this.memory);
  }

  /** Kept as the backend keeps it (the spec of the form, by name, replacing one of that name). */
  savePreset(name: string, anyPlatform: boolean, form: LaunchForm): Promise<LaunchMemoryView> {
    return this.call("savePreset", [name, anyPlatform, form], () => {
      const preset: PresetEntry = { name, profile: anyPlatform ? null : "sim", ...specOf(form), fit: null };
      const presets = [...this.memory.presets.filter((p) => p.name !== name), preset].sort((a, b) => a.name.localeCompare(b.name));
      this.memory = { ...this.memory, presets };
      return this.memory;
    });
  }

  expiryTimeline(): Promise<Expiry[]> {
    return this.call("expiryTimeline", [], () => this.timeline);
  }

  keepAliveRules(): Promise<KeepAlive[]> {
    return this.call("keepAliveRules", [], () => this.keepAlive);
  }

  /** As the backend: a rule from now for `days`, or none. */
  setKeepAlive(sessionId: string, days: number | null): Promise<KeepAlive | null> {
    return this.call("setKeepAlive", [sessionId, days], () => {
      this.keepAlive = this.keepAlive.filter((r) => r.sessionId !== sessionId);
      if (days === null) return null;
      const s = this.snapshot.sessions.find((x) => x.id === sessionId);
      const rule: KeepAlive = {
        profile: "sim", sessionId, name: s?.name ?? sessionId,
        until: iso(Date.now() + days * DAY), withinHours: 24, extended: 0, lastExpiry: null, grantedSecs: null, created: iso(Date.now()),
      };
      this.keepAlive = [...this.keepAlive, rule];
      return rule;
    });
  }

  sessionUsage(sessionId: string): Promise<SessionUsage | null> {
    return this.call("sessionUsage", [sessionId], () => this.usage[sessionId] ?? null);
  }

  removePreset(name: string): Promise<LaunchMemoryView> {
    return this.call("removePreset", [name], () => {
      if (!this.memory.presets.some((p) => p.name === name)) throw new AppError("not_found", `there is no preset named "${name}"`);
      this.memory = { ...this.memory, presets: this.memory.presets.filter((p) => p.name !== name) };
      return this.memory;
    });
  }

  /**
   * A launch is accepted and appears in the list as one Pending session named as the form
   * says (how the platform names replicas is not restated here; a test that needs the
   * outcomes of replicas scripts them).
   */
  launchSession(form: LaunchForm): Promise<LaunchOutcome[]> {
    const logged = { ...form, registry: form.registry ? { ...form.registry, secret: form.registry.secret ? "<redacted>" : null } : null };
    return this.call(
      "launchSession",
      [form],
      () => {
      const out: LaunchOutcome[] = [form.name].map((name) => {
        const s = makeSession({
          name,
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
        return { name, id: s.id, error: null, field: null };
      });
      const spec = specOf(form);
      const recent = this.memory.recent.filter((r) => JSON.stringify(r.spec) !== JSON.stringify(spec));
      this.memory = { ...this.memory, recent: [{ profile: "sim", at: iso(Date.now()), spec, fit: null }, ...recent] };
      this.emitSessions({ asOf: iso(Date.now()) });
      return out;
      },
      [logged],
    );
  }

  registrySecretSaved(image: string, username: string): Promise<boolean> {
    return this.call("registrySecretSaved", [image, username], () => this.registrySecrets.has(`${image}|${username}`));
  }

  platformLoad(): Promise<PlatformLoad> {
    return this.call("platformLoad", [], () => ({ ...demoLoad(this.quota), ...this.load }));
  }

  getSettings(): Promise<Settings> {
    return this.call("getSettings", [], () => ({ ...this.settings }));
  }

  saveSettings(settings: Settings): Promise<Settings> {
    return this.call("saveSettings", [settings], () => {
      this.settings = { ...settings };
      return { ...settings };
    });
  }

  downloadOffer(id: number): Promise<Offer> {
    return this.call("downloadOffer", [id], () => {
      const o = this.downloads.get(id);
      if (!o) throw new AppError("not_found", "That download is no longer known; start it again from the session page.");
      return { ...o };
    });
  }

  downloadPromptReady(id: number, ready: boolean): Promise<null> {
    return this.call("downloadPromptReady", [id, ready], () => null);
  }

  /** The decision is recorded; a saved file keeps its name (the backend's naming is not restated here). */
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

  // ---- storage ---------------------------------------------------------------------------

  /** Files dragged from the desktop and dropped on the window. */
  dropFiles(paths: string[]): void {
    this.fileDrop?.({ dropped: false, paths });
    this.fileDrop?.({ dropped: true, paths });
  }

  /** A transfer ended, as the backend reports it; an upload's file appears in its folder. */
  finishTransfer(id: number, failed: string | null = null): void {
    const t = this.transfers.get(id);
    if (!t) throw new Error(`no transfer ${id}`);
    const next: TransferView = failed
      ? { id, direction: t.direction, name: t.name, folder: t.folder, state: "failed", message: failed }
      : {
          id,
          direction: t.direction,
          name: t.name,
          folder: t.folder,
          state: "done",
          words: t.direction === "upload" ? "uploaded" : "saved",
          savedTo: t.direction === "download" ? `/fake/Downloads/${t.name}` : null,
        };
    if (!failed && t.direction === "upload") {
      const f = this.folders.get(t.folder);
      if (f && !f.entries.some((e) => e.name === t.name)) f.entries.push(storageEntry(t.folder, { name: t.name }));
    }
    this.transfers.set(id, next);
    this.emit("storageTransferChanged", next);
  }

  private startTransfer(direction: "upload" | "download", name: string, folder: string): number {
    const id = this.transfers.size + 1;
    const t: TransferView = { id, direction, name, folder, state: "running", words: "waiting for its turn", fraction: null };
    this.transfers.set(id, t);
    this.emit("storageTransferChanged", t);
    return id;
  }

  private folderOf(path: string): Folder {
    const f = this.folders.get(path);
    if (!f) throw new AppError("not_found", `${path} does not exist in your storage`);
    return f;
  }

  async onFileDrop(listener: (d: FileDrop | null) => void): Promise<Unlisten> {
    this.fileDrop = listener;
    return () => {
      if (this.fileDrop === listener) this.fileDrop = null;
    };
  }

  storageFolder(path: string | null): Promise<Folder> {
    return this.call("storageFolder", [path], () => structuredClone(this.folderOf(path ?? this.storageHome)));
  }

  storagePlaces(): Promise<Crumb[]> {
    return this.call("storagePlaces", [], () => [...this.storagePlacesList]);
  }

  storageMakeFolder(folder: string, name: string): Promise<string> {
    return this.call("storageMakeFolder", [folder, name], () => {
      const f = this.folderOf(folder);
      const e = storageEntry(folder, { name: name.trim(), kind: "folder" });
      f.entries.push(e);
      this.folders.set(e.path, makeFolder(e.path));
      return e.path;
    });
  }

  storageRename(path: string, name: string): Promise<string> {
    return this.call("storageRename", [path, name], () => {
      for (const f of this.folders.values()) {
        const i = f.entries.findIndex((e) => e.path === path);
        if (i >= 0) {
          f.entries[i] = storageEntry(f.path, { ...f.entries[i], name: name.trim(), path: undefined, sessionPath: undefined });
          return f.entries[i].path;
        }
      }
      throw new AppError("not_found", `${path} does not exist in your storage`);
    });
  }

  storageDelete(path: string): Promise<null> {
    return this.call("storageDelete", [path], () => {
      for (const f of this.folders.values()) f.entries = f.entries.filter((e) => e.path !== path);
      return null;
    });
  }

  storageUpload(folder: string, files: string[]): Promise<number[]> {
    return this.call("storageUpload", [folder, files], () =>
      files.map((p) => this.startTransfer("upload", p.split("/").pop() ?? p, folder)),
    );
  }

  storageChooseUploads(folder: string): Promise<string[]> {
    return this.call("storageChooseUploads", [folder], () => this.chosenFiles.splice(0));
  }

  storageDownload(path: string): Promise<number> {
    return this.call("storageDownload", [path], () => {
      const cut = path.lastIndexOf("/");
      return this.startTransfer("download", path.slice(cut + 1), path.slice(0, cut) || "/");
    });
  }

  storageTransfers(): Promise<TransferView[]> {
    return this.call("storageTransfers", [], () => [...this.transfers.values()]);
  }

  storageCancel(id: number): Promise<void> {
    return this.call("storageCancel", [id], () => {
      const t = this.transfers.get(id);
      if (!t) return;
      const next: TransferView = { id, direction: t.direction, name: t.name, folder: t.folder, state: "cancelled" };
      this.transfers.set(id, next);
      this.emit("storageTransferChanged", next);
    });
  }

  storageClearTransfers(): Promise<void> {
    return this.call("storageClearTransfers", [], () => {
      for (const [id, t] of this.transfers) if (t.state !== "running") this.transfers.delete(id);
    });
  }
}
