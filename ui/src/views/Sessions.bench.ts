// How long from a 2,000-session list arriving to the rendered list (jsdom: DOM updated;
// jsdom has no layout or paint, so this is the script part of the ≤ 100 ms budget; the e2e
// test tests/e2e/sessions.rs measures the real WebKit frame through `data-render-ms`).
// Run: npm run bench:ui (vitest bench --run --mode test)
// (--mode test: vite.config.ts resolves Svelte's browser build only in test mode.)
import { render } from "@testing-library/svelte";
import { flushSync, tick } from "svelte";
import { bench, describe } from "vitest";
import App from "../App.svelte";
import { FakePlatform, manySessions } from "../test/fake";
import { DEFAULT_SORT, NO_FILTER, visibleSessions } from "../lib/sessions";
import type { Session } from "../platform/types";

const N = 2000;
const lists: Session[][] = [];
for (let i = 0; i < 4; i++) {
  // Different objects and statuses each time, as a real poll delivers them.
  lists.push(manySessions(N).map((s, j) => ({ ...s, status: (j + i) % 3 === 0 ? "Running" : s.status })));
}

let app: { p: FakePlatform; container: HTMLElement } | null = null;
async function mounted() {
  if (app) return app;
  const p = FakePlatform.signedIn({ sessions: lists[0] });
  const { container } = render(App, { props: { platform: p } });
  for (let i = 0; i < 100 && !container.querySelector("[data-testid=session-row]"); i++) await tick();
  app = { p, container };
  return app;
}

let round = 0;

describe(`${N} sessions`, () => {
  bench(
    "filter + sort only",
    () => {
      visibleSessions(lists[round++ % lists.length], NO_FILTER, DEFAULT_SORT);
    },
    { time: 500 },
  );

  bench(
    "new list arrives → rows in the DOM (mounted view)",
    async () => {
      const { p, container } = await mounted();
      const list = lists[round++ % lists.length];
      p.emitSessions({ sessions: list });
      flushSync();
      const rows = container.querySelectorAll("[data-testid=session-row]").length;
      if (rows === 0 || rows > 80) throw new Error(`expected a window of rows, got ${rows}`);
    },
    { time: 1500 },
  );

  bench(
    "first list: mount the app and render the list",
    async () => {
      const p = FakePlatform.signedIn({ sessions: lists[round++ % lists.length] });
      const r = render(App, { props: { platform: p } });
      for (let i = 0; i < 200 && !r.container.querySelector("[data-testid=session-row]"); i++) await tick();
      if (!r.container.querySelector("[data-testid=session-row]")) throw new Error("the list never rendered");
      r.unmount();
    },
    { time: 1500 },
  );
});
