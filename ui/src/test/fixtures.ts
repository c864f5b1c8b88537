// Test data: what the backend answers over the simulated platform, as plain values. No rule
// of the product is restated here (quota, pruning, validation, wording, defaults all live in
// Rust): where a test needs the backend to decide, it scripts the answer with these values.
import type { AuthInfo, CertState, CertView, CredentialStatus, PlatformLoad, Quota, Session, SignInRecord } from "../platform/types";
import { AppError } from "../platform/types";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");

let idCounter = 0;
/** A Skaha-like session id: 8 characters, a letter then `[a-z0-9]`. */
export function fakeId(seed = idCounter++): string {
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  let x = (seed + 1) * 2654435761;
  let id = letters[Math.abs(x) % 26];
  for (let i = 0; i < 7; i++) {
    x = (x * 1103515245 + 12345) % 2147483647;
    id += chars[Math.abs(x) % 36];
  }
  return id;
}

export function makeSession(over: Partial<Session> & { name: string }, now = Date.now()): Session {
  const kind = over.kind ?? "notebook";
  const start = now - 2 * HOUR;
  return {
    id: fakeId(),
    kind,
    status: "Running",
    image: "images.canfar.net/skaha/astroml:latest",
    userid: "alice",
    startTime: iso(start),
    expiryTime: iso(start + (kind === "headless" ? 14 : 4) * DAY),
    connectUrl: kind === "headless" ? null : `https://ws-uv.canfar.net/session/${kind}/x/lab`,
    requestedCores: 2,
    requestedRamGb: 8.59,
    requestedGpus: 0,
    coresInUse: 0.012,
    ramInUseGb: 0.54,
    fixedResources: true,
    appId: null,
    ...over,
  };
}

/** A realistic small list: what a user with a few sessions sees. */
export function demoSessions(now = Date.now()): Session[] {
  return [
    makeSession({ id: "k3x9q2ab", name: "notebook1", kind: "notebook" }, now),
    makeSession(
      {
        id: "d7m2p9zq",
        name: "desktop1",
        kind: "desktop",
        status: "Pending",
        image: "images.canfar.net/skaha/desktop:latest",
        startTime: null,
        expiryTime: null,
        requestedCores: null,
        requestedRamGb: null,
        coresInUse: null,
        ramInUseGb: null,
        fixedResources: false,
      },
      now,
    ),
    makeSession(
      {
        id: "c4rta001",
        name: "carta1",
        kind: "carta",
        image: "images.canfar.net/skaha/carta:5.0",
        startTime: iso(now - 3 * DAY - 20 * HOUR),
        expiryTime: iso(now + 4 * HOUR),
        requestedCores: 4,
        requestedRamGb: 16,
        coresInUse: 1.5,
        ramInUseGb: 9.2,
      },
      now,
    ),
    makeSession(
      {
        id: "h1job001",
        name: "fit-1",
        kind: "headless",
        status: "Completed",
        image: "images.canfar.net/skaha/terminal:1.1.2",
        coresInUse: null,
        ramInUseGb: null,
      },
      now,
    ),
    makeSession(
      {
        id: "h1job002",
        name: "fit-2",
        kind: "headless",
        status: "Failed",
        image: "images.canfar.net/skaha/terminal:1.1.2",
        coresInUse: null,
        ramInUseGb: null,
      },
      now,
    ),
  ];
}

/** Many headless replicas (`job-1..N`), as one large launch produces. */
export function manySessions(n: number, now = Date.now()): Session[] {
  const statuses = ["Running", "Pending", "Completed", "Running", "Failed"] as const;
  return Array.from({ length: n }, (_, i) =>
    makeSession(
      {
        id: fakeId(100_000 + i),
        name: `job-${i + 1}`,
        kind: "headless",
        status: statuses[i % statuses.length],
        image: "images.canfar.net/skaha/terminal:1.1.2",
        startTime: iso(now - (i % 300) * 60_000),
        expiryTime: iso(now + 14 * DAY - (i % 300) * 60_000),
        requestedCores: 1 + (i % 4),
        requestedRamGb: 4 * (1 + (i % 3)),
        coresInUse: (i % 7) / 10,
        ramInUseGb: (i % 5) / 2,
      },
      now,
    ),
  );
}

export const DEMO_IMAGES = [
  { id: "images.canfar.net/skaha/astroml:latest", kinds: ["notebook", "headless"], digest: null },
  { id: "images.canfar.net/skaha/astroml:24.07", kinds: ["notebook", "headless"], digest: null },
  { id: "images.canfar.net/skaha/base-notebook:latest", kinds: ["notebook"], digest: null },
  { id: "images.canfar.net/skaha/desktop:latest", kinds: ["desktop"], digest: null },
  { id: "images.canfar.net/skaha/carta:4.1", kinds: ["carta"], digest: null },
  { id: "images.canfar.net/skaha/carta:5.0", kinds: ["carta"], digest: null },
  { id: "images.canfar.net/skaha/firefly:2024.3", kinds: ["firefly"], digest: null },
  { id: "images.canfar.net/skaha/terminal:1.1.2", kinds: ["desktop-app", "headless"], digest: null },
  { id: "images.canfar.net/skaha/marimo:latest", kinds: ["contributed"], digest: null },
  { id: "images.canfar.net/lsst/lsst_v24:latest", kinds: ["notebook", "headless"], digest: null },
];

