// Launch-form rules, mirroring what the Skaha server and the Science Portal accept.
import type { EnvVar, Image, LaunchForm, LaunchSpec } from "../platform/types";
import { naturalOrder, splitImage } from "./sessions";

/** The portal's input limit (the server itself lower-cases and truncates at 63). */
export const MAX_NAME = 15;
const NAME_RE = /^[A-Za-z0-9-]+$/;

/** Why a session name would be refused, or null when it is fine. */
export function nameProblem(name: string): string | null {
  const n = name.trim();
  if (!n) return "Give the session a name.";
  if (!NAME_RE.test(n)) return "Use only letters, digits and '-' (no spaces or other characters).";
  if (n.length > MAX_NAME) return `Keep the name to ${MAX_NAME} characters or fewer.`;
  return null;
}

/** The first free `<kind><n>` (n = 1, 2, …) among the existing names, e.g. "notebook3". */
export function defaultName(kind: string, existing: readonly string[]): string {
  const taken = new Set(existing.map((n) => n.toLowerCase()));
  const base = kind.replace(/[^A-Za-z0-9-]/g, "").toLowerCase() || "session";
  for (let i = 1; ; i++) {
    const candidate = `${base}${i}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** The names the replicas get: `<name>-1..N` when N > 1, else the name itself. */
export function replicaNames(name: string, replicas: number): string[] {
  const n = Math.max(1, Math.floor(replicas) || 1);
  if (n === 1) return [name];
  return Array.from({ length: n }, (_, i) => `${name}-${i + 1}`);
}

/** A short preview of replica names: "job-1, job-2, job-3 … job-8". */
export function replicaPreview(name: string, replicas: number): string {
  const names = replicaNames(name, replicas);
  if (names.length <= 4) return names.join(", ");
  return `${names.slice(0, 3).join(", ")} … ${names[names.length - 1]}`;
}

export interface ImageGroup {
  /** `registry/project` */
  group: string;
  images: { id: string; label: string }[];
}

/** Images for a kind, filtered by a search text, grouped by `registry/project`, sorted. */
export function groupImages(images: readonly Image[], kind: string, query = ""): ImageGroup[] {
  const q = query.trim().toLowerCase();
  const groups = new Map<string, { id: string; label: string }[]>();
  for (const img of images) {
    if (!img.kinds.includes(kind)) continue;
    if (q && !q.split(/\s+/).every((w) => img.id.toLowerCase().includes(w))) continue;
    const { registry, project, name } = splitImage(img.id);
    const group = [registry, project].filter(Boolean).join("/");
    const list = groups.get(group) ?? [];
    list.push({ id: img.id, label: name });
    groups.set(group, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => naturalOrder(a, b))
    .map(([group, list]) => ({
      group,
      images: list.sort((a, b) => naturalOrder(a.label, b.label)),
    }));
}

/** Why an environment row would be lost or refused, or null. Empty rows are ignored. */
export function envProblem(e: EnvVar): string | null {
  if (!e.name.trim() && !e.value) return null;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.name.trim())) return "Names use letters, digits and '_' and do not start with a digit.";
  if (e.value.includes("=")) return "The platform drops values that contain '='.";
  return null;
}

/** Why a free-form image path would be refused, or null. */
export function imagePathProblem(path: string): string | null {
  const p = path.trim();
  if (!p) return "Give the image path, e.g. myproject/myimage:1.0.";
  if (/\s/.test(p)) return "The image path cannot contain spaces.";
  if (p.split("/").length < 2) return "Give the project too: project/image:tag.";
  return null;
}

/** The form a remembered launch stands for: its own name, or the next free one when it has
 * none; a private image's secret is the one remembered in the keyring. */
export function specForm(spec: LaunchSpec, existing: readonly string[]): LaunchForm {
  const headless = spec.kind === "headless";
  return {
    kind: spec.kind,
    image: spec.image,
    name: spec.sessionName?.trim() || defaultName(spec.kind, existing),
    nameIsDefault: !spec.sessionName?.trim(),
    resources: spec.resources ?? { mode: "flexible" },
    cmd: headless ? (spec.cmd ?? null) : null,
    args: headless ? (spec.args ?? null) : null,
    env: headless ? (spec.env ?? []) : [],
    replicas: headless ? Math.max(1, spec.replicas ?? 1) : 1,
    keepAliveDays: spec.keepAliveDays ?? null,
    registry: spec.registryUser ? { username: spec.registryUser, secret: null, remember: false } : null,
  };
}

/** A launch in a few words: "4 cores, 16 GB · python fit.py · 10 replicas". */
export function specSummary(spec: LaunchSpec): string {
  const r = spec.resources ?? { mode: "flexible" };
  const parts = [
    r.mode === "fixed" ? `${r.cores} ${r.cores === 1 ? "core" : "cores"}, ${r.ram_gb} GB${r.gpus ? `, ${r.gpus} GPU` : ""}` : "flexible resources",
  ];
  const command = [spec.cmd, spec.args].filter(Boolean).join(" ");
  if (command) parts.push(command);
  if ((spec.replicas ?? 1) > 1) parts.push(`${spec.replicas} replicas`);
  if (spec.keepAliveDays) parts.push(`kept alive up to ${spec.keepAliveDays} ${spec.keepAliveDays === 1 ? "day" : "days"}`);
  return parts.join(" · ");
}
