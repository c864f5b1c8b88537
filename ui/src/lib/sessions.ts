// Filtering, sorting and searching the session list (pure functions, tested on their own).
import type { Batch, Session, SessionKind } from "../platform/types";
import { statusText } from "./format";

/** The kinds a user can launch, in the order the launch form offers them. */
export const LAUNCHABLE_KINDS = ["notebook", "desktop", "carta", "firefly", "contributed", "headless"] as const;
export type LaunchableKind = (typeof LAUNCHABLE_KINDS)[number];

export const KIND_LABELS: Record<string, string> = {
  notebook: "Notebook",
  desktop: "Desktop",
  carta: "CARTA",
  firefly: "Firefly",
  contributed: "Contributed",
  headless: "Headless",
  "desktop-app": "Desktop app",
};

export function kindLabel(kind: SessionKind): string {
  return KIND_LABELS[kind] ?? kind;
}

export const STATUSES = ["Pending", "Running", "Terminating", "Completed", "Failed"] as const;

/** Pending and Running count as active (they hold resources and the quota). */
export function isActive(s: Session): boolean {
  const st = statusText(s.status);
  return st === "Pending" || st === "Running";
}

export type KindFilter = "all" | string;
/** A status, "active" (Pending or Running) or "all". */
export type StatusFilter = "all" | "active" | string;

export interface SessionFilter {
  kind: KindFilter;
  status: StatusFilter;
  /** Matched case-insensitively against name, id, image, kind and status. */
  search: string;
}

export const NO_FILTER: SessionFilter = { kind: "all", status: "all", search: "" };

export function matches(s: Session, f: SessionFilter): boolean {
  if (f.kind !== "all" && s.kind !== f.kind) return false;
  const st = statusText(s.status);
  if (f.status === "active" ? !isActive(s) : f.status !== "all" && st !== f.status) return false;
  const q = f.search.trim().toLowerCase();
  if (!q) return true;
  // Every word must match somewhere, so "notebook run" finds running notebooks.
  const hay = `${s.name} ${s.id} ${s.image} ${s.kind} ${st}`.toLowerCase();
  return q.split(/\s+/).every((w) => hay.includes(w));
}

export function filterSessions(list: readonly Session[], f: SessionFilter): Session[] {
  return list.filter((s) => matches(s, f));
}

export type SortKey = "name" | "kind" | "status" | "image" | "cores" | "ram" | "gpus" | "started" | "expires";
export type SortDir = "asc" | "desc";
export interface SessionSort {
  key: SortKey;
  dir: SortDir;
}

export const DEFAULT_SORT: SessionSort = { key: "started", dir: "desc" };

// Active first, then the ones that need a look, then the finished.
const STATUS_ORDER: Record<string, number> = { Running: 0, Pending: 1, Failed: 2, Terminating: 3, Completed: 4 };

function time(iso: string | null): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

type Key = string | number | null;

/** One shared collator: `localeCompare` with options builds a new one per call (slow for 2,000 rows). */
export const naturalOrder = new Intl.Collator("en", { numeric: true }).compare;

function keyOf(s: Session, k: SortKey): Key {
  switch (k) {
    case "name":
      return s.name.toLowerCase();
    case "kind":
      return s.kind;
    case "status":
      return STATUS_ORDER[statusText(s.status)] ?? 9;
    case "image":
      return s.image.toLowerCase();
    case "cores":
      return s.requestedCores ?? s.coresInUse;
    case "ram":
      return s.requestedRamGb ?? s.ramInUseGb;
    case "gpus":
      return s.requestedGpus;
    case "started":
      // Not started yet (Pending) counts as the newest, so a fresh launch shows at the top.
      return time(s.startTime) ?? Number.MAX_SAFE_INTEGER;
    case "expires":
      return time(s.expiryTime);
  }
}

function cmp(a: Key, b: Key): number {
  if (a === b) return 0;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return naturalOrder(String(a), String(b));
}

/** Sorted copy; sessions without the value (no start time yet, ...) always go last; ties by name. */
export function sortSessions(list: readonly Session[], sort: SessionSort): Session[] {
  const sign = sort.dir === "asc" ? 1 : -1;
  const keyed = list.map((s) => ({ s, k: keyOf(s, sort.key) }));
  keyed.sort((x, y) => {
    const xn = x.k === null || x.k === undefined;
    const yn = y.k === null || y.k === undefined;
    if (xn !== yn) return xn ? 1 : -1;
    const c = xn ? 0 : cmp(x.k, y.k) * sign;
    return c || naturalOrder(x.s.name, y.s.name) || (x.s.id < y.s.id ? -1 : x.s.id > y.s.id ? 1 : 0);
  });
  return keyed.map((x) => x.s);
}

export function visibleSessions(list: readonly Session[], f: SessionFilter, sort: SessionSort): Session[] {
  return sortSessions(filterSessions(list, f), sort);
}

/** The ids from `from` to `to` (inclusive, either order) in the given order: shift-click ranges. */
export function rangeIds(order: readonly Session[], from: string, to: string): string[] {
  const a = order.findIndex((s) => s.id === from);
  const b = order.findIndex((s) => s.id === to);
  if (a < 0 || b < 0) return b >= 0 ? [to] : [];
  const [lo, hi] = a < b ? [a, b] : [b, a];
  return order.slice(lo, hi + 1).map((s) => s.id);
}

/** "images.canfar.net/skaha/astroml:latest" → registry, project, and "astroml:latest". */
export function splitImage(id: string): { registry: string; project: string; name: string } {
  const parts = id.split("/");
  if (parts.length >= 3) return { registry: parts[0], project: parts.slice(1, -1).join("/"), name: parts[parts.length - 1] };
  if (parts.length === 2) return { registry: "", project: parts[0], name: parts[1] };
  return { registry: "", project: "", name: id };
}

/** A batch is its launch's name and image (two launches may share a name). */
export function batchKey(b: Pick<Batch, "name" | "image">): string {
  return `${b.name}\u0000${b.image}`;
}
