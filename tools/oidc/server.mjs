// A real OpenID Connect provider (panva/oidc-provider) on 127.0.0.1 for Skyport's sign-in
// tests and the demo. Not for production: its login page accepts any password.
//
//   node tools/oidc/server.mjs [--port N]     (0 = a free port)
//
// Prints one JSON line on stdout: {"issuer": "...", "client_id": "skyport-desktop", "audience": "skyport-sim"}.
// Features: authorization code + PKCE (S256, required), device flow (RFC 8628), dynamic client
// registration (RFC 7591), revocation (RFC 7009), refresh-token rotation, and JWT access tokens
// for the audience "skyport-sim" so the local platform can check them against the JWKS.
// Env: OIDC_ACCESS_TTL (seconds, default 300), OIDC_DEVICE_INTERVAL (seconds, default 1).
import http from "node:http";
import Provider from "oidc-provider";

const args = process.argv.slice(2);
const portArg = args.indexOf("--port");
const wantedPort = portArg >= 0 ? Number(args[portArg + 1]) : Number(process.env.OIDC_PORT || 0);
const accessTtl = Number(process.env.OIDC_ACCESS_TTL || 300);
const AUDIENCE = "skyport-sim";

const server = http.createServer();
await new Promise((resolve) => server.listen(wantedPort, "127.0.0.1", resolve));
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const oidc = new Provider(issuer, {
  clients: [
    {
      client_id: "skyport-desktop",
      client_name: "Skyport (test client)",
      application_type: "native",
      token_endpoint_auth_method: "none",
      // Native + loopback: any port is accepted at request time (RFC 8252 §7.3).
      redirect_uris: ["http://127.0.0.1/callback"],
      grant_types: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
      response_types: ["code"],
    },
  ],
  pkce: { required: () => true },
  scopes: ["openid", "offline_access", "profile", "email"],
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "preferred_username"],
  },
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    registration: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => "urn:skyport:sim",
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: "openid profile email offline_access",
        audience: AUDIENCE,
        accessTokenTTL: accessTtl,
        accessTokenFormat: "jwt",
      }),
    },
  },
  ttl: {
    AccessToken: accessTtl,
    DeviceCode: 600,
    RefreshToken: 14 * 24 * 3600,
    IdToken: 3600,
    Interaction: 3600,
    Session: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
  },
  rotateRefreshToken: true,
  cookies: { keys: ["skyport-test-cookie-key-not-secret"] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, email: `${id}@example.test`, email_verified: true, name: `User ${id}` };
      },
    };
  },
  // Short polling interval so device-flow tests do not wait 5 s per poll.
  extraParams: [],
});
oidc.proxy = false;
// Device flow interval (seconds).
const interval = Number(process.env.OIDC_DEVICE_INTERVAL || 1);
oidc.on("server_error", (ctx, err) => console.error("oidc server_error", err));

const callback = oidc.callback();
server.on("request", (req, res) => callback(req, res));
console.log(JSON.stringify({ issuer, client_id: "skyport-desktop", audience: AUDIENCE, device_interval: interval }));

const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