export const DEMO_CONTEXT = {
  cores: { default: 2, defaultRequest: 1, defaultLimit: 8, options: Array.from({ length: 16 }, (_, i) => i + 1) },
  memoryGb: {
    default: 8,
    defaultRequest: 4,
    defaultLimit: 32,
    options: [1, 2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 26, 28, 30, 32, 36, 40, 44, 48, 56, 64, 80, 92, 112, 128, 140, 170, 192],
  },
  gpus: { default: null, defaultRequest: null, defaultLimit: null, options: [1, 2, 4] },
  maxInteractiveSessions: 3,
};

/** The fake's certificate file. */
export const FAKE_CERT_PATH = "/fake/.ssl/cadcproxy.pem";

/** What the backend's monitor says about each state (its words, as data). */
const COUNTDOWN: Record<CertState, string | null> = {
  fine: "9 d left",
  expiring: "1 d 23 h left",
  expired: "expired 2 h 1 min ago",
  missing: null,
  invalid: null,
};

/**
 * A certificate as the backend's monitor reports it. `fine`: 9 days of 10 left; `expiring`:
 * 1 d 23 h of 10 days left; `expired`: ran out 2 h ago; `missing`: no file; `invalid`: a file
 * that cannot be used (with the backend's kind of message).
 */
export function makeCert(
  state: CertState,
  now = Date.now(),
  over: { notBefore?: number; notAfter?: number; countdown?: string } = {},
): CertView {
  if (state === "missing") return { path: FAKE_CERT_PATH, state, info: null, countdown: null, problem: null };
  if (state === "invalid") {
    return {
      path: FAKE_CERT_PATH,
      state,
      info: null,
      countdown: null,
      problem: `${FAKE_CERT_PATH} holds a certificate but no private key; obtain a new certificate`,
    };
  }
  const notAfter =
    over.notAfter ?? (state === "fine" ? now + 9 * DAY : state === "expiring" ? now + DAY + 23 * HOUR + 30 * 60_000 : now - 2 * HOUR - 60_000);
  const notBefore = over.notBefore ?? notAfter - 10 * DAY;
  return {
    path: FAKE_CERT_PATH,
    state,
    info: {
      subject: "CN=alice_3f9a,OU=cadc,O=hia,C=ca",
      issuer: "CN=Skyport Sim CA,O=skyport-sim",
      not_before: iso(notBefore),
      not_after: iso(notAfter),
      serial: "4a:0f:93:11",
      path: FAKE_CERT_PATH,
      chain_len: 1,
      key_matches: true,
      key_type: "RSA 2048",
    },
    countdown: over.countdown ?? COUNTDOWN[state],
    problem: null,
  };
}

/** What a completed OIDC sign-in leaves behind (the demo user at the test provider). */
export function demoSignIn(now = Date.now()): SignInRecord {
  return {
    issuer: "https://login.example.org/realms/canfar",
    clientId: "skyport-desktop",
    identity: { subject: "7c1e0b52-alice", name: "Alice Astronomer", email: "alice@example.org", username: "alice" },
    accessExpiresAt: iso(now + 5 * 60_000),
    hasRefreshToken: true,
    signedInAt: iso(now - 2 * HOUR),
    refreshedAt: iso(now - 60_000),
  };
}

export const DEMO_PASSWORD = "skyport-demo";

/** What the backend counts for `demoSessions()`: three interactive sessions active of three. */
export const DEMO_QUOTA: Quota = { used: 3, max: 3 };

/** The platform's load as the sim reports it. */
export function demoLoad(quota: Quota): PlatformLoad {
  return {
    stats: {
      coresRequested: 377.5,
      coresAvailable: 960,
      ramRequestedGb: 1234.5,
      ramAvailableGb: 4096,
      maxCoresPerSession: 8,
      maxRamGbPerSession: 32,
    },
    quota,
    asOf: iso(Date.now()),
  };
}

export const SIGNED_OUT: CredentialStatus = {
  state: "signed_out",
  headline: "Not signed in",
  advice: "Open Credentials to sign in or paste a token.",
  expiresAt: null,
};

export const SIGNED_IN_TOKEN: CredentialStatus = {
  state: "signed_in",
  headline: "Signed in with a saved token",
  advice: "Kept in the test keyring.",
  expiresAt: null,
};

/** How the backend answers a wrong CADC username or password. */
export const WRONG_PASSWORD = new AppError(
  "permission_denied",
  "wrong username or password for https://ws-cadc.canfar.net/ac/login; check them and try again",
);

/** How the backend answers a renewal with nothing to renew with. */
export const NOTHING_TO_RENEW = new AppError(
  "sign_in_needed",
  "there is nothing to renew the certificate of sim with: remember your password (sign in with your password and keep it), add a ~/.netrc entry for ws-cadc.canfar.net, or sign in",
);

/** The sign-in options of a configured profile "sim" with an OIDC issuer. */
export function demoAuth(credential: CredentialStatus, configured: boolean): AuthInfo {
  return {
    profile: configured ? "sim" : null,
    oidcIssuer: configured ? "https://login.example.org/realms/canfar" : null,
    passwordLoginUrl: configured ? "https://ws-cadc.canfar.net/ac/login" : null,
    username: null,
    signIn: null,
    credential,
    storage: "the Secret Service keyring (e.g. GNOME Keyring)",
    passwordRemembered: false,
    signOut: null,
  };
}
