// What the Credentials view shows about sign-in and the certificate, kept by the App so a
// sign-in started there keeps its progress when the user looks at another view meanwhile,
// and every certificate change (a renewal, a file copied in from outside) is seen at once.
import type { AuthInfo, CertView, DevicePromptView, ErrorCode, Platform, SignInMode, SignInStage, Unlisten } from "../platform/types";
import { AppError, errorMessage } from "../platform/types";

/** Where a browser or device-code sign-in stands. */
export type SignInPhase =
  | { kind: "idle" }
  | {
      kind: "running";
      mode: SignInMode;
      /** The latest stage the backend reported (null until the first). */
      stage: SignInStage["stage"] | null;
      /** The sign-in page, while waiting for the browser (to copy when no browser opened). */
      url: string | null;
      /** The device code, in device mode. */
      prompt: DevicePromptView | null;
      /** When the code arrived (its lifetime counts from here). */
      promptAt: number | null;
      /** True once the user pressed Cancel. */
      cancelling: boolean;
    }
  | { kind: "done" }
  | { kind: "cancelled" }
  | { kind: "failed"; mode: SignInMode; code: ErrorCode | null; message: string };

/** Where a certificate renewal (or obtain) stands. */
export type CertAction =
  | { kind: "idle" }
  | { kind: "renewing" }
  | { kind: "renewed"; notAfter: string | null }
  | { kind: "failed"; code: ErrorCode | null; message: string };

function codeOf(e: unknown): ErrorCode | null {
  return e instanceof AppError ? e.code : e && typeof e === "object" && "code" in e ? ((e as { code: ErrorCode }).code ?? null) : null;
}

export class CredentialsStore {
  auth = $state<AuthInfo | null>(null);
  authError = $state<string | null>(null);
  /** The certificate as the backend's monitor last reported it. */
  cert = $state<CertView | null>(null);
  /** When `cert` arrived: countdowns never use a clock older than the reading. */
  certAt = $state(0);
  certLoaded = $state(false);
  signIn = $state<SignInPhase>({ kind: "idle" });
  certAction = $state<CertAction>({ kind: "idle" });

  private platform: Platform;
  private unlisten: Unlisten[] = [];
  private stopped = false;
  private authSeq = 0;

  constructor(platform: Platform) {
    this.platform = platform;
  }

  /** Listen to sign-in progress and certificate changes, then read both once. */
  async start(): Promise<void> {
    this.stopped = false;
    // Listen first so no change falls between the reading and the subscription.
    const subs = await Promise.all([
      this.platform.listen("signInProgress", (s) => this.progress(s)),
      this.platform.listen("certStatusChanged", (c) => this.setCert(c)),
    ]);
    if (this.stopped) {
      subs.forEach((u) => u());
      return;
    }
    this.unlisten.push(...subs);
    await Promise.all([this.reloadAuth(), this.reloadCert()]);
  }

  stop(): void {
    this.stopped = true;
    this.unlisten.forEach((u) => u());
    this.unlisten = [];
  }

  async reloadAuth(): Promise<void> {
    const seq = ++this.authSeq;
    try {
      const a = await this.platform.authInfo();
      // An older answer must not overwrite a newer one.
      if (seq === this.authSeq) {
        this.auth = a;
        this.authError = null;
      }
    } catch (e) {
      if (seq === this.authSeq) this.authError = errorMessage(e);
    }
  }

  async reloadCert(): Promise<void> {
    try {
      const c = await this.platform.certStatus();
      // An event may have brought a newer reading meanwhile; keep that one.
      if (!this.certLoaded) this.setCert(c);
      this.certLoaded = true;
    } catch {
      this.certLoaded = true;
    }
  }

  private setCert(c: CertView | null): void {
    this.cert = c;
    this.certAt = Date.now();
    this.certLoaded = true;
  }

  /** A newer AuthInfo from a command's answer. */
  setAuth(a: AuthInfo): void {
    this.authSeq++;
    this.auth = a;
    this.authError = null;
  }

  get signingIn(): boolean {
    return this.signIn.kind === "running";
  }

  private progress(s: SignInStage): void {
    const phase = this.signIn;
    if (phase.kind !== "running") return;
    // "failed" is reported by the command's answer too; that one decides.
    if (s.stage === "failed") return;
    this.signIn = {
      ...phase,
      stage: s.stage,
      url: s.stage === "waitingForBrowser" ? s.url : phase.url,
      prompt: s.stage === "deviceCode" ? s.prompt : phase.prompt,
      promptAt: s.stage === "deviceCode" ? Date.now() : phase.promptAt,
    };
  }

  /** Run a browser or device-code sign-in to its end (success, failure or cancel). */
  async startSignIn(mode: SignInMode): Promise<boolean> {
    if (this.signIn.kind === "running") return false;
    this.signIn = { kind: "running", mode, stage: null, url: null, prompt: null, promptAt: null, cancelling: false };
    try {
      const a = await this.platform.signIn(mode);
      this.setAuth(a);
      this.signIn = { kind: "done" };
      return true;
    } catch (e) {
      const code = codeOf(e);
      this.signIn = code === "cancelled" ? { kind: "cancelled" } : { kind: "failed", mode, code, message: errorMessage(e) };
      return false;
    }
  }

  async cancelSignIn(): Promise<void> {
    const phase = this.signIn;
    if (phase.kind !== "running") return;
    this.signIn = { ...phase, cancelling: true };
    try {
      const stopped = await this.platform.cancelSignIn();
      // Nothing was running any more: the answer is on its way; let it decide.
      if (!stopped && this.signIn.kind === "running") this.signIn = { ...this.signIn, cancelling: false };
    } catch (e) {
      if (this.signIn.kind === "running") this.signIn = { kind: "failed", mode: phase.mode, code: codeOf(e), message: errorMessage(e) };
    }
  }

  /** Forget a finished sign-in's outcome (when a new attempt starts another way). */
  clearSignIn(): void {
    if (this.signIn.kind !== "running") this.signIn = { kind: "idle" };
  }

  /** Renew with what the backend has (remembered password, netrc, sign-in). */
  async renewCert(): Promise<boolean> {
    if (this.certAction.kind === "renewing") return false;
    this.certAction = { kind: "renewing" };
    try {
      const v = await this.platform.renewCertificateNow();
      this.setCert(v);
      this.certAction = { kind: "renewed", notAfter: v.info?.not_after ?? null };
      return true;
    } catch (e) {
      this.certAction = { kind: "failed", code: codeOf(e), message: errorMessage(e) };
      return false;
    }
  }

  /** After the obtain dialog succeeded. */
  obtained(v: CertView): void {
    this.setCert(v);
    this.certAction = { kind: "renewed", notAfter: v.info?.not_after ?? null };
  }
}
