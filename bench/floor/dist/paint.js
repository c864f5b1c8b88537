// Two frames after the page ran: its table is on screen (the same mark Skyport's list makes).
requestAnimationFrame(() =>
  requestAnimationFrame(() =>
    window.__TAURI_INTERNALS__.invoke("painted", { pageMs: Math.round(performance.now()) }),
  ),
);
