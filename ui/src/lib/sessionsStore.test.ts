import { describe, expect, it } from "vitest";
import { FakePlatform } from "../test/fake";
import { SessionsStore } from "./sessionsStore.svelte";

/** The list a poll read just after the store's first read, announced before it listened. */
function changeUnheard(p: FakePlatform) {
  p.snapshot = { ...p.snapshot, sessions: p.snapshot.sessions.slice(1), asOf: "2026-12-03T12:00:00Z" };
}

describe("SessionsStore start", () => {
  it("shows a list that changed while its listeners were being set up", async () => {
    const p = FakePlatform.signedIn();
    const all = p.snapshot.sessions.length;
    const listen = p.listen.bind(p);
    let first = true;
    p.listen = (event, listener) => {
      // The first read is already answered; the change's event goes out before anyone listens.
      if (first) changeUnheard(p);
      first = false;
      return listen(event, listener);
    };
    const store = new SessionsStore(p);
    await store.start();
    expect(store.snapshot.sessions).toHaveLength(all - 1);
    expect(store.snapshot.asOf).toBe("2026-12-03T12:00:00Z");
    expect(p.calls.filter((c) => c === "sessionsSnapshot")).toHaveLength(2);
    store.stop();
  });

  it("keeps an event's list over a read that answered after it", async () => {
    const p = FakePlatform.signedIn();
    // Both reads answer with the list as it was before the event.
    const before = p.snapshot;
    p.sessionsSnapshot = () => Promise.resolve(before);
    const store = new SessionsStore(p);
    const started = store.start();
    p.emitSessions({ sessions: [], asOf: "2026-12-03T13:00:00Z" });
    await started;
    expect(store.snapshot.sessions).toHaveLength(0);
    expect(store.snapshot.asOf).toBe("2026-12-03T13:00:00Z");
    store.stop();
  });
});
