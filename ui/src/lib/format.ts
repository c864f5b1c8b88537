// Formatting helpers shared by the views: times, countdowns, resources, statuses.
import type { SessionStatus } from "../platform/types";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The status as the server says it ("Running", or the unknown word verbatim). */
export function statusText(s: SessionStatus): string {
  return typeof s === "string" ? s : s.Unknown;
}

/**
 * A duration as people read it on a countdown: "3 d 23 h", "5 h 12 min", "12 min", "< 1 min".
 * Negative or zero durations give "0 min".
 */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0 min";
  if (ms < MINUTE) return "< 1 min";
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min`;
  if (ms < DAY) {
    const h = Math.floor(ms / HOUR);
    const m = Math.floor((ms % HOUR) / MINUTE);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const d = Math.floor(ms / DAY);
  const h = Math.floor((ms % DAY) / HOUR);
  return h ? `${d} d ${h} h` : `${d} d`;
}

function parse(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** "in 3 d 23 h", "expired", or "—" when the server gave no expiry. */
export function expiresIn(expiry: string | null | undefined, now: number): string {
  const t = parse(expiry);
  if (t === null) return "—";
  if (t <= now) return "expired";
  return `in ${duration(t - now)}`;
}

/** Milliseconds left before expiry, or null when unknown. */
export function msLeft(expiry: string | null | undefined, now: number): number | null {
  const t = parse(expiry);
  return t === null ? null : t - now;
}

/** "3 h ago", "2 d ago", "just now". */
export function ago(iso: string | null | undefined, now: number): string {
  const t = parse(iso);
  if (t === null) return "";
  const ms = now - t;
  if (ms < MINUTE) return "just now";
  return `${duration(ms)} ago`;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Local "14:05". */
export function clock(iso: string | null | undefined): string {
  const t = parse(iso);
  if (t === null) return "—";
  const d = new Date(t);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Local "2026-07-17 22:57". */
export function dateTime(iso: string | null | undefined): string {
  const t = parse(iso);
  if (t === null) return "—";
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Local "13 Jul 22:57" (the year only when it is not the current one). */
export function shortDateTime(iso: string | null | undefined, now: number = Date.now()): string {
  const t = parse(iso);
  if (t === null) return "—";
  const d = new Date(t);
  const year = d.getFullYear() === new Date(now).getFullYear() ? "" : ` ${d.getFullYear()}`;
  return `${d.getDate()} ${MONTHS[d.getMonth()]}${year} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A number without needless decimals: 2 → "2", 8.59 → "8.59", 0.0123 → "0.01". */
export function num(n: number | null | undefined, digits = 2): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return String(Number(n.toFixed(digits)));
}

/** Thousands separators for counts: 2000 → "2,000". */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** "1 session", "3 sessions". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/**
 * A certificate countdown in the backend's words (so the card, the status bar and the tray
 * agree): "6 d 4 h left", "3 h 12 min left", "less than a minute left", "expired 2 h ago",
 * "expired just now". Rounds down.
 */
export function countdown(expiry: string | null | undefined, now: number): string | null {
  const t = parse(expiry);
  if (t === null) return null;
  const left = t - now;
  if (left > 0) return left < MINUTE ? "less than a minute left" : `${duration(left)} left`;
  return -left < MINUTE ? "expired just now" : `expired ${duration(-left)} ago`;
}

/** A short timer for codes that expire within minutes: "9:41", "0:05", "0:00". */
export function timer(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

/**
 * A backend message after what happened, kept verbatim (the backend's messages already say
 * what to do next): "Not renewed: the credential service refused …; check them and try again."
 */
export function said(what: string, message: string): string {
  const m = message.trim();
  return `${what}: ${/[.!?…]$/.test(m) ? m : `${m}.`}`;
}

/** The host of a URL, or the text itself when it is not one. */
export function host(url: string | null | undefined): string {
  if (!url) return "";
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

/** A size as file managers show it (SI units): 950 → "950 bytes", 12_300 → "12.3 kB". */
export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "—";
  if (n < 1000) return `${n} ${n === 1 ? "byte" : "bytes"}`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 100 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
