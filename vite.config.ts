import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The UI lives in ui/; the Tauri shell embeds ui/dist (tauri.conf.json frontendDist).
export default defineConfig(({ mode }) => ({
  root: "ui",
  plugins: [svelte()],
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "safari15",
    sourcemap: false,
  },
  server: { port: 1420, strictPort: true },
  // Vitest runs components in jsdom: use Svelte's browser build there.
  resolve: mode === "test" ? { conditions: ["browser"] } : undefined,
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    globals: true,
  },
}));
