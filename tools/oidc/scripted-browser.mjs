// A stand-in for the user's browser in end-to-end tests: given the sign-in URL the app
// opens (SKYPORT_BROWSER="node tools/oidc/scripted-browser.mjs"), it logs in to the local
// oidc-provider as SCRIPTED_USER (default alice), consents, and follows the redirect back
// to the app's loopback listener, as a person would. Exits 0 when the app got its answer.
const start = process.argv[process.argv.length - 1];
const user = process.env.SCRIPTED_USER || "alice";
const jar = new Map();

function remember(res) {
  for (const c of res.headers.getSetCookie?.() ?? []) {
    const [pair] = c.split(";");
    const i = pair.indexOf("=");
    jar.set(pair.slice(0, i).trim(), pair.slice(i + 1));
  }
}
const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");

function hidden(html) {
  const out = [];
  for (const m of html.matchAll(/<input[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(m[0])?.[1];
    const value = /value="([^"]*)"/.exec(m[0])?.[1];
    if (name && value !== undefined) out.push([name, value]);
  }
  return out;
}

let url = new URL(start);
let form = null;
for (let i = 0; i < 20; i++) {
  if (url.hostname === "127.0.0.1" && url.pathname === "/callback") {
    const res = await fetch(url, { redirect: "manual" });
    process.exit(res.ok ? 0 : 1);
  }
  const init = { redirect: "manual", headers: { cookie: cookieHeader() } };
  if (form) {
    init.method = "POST";
    init.body = new URLSearchParams(form);
    init.headers["content-type"] = "application/x-www-form-urlencoded";
  }
  form = null;
  const res = await fetch(url, init);
  remember(res);
  const loc = res.headers.get("location");
  if (loc) {
    url = new URL(loc, url);
    continue;
  }
  const html = await res.text();
  const action = /action="([^"]*)"/.exec(html)?.[1];
  if (!action) {
    console.error("scripted browser: no form at", url.href);
    process.exit(1);
  }
  const fields = hidden(html).filter(([k]) => k !== "login" && k !== "password");
  if (html.includes('name="login"')) fields.push(["login", user], ["password", "any-password"]);
  url = new URL(action, url);
  form = fields;
}
console.error("scripted browser: too many pages");
process.exit(1);
