// In-app notices: one per backend event (`sessionNotified`) or finished action; calm,
// dismissible, never blinking. The newest few are kept.
import type { SessionNotice } from "../platform/types";
import { dateTime, expiresIn } from "./format";
import { kindLabel } from "./sessions";

export type Tone = "info" | "ok" | "warn" | "bad";

/** Where a session's details open: at the top, or at its logs. */
export type DetailsFocus = "logs" | null;

export interface Notice {
  id: number;
  tone: Tone;
  title: string;
  body?: string;
  /** The session it is about (the notice then offers to show it). */
  sessionId?: string;
  /** The label of the "show" action, e.g. "Renew…" or "Details". */
  actionLabel?: string;
  /** Where the details open. */
  focus?: DetailsFocus;
  /** Confirmations of the user's own actions go away by themselves after this long. */
  timeoutMs?: number;
}

export const MAX_NOTICES = 4;

export function noticeFromEvent(n: SessionNotice, now = Date.now()): Omit<Notice, "id"> {
  const label = n.name || n.id;
  switch (n.event) {
    case "running":
      return {
        tone: "ok",
        title: `${label} is ready`,
        body: `Your ${kindLabel(n.kind)} session is running.`,
        sessionId: n.id,
        actionLabel: "Details",
      };
    case "failed":
      return {
        tone: "bad",
        title: `${label} stopped`,
        body: `Your ${kindLabel(n.kind)} session failed or reached its time limit. Its logs and events are in the details.`,
        sessionId: n.id,
        actionLabel: "Details",
      };
    case "completed":
      return {
        tone: "info",
        title: `${label} finished`,
        body: "Your headless job completed. Its logs are in the details.",
        sessionId: n.id,
        actionLabel: "Logs",
        focus: "logs",
      };
    case "batchEnded":
      // One notice for the whole batch; the first failed replica's logs one click away.
      return {
        tone: n.failed_ids.length ? "warn" : "ok",
        title: n.failed_ids.length ? `Batch ${n.name} ended, ${n.failed_ids.length} failed` : `Batch ${n.name} finished`,
        body: n.progress,
        sessionId: n.failed_ids[0],
        actionLabel: n.failed_ids.length ? "Logs of the first failed" : undefined,
        focus: "logs",
      };
    case "extended":
      return {
        tone: "ok",
        title: `Extended ${label}`,
        body: n.last
          ? `It now runs until ${dateTime(n.expires_at)}, past the ${dateTime(n.until)} you asked for; Skyport stops extending it.`
          : `It now runs until ${dateTime(n.expires_at)}; kept alive until ${dateTime(n.until)}.`,
        sessionId: n.id,
        actionLabel: "Details",
      };
    case "keepAliveStopped":
      return { tone: "warn", title: n.title, body: n.reason, sessionId: n.id, actionLabel: "Details" };
    case "expiringSoon":
      return {
        tone: "warn",
        title: `${label} expires soon`,
        body: `Your ${kindLabel(n.kind)} session stops at ${dateTime(n.expires_at)} (${expiresIn(n.expires_at, now)}) unless you renew it.`,
        sessionId: n.id,
        actionLabel: "Renew…",
      };
  }
}

export class Notices {
  items = $state<Notice[]>([]);
  #next = 1;

  push(n: Omit<Notice, "id">): number {
    const id = this.#next++;
    this.items = [...this.items, { ...n, id }].slice(-MAX_NOTICES);
    if (n.timeoutMs) setTimeout(() => this.dismiss(id), n.timeoutMs);
    return id;
  }

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id);
  }
}
