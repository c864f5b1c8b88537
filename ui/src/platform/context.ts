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

/** The context map that provides a platform (for mounting a single component in tests). */
export function platformContext(platform: Platform): Map<unknown, unknown> {
  return new Map<unknown, unknown>([[KEY, platform]]);
}
