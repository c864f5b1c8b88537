// A clock for countdowns. Call during a component's initialisation; it stops with the component.

/** `now` moves every `everyMs` milliseconds while the calling component is mounted. */
export function ticking(everyMs = 1000): { readonly now: number } {
  let now = $state(Date.now());
  $effect(() => {
    now = Date.now();
    const t = setInterval(() => (now = Date.now()), everyMs);
    return () => clearInterval(t);
  });
  return {
    get now() {
      return now;
    },
  };
}
