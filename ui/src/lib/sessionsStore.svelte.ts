// The session list as the backend's poller delivers it (`sessionsUpdated`), kept at app
// level so it survives view changes. The backend adapts the polling; the UI only listens.
import type { Platform, Session, SessionsSnapshot, Unlisten } from "../platform/types";
import { errorMessage } from "../platform/types";
import { startMark } from "./startMarks";

const EMPTY: SessionsSnapshot = { sessions: [], asOf: null, error: null, skipped: 0, loading: true };

export class SessionsStore {
  /** Raw (not deeply reactive): 2,000 sessions must not become 2,000 proxies. */
  snapshot = $state.raw<SessionsSnapshot>(EMPTY);
  /** When the list was last read. It moves also when the list is the same (once a minute:
   * the minute is what the page shows), without touching `snapshot`: an unchanged list
   * renders nothing again but the time. */
  asOf = $state<string | null>(null);
  /** performance.now() when the current snapshot arrived (for the render measurement). */
  receivedAt = $state(0);
  /** Bumped when something the expiry timeline draws from changed beside the list (a
   * keep-alive rule): the timeline is read again on that, on a new list and on a new
   * credential status, not on every poll. */
  touched = $state(0);
  refreshing = $state(false);
  /** Why the last manual refresh could not even be asked for (rare: the IPC itself failed). */
  refreshError = $state<string | null>(null);

  #platform: Platform;
  #unlisten: Unlisten[] = [];
  #stopped = false;

  constructor(platform: Platform) {
    this.#platform = platform;
  }

  /** Read the current snapshot while the listeners are set up (one round trip less before the
   * first list shows), then once more when listening, for a list that changed in between. An
   * event's list is never replaced by a read that answered after it. */
  async start(): Promise<void> {
    let fromEvent = false;
    const read = (again: boolean) =>
      this.#platform.sessionsSnapshot().then(
        (s) => {
          if (fromEvent || this.#stopped || (again && sameRead(s, { ...this.snapshot, asOf: this.asOf }))) return;
          this.set(s);
        },
        (e) => {
          this.refreshError = errorMessage(e);
        },
      );
    const first = read(false);
    const un = await Promise.all([
      this.#platform.listen("sessionsUpdated", (s) => {
        fromEvent = true;
        this.set(s);
      }),
      // The list was read again and is unchanged: only its time moves (no re-render).
      this.#platform.listen("sessionsConfirmed", ({ asOf }) => {
        if (this.snapshot.asOf && !this.snapshot.error) this.asOf = asOf;
      }),
    ]);
    if (this.#stopped) {
      un.forEach((u) => u());
      return;
    }
    this.#unlisten = un;
    await first;
    if (!fromEvent) await read(true);
  }

  stop(): void {
    this.#stopped = true;
    this.#unlisten.forEach((u) => u());
    this.#unlisten = [];
  }

  set(s: SessionsSnapshot): void {
    this.receivedAt = typeof performance !== "undefined" ? performance.now() : Date.now();
    this.snapshot = s;
    this.asOf = s.asOf;
    if (s.asOf) startMark("list");
  }

  async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    this.refreshError = null;
    try {
      this.set(await this.#platform.refreshSessions());
    } catch (e) {
      this.refreshError = errorMessage(e);
    } finally {
      this.refreshing = false;
    }
  }

  /** Show an action's result at once (the poller confirms it shortly after). */
  patch(session: Session): void {
    const list = this.snapshot.sessions;
    if (!list.some((s) => s.id === session.id)) return;
    this.set({ ...this.snapshot, asOf: this.asOf, sessions: list.map((s) => (s.id === session.id ? session : s)) });
  }

  markTerminating(ids: readonly string[]): void {
    const set = new Set(ids);
    this.set({
      ...this.snapshot,
      asOf: this.asOf,
      sessions: this.snapshot.sessions.map((s) => (set.has(s.id) ? { ...s, status: "Terminating" } : s)),
    });
  }

  touch(): void {
    this.touched += 1;
  }

  byId(id: string): Session | undefined {
    return this.snapshot.sessions.find((s) => s.id === id);
  }
}

/** The same read of the platform (its time, state and error): nothing to render again. */
function sameRead(a: SessionsSnapshot, b: SessionsSnapshot): boolean {
  return a.asOf === b.asOf && a.loading === b.loading && a.error?.message === b.error?.message;
}
