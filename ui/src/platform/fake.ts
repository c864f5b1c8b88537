// A scriptable platform for UI tests: no Tauri, no network.
import type { AppInfo, CredentialStatus, Platform, PlatformStatus, Unlisten } from "./types";
import { AppError } from "./types";

export interface FakeOptions {
  credential?: CredentialStatus;
  platform?: PlatformStatus | AppError;
}

export class FakePlatform implements Platform {
  calls: string[] = [];
  private credential: CredentialStatus;
  private platform: PlatformStatus | AppError;
  private listeners = new Set<(s: CredentialStatus) => void>();

  constructor(opts: FakeOptions = {}) {
    this.credential = opts.credential ?? {
      state: "signed_out",
      headline: "Not signed in",
      advice: "Open Credentials to sign in or paste a token.",
      expiresAt: null,
    };
    this.platform = opts.platform ?? { serviceUrl: null, source: "No platform configured yet" };
  }

  async appInfo(): Promise<AppInfo> {
    this.calls.push("appInfo");
    return {
      version: "0.0.0-test",
      configDir: "/fake/config",
      dataDir: "/fake/data",
      logDir: "/fake/state/logs",
      certFile: "/fake/.ssl/cadcproxy.pem",
    };
  }

  async credentialStatus(): Promise<CredentialStatus> {
    this.calls.push("credentialStatus");
    return this.credential;
  }

  async platformStatus(): Promise<PlatformStatus> {
    this.calls.push("platformStatus");
    if (this.platform instanceof AppError) throw this.platform;
    return this.platform;
  }

  async onCredentialStatus(listener: (s: CredentialStatus) => void): Promise<Unlisten> {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Test helper: push a credential change as the backend would. */
  emitCredential(status: CredentialStatus): void {
    this.credential = status;
    for (const l of this.listeners) l(status);
  }
}
