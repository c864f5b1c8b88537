import { getContext, setContext } from "svelte";
import type { Platform } from "./types";

const KEY = Symbol("platform");

export function providePlatform(platform: Platform): void {
  setContext(KEY, platform);
}

export function usePlatform(): Platform {
  const p = getContext<Platform | undefined>(KEY);
  if (!p) throw new Error("No platform provided: wrap the component with providePlatform()");
  return p;
}
