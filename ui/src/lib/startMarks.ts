import type { PageTimes } from "../bindings";

/** The page's steps to its first session list (ms on the page's clock, since its navigation
 * began), sent with the paint: `make bench` reports where start-up time goes inside the page. */
type Step = "script" | "status" | "list";
const marks: Partial<Record<Step, number>> = {};

const now = () => Math.round(performance.now());

/** Note a step the first time it happens. */
export function startMark(step: Step): void {
  marks[step] ??= now();
}

/** The steps so far, with the paint at `now`. */
export function pageTimes(): PageTimes {
  return { scriptMs: marks.script ?? null, statusMs: marks.status ?? null, listMs: marks.list ?? null, paintedMs: now() };
}
