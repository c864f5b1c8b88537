// The seam between the UI and whatever runs it: the real app (tauri.ts) or the tests' fake
// (ui/src/test/fake.ts). Components only ever talk to a `Platform`, never to Tauri directly.
//
// The interface is derived from the generated bindings: a command declared in Rust is a
// method here, with its arguments and answer, and nothing else needs to be written for it.
import type { commands, events } from "../bindings";
import type {
  AddedPlatform,
  ImportPreview,
  ImportReport,
  ConnectionCheck,
  ProfileSummary,
  Removed,
  AppInfo,
  AuthInfo,
  Choice,
  Choices,
  Batch,
  BulkOutcome,
  CertInfo,
  CertState,
  CertView,
  Context,
  CredentialStatus,
  EnvVar,
  ErrorCode,
  ErrorPayload,
  Expiry,
  Fit,
  Image,
  KeepAlive,
  LaunchForm,
  LaunchMemoryView,
  LaunchOptions,
  LaunchOutcome,
  LaunchSpec,
  PlatformChoice,
  PlatformLoad,
  PlatformStats,
  PlatformStatus,
  Preset,
  PresetEntry,
  PruneRule,
  Quota,
  RecentEntry,
  RecentLaunch,
  RegistryForm,
  ResourceOptions,
  Resources,
  Session,
  SessionEvent,
  SessionKind,
  SessionUsage,
  Sample,
  Track,
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
  Why,
  Cause,
  CredentialKind,
  ServiceCredential,
  NewServiceCredential,
  ProbeReport,
  LinkRequest,
  Missed,
  AppLink,
  PageTimes,
  Folder,
  Entry,
  EntryKind,
  Crumb,
  UsageView,
  TransferView,
  TransferState,
  Direction,
} from "../bindings";

export type {
  Folder,
  Entry,
  EntryKind,
  Crumb,
  UsageView,
  TransferView,
  TransferState,
  Direction,
  LinkRequest,
  Missed,
  AppLink,
  PageTimes,
  CredentialKind,
  ServiceCredential,
  NewServiceCredential,
  ProbeReport,
  AddedPlatform,
  ImportPreview,
  ImportReport,
  ConnectionCheck,
  ProfileSummary,
  Removed,
  AppInfo,
  AuthInfo,
  Choice,
  Choices,
  Batch,
  BulkOutcome,
  CertInfo,
  CertState,
  CertView,
  Context,
  CredentialStatus,
  EnvVar,
  ErrorCode,
  ErrorPayload,
  Expiry,
  Fit,
  Image,
  KeepAlive,
  LaunchForm,
  LaunchMemoryView,
  LaunchOptions,
  LaunchOutcome,
  LaunchSpec,
  PlatformChoice,
  PlatformLoad,
  PlatformStats,
  PlatformStatus,
  Preset,
  PresetEntry,
  PruneRule,
  Quota,
  RecentEntry,
  RecentLaunch,
  RegistryForm,
  ResourceOptions,
  Resources,
  Session,
  SessionEvent,
  SessionKind,
  SessionUsage,
  Sample,
  Track,
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
  Why,
  Cause,
};

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

/** Every backend command, as the bindings declare it (a failure rejects with an `AppError`). */
export type Commands = typeof commands;

/** The name of each event the backend sends, and what it carries. */
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = Parameters<Parameters<(typeof events)[E]["listen"]>[0]>[0]["payload"];

export interface Platform extends Commands {
  /** Hear every `event` the backend sends until the returned function is called. */
  listen<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Promise<Unlisten>;
  /** Put text on the clipboard (a device code); rejects when the clipboard refuses. */
  copyText(text: string): Promise<void>;
  /**
   * Hear files dragged from the desktop over the window: `over` while they hover (with no
   * paths on some systems), then the dropped files' paths; `null` when the drag left.
   */
  onFileDrop(listener: (drop: FileDrop | null) => void): Promise<Unlisten>;
}

/** Files dragged over the window (`dropped`: let go, with their paths). */
export type FileDrop = { dropped: boolean; paths: string[] };
