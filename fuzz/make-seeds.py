#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (but cert_bundle, see
fixtures/make-cert-seeds.sh) into corpus/<target>/. Small, realistic inputs: CADC's real
WWW-Authenticate set, Skaha's current and historic response shapes, netrc files, service
URLs people paste, and the relay's requests and headers. Run from anywhere."""
import os, shutil

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
SECRET = "3f9a1c0e7b2d4f6a8c1e3b5d7f9a0c2e4b6d8f1a3c5e7b9d0f2a4c6e8b1d3f5a"  # relay_gate.rs

def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

for t in ["challenge", "skaha_json", "events_table", "netrc", "service_url", "discovery", "canfar_config", "relay_gate", "relay_rewrite", "credentials", "vospace_node"]:
    shutil.rmtree(os.path.join(ROOT, t), ignore_errors=True)

# --- challenge: one header value per line -------------------------------------------
write("challenge", "cadc-capabilities.txt",
      'ivoa_bearer standard_id="ivo://ivoa.net/sso#tls-with-password", access_url="https://ws-cadc.canfar.net/ac/login"\n'
      'ivoa_bearer standard_id="ivo://ivoa.net/sso#OpenID", access_url="https://ws-cadc.canfar.net/ac"\n'
      'Bearer\n'
      'ivoa_x509 standard_id="ivo://ivoa.net/sso#BasicAA", access_url="https://ws.cadc-ccda.hia-iha.nrc-cnrc.gc.ca/cred/auth/priv"\n'
      'ivoa_x509')
write("challenge", "cadc-one-line-hack.txt",
      'Bearer, ivoa_bearer standard_id="ivo://ivoa.net/sso#tls-with-password", '
      'access_url="https://ws-cadc.canfar.net/ac/login", HACK=temporary, ivoa_x509 '
      'standard_id="ivo://ivoa.net/std/CDP#proxy-1.0", access_url="https://ws-cadc.canfar.net/cred/generate", ivoa_x509')
write("challenge", "bearer-error.txt",
      'Bearer realm="skaha", error="invalid_token", error_description="The access token expired \\"2026-07-13\\""')
write("challenge", "basic-negotiate-token68.txt",
      'Basic realm="CADC", charset="UTF-8"\nNegotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1MIIGcaADAgEFoQMCAQ6i==\nDigest realm = "a\\"b" , qop=auth, nonce=abc')
write("challenge", "ivoa-cookie-gaia.txt",
      'ivoa_cookie standard_id="ivo://ivoa.net/sso#tls-with-password", access_url="https://gea.esac.esa.int/tap-server/login"')
write("challenge", "malformed.txt",
      'Basic realm="x" junk, ivoa_x509\nBearer realm="unterminated\n, ,\n=x, Basic\n\u00e9t\u00e9 realm="\u00e9"')

# --- skaha_json ----------------------------------------------------------------------
write("skaha_json", "sessions-current.json", """[
  {"id": "k3x9q2ab", "userid": "jdoe", "runAsUID": "20001", "runAsGID": "20001",
   "supplementalGroups": [20001, 30017], "image": "images.canfar.net/skaha/astroml:latest",
   "type": "notebook", "status": "Running", "name": "notebook1",
   "startTime": "2026-07-13T22:57:10Z", "expiryTime": "2026-07-17T22:57:10Z",
   "connectURL": "https://ws-uv.canfar.net/session/notebook/k3x9q2ab/lab/tree/arc/home/jdoe?token=k3x9q2ab",
   "requestedRAM": "8.59", "requestedCPUCores": "2", "requestedGPUCores": "0",
   "ramInUse": "0.54", "cpuCoresInUse": "0.012", "isFixedResources": true},
  {"id": "h7m2p9qz", "userid": "jdoe", "image": "images.canfar.net/skaha/terminal:1.1.2",
   "type": "headless", "status": "Pending", "name": "job-3", "connectURL": "",
   "requestedRAM": "4", "requestedCPUCores": "0.250", "isFixedResources": "flexible"}
]""")
write("skaha_json", "sessions-legacy.json", """[
  {"id": "abcd1234", "userid": "alice", "image": "images.canfar.net/canucs/canucs:1.2.5",
   "type": "desktop-app", "status": "Succeeded", "name": "<none>", "appid": "xterm",
   "startTime": "<none>", "expiryTime": "2023-02-01T10:00:00.123+01:00",
   "requestedRAM": "16G", "ramInUse": "67M", "gpuRAMInUse": "560M / 8192M",
   "coresInUse": "561m", "requestedGPUCores": "<none>", "isFixedResources": "fixed"},
  {"id": 12345678, "type": "Contributed", "status": "Error", "ramInUse": "90Mi"},
  {"id": "", "name": "no id"}, null, 7, "x"
]""")
write("skaha_json", "session-one.json",
      '{"id": "k3x9q2ab", "type": "carta", "status": "Terminating", "name": "carta1", '
      '"connectURL": "https://ws-uv.canfar.net/session/carta/http/k3x9q2ab/", "requestedRAM": "1.5Gi", '
      '"requestedCPUCores": 4, "isFixedResources": false}')
write("skaha_json", "images.json", """[
  {"id": "images.canfar.net/skaha/astroml:latest", "types": ["notebook", "headless"], "digest": "sha256:0123abcd"},
  {"id": "images.canfar.net/cadc/carta:4.1", "types": ["carta"]},
  {"id": "  localhost/x ", "types": ["desktop-app", 3, "firefly"]}, {"id": ""}, {"types": []}
]""")
write("skaha_json", "context-helm.json",
      '{"cores": {"default": 2, "defaultRequest": 1, "defaultLimit": 8, "options": [1,2,3,4,5,6,7,8,16]},'
      ' "memoryGB": {"default": 8, "defaultRequest": 4, "defaultLimit": 32, "options": [1,2,4,6,8,10,12,16,32,64,192]},'
      ' "gpus": {"options": [1,2,28]}, "maxInteractiveSessions": "5"}')
write("skaha_json", "context-limitrange.json",
      '{"cores": {"defaultHeadless": "1", "defaultRequest": "0.5", "options": ["1", "2", 4.0]},'
      ' "memoryGB": {"default": "8", "options": []}, "gpus": {}, "maxInteractiveSessions": 3}')
write("skaha_json", "stats-current.json",
      '{"cores": {"requestedCPUCores": 377.5, "cpuCoresAvailable": 960.0, "maxCPUCores": {"cpuCores": 8.0, "withRam": "32Gi"}},'
      ' "ram": {"requestedRAM": "1234.5G", "ramAvailable": "4096G", "maxRAM": {"ram": "32Gi", "withCPUCores": 8.0}}}')
write("skaha_json", "stats-2022.json",
      '{"cores": {"coresInUse": "12", "coresAvailable": 960, "maxCores": {"cores": 16, "withRam": "64G"}},'
      ' "ram": {"ramInUse": "90Mi", "ramAvailable": "4T"},'
      ' "instances": {"session": 3, "desktopApp": 1, "headless": 7, "total": 11}}')

# --- events_table --------------------------------------------------------------------
write("events_table", "events.txt",
      "TYPE      REASON             MESSAGE                                                        FIRST-TIME             LAST-TIME\n"
      "Normal    Scheduled          Successfully assigned skaha-workload/skaha-notebook-k3x9q2ab-x to node12   2026-07-13T22:57:10Z   2026-07-13T22:57:10Z\n"
      "Normal    Pulling            Pulling image \"images.canfar.net/skaha/astroml:latest\"      <nil>                  <nil>\n"
      "Warning   FailedMount        MountVolume.SetUp failed for volume \"cavern\"               2026-07-13T22:57:12Z   <none>\n")
write("events_table", "none.txt", "<none>\n")
write("events_table", "odd.txt", "\r\n  Warning BackOff restarting\r\nTYPE REASON\n\t\nNormal Killing Stopping container x y z\n")

# --- netrc ---------------------------------------------------------------------------
write("netrc", "cadc.netrc",
      "# CADC\nmachine ws-cadc.canfar.net login jdoe password \"s3cret pass\"\n"
      "machine ws.cadc-ccda.hia-iha.nrc-cnrc.gc.ca\n  login jdoe\n  password p#ss\\ word\n  account cadc\n"
      "default login anonymous password me@example.org\n")
write("netrc", "macdef.netrc",
      "machine ftp.example.org user bob password x\nmacdef init\n  cd /pub\n  ls\n\n"
      "MACHINE Example.ORG login \"a \\\"b\\\"\" password \"\"\n")
write("netrc", "errors.netrc", "machine\n")
write("netrc", "error-key.netrc", "machine h login x passwd y\n")
write("netrc", "round-trip.bin",
      b"\0ws-cadc.canfar.net\x02jdoe\x02p\"a\\ss w\x02acct\x01\x02anon\x02guest\x01WS-CADC.canfar.net\x02jane\x02x")

# --- service_url: one per file -------------------------------------------------------
for i, u in enumerate([
    "https://ws-uv.canfar.net/skaha", "https://ws-uv.canfar.net/skaha/v1/",
    "http://127.0.0.1:8123/skaha/v0", " https://src.canfar.net/skaha/v1?x=1#f \n",
    "https://[::1]:8443/a/b/skaha/v2/", "ftp://host/skaha", "ws-uv.canfar.net/skaha",
    "https://user:pw@host.example/skaha", "https://xn--bcher-kva.example/skaha%2Fv1",
    "http://h/v1/v2", "HTTPS://WS-UV.CANFAR.NET:443/./skaha/../skaha//v1",
    # skyport:// links (applink) go through the same harness.
    "skyport://session/k3x9q2ab", "SKYPORT://Session/a1b2/",
    "skyport://platform/add?url=https%3A%2F%2Fws-uv.canfar.net%2Fskaha",
    "skyport://platform/add?url=ivo://swesrc.chalmers.se/skaha&url=x",
    "skyport://platform/add?url=http://[::1]:8080/skaha", "skyport://delete/all",
]):
    write("service_url", f"url{i:02}.txt", u)

# --- canfar_config: the canfar client's ~/.canfar/config.yaml (skaha-api.md 5.1) -----------
write("canfar_config", "two-contexts.yaml", """version: 1
active: {authentication: srcnet, server: swesrc, servers: {cadc: canfar, srcnet: swesrc}}
authentication:
  cadc: {mode: x509, path: /home/u/.ssl/cadcproxy.pem, expiry: 1767225600.0}
  srcnet:
    mode: oidc
    endpoints: {discovery: 'https://ska-iam.stfc.ac.uk/.well-known/openid-configuration', token: 'https://ska-iam.stfc.ac.uk/token'}
    client: {identity: client-123, secret: s3cr3t}
    token: {access: acc-1, refresh: ref-2}
servers:
  canfar: {idp: cadc, uri: 'ivo://cadc.nrc.ca/skaha', url: 'https://ws-uv.canfar.net/skaha', version: v1, auths: [x509]}
  swesrc: {idp: srcnet, uri: 'ivo://swesrc.chalmers.se/skaha', url: 'https://services.swesrc.chalmers.se/skaha', version: v0, auths: [oidc]}
registry: {url: images.canfar.net, username: u, secret: s}
""")
write("canfar_config", "anchors.yaml", "a: &x {url: 'https://h/skaha'}\nservers: {one: *x, two: *x}\n")
write("canfar_config", "broken.yaml", "servers: [unclosed\n  token: {access: SECRET")
write("canfar_config", "wrong-types.yaml", "servers: 3\nauthentication: [1, 2]\n")

# --- discovery: \0 then a resource-caps text, or a capabilities document ----------------
write("discovery", "cadc-resource-caps.txt", b"\0" + (
    "#\n# This file maps resource identifiers to the location of capability\n# information.\n#\n\n"
    "ivo://cadc.nrc.ca/reg = https://ws.cadc-ccda.hia-iha.nrc-cnrc.gc.ca/reg/capabilities\n\n"
    "## canfar science platform\n"
    "ivo://cadc.nrc.ca/skaha = https://ws-uv.canfar.net/skaha/capabilities\n"
    "    ivo://cadc.nrc.ca/arc = https://ws-uv.canfar.net/arc/capabilities\n"
    "ivo://cadc.nrc.ca/cred = https://ws.cadc-ccda.hia-iha.nrc-cnrc.gc.ca/cred/capabilities\n").encode())
write("discovery", "verbinal-odd-lines.txt", b"\0" + (
    "  ivo://cadc.nrc.ca/gms   =    https://ws-cadc.canfar.net/ac/capabilities\n"
    "this line has no equals sign\n= https://orphan.example.org/capabilities\nivo://cadc.nrc.ca/empty =\n").encode())
write("discovery", "canfar-skaha.xml",
    '<?xml version="1.0" encoding="UTF-8"?>\n<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1">\n'
    '  <capability standardID="ivo://ivoa.net/std/VOSI#capabilities"><interface xsi:type="vs:ParamHTTP" role="std">'
    '<accessURL use="full">https://ws-uv.canfar.net/skaha/capabilities</accessURL></interface></capability>\n'
    '  <capability standardID="vos://cadc.nrc.ca~vospace/CADC/std/Proc#sessions-1.0">'
    '<interface xsi:type="vs:ParamHTTP" role="std" version="1.0"><accessURL use="base">https://ws-uv.canfar.net/skaha/v0</accessURL>'
    '<securityMethod standardID="ivo://ivoa.net/sso#cookie"/></interface>'
    '<interface xsi:type="vs:ParamHTTP" role="std" version="1.0"><accessURL use="base">https://ws-uv.canfar.net/skaha/v0</accessURL>'
    '<securityMethod standardID="ivo://ivoa.net/sso#token"/></interface></capability>\n'
    '  <capability standardID="http://www.opencadc.org/std/platform#session-1">'
    '<interface xsi:type="vs:ParamHTTP" role="std" version="1.0"><accessURL use="base">https://ws-uv.canfar.net/skaha/v1/session</accessURL>'
    '<securityMethod standardID="ivo://ivoa.net/sso#tls-with-certificate"/><securityMethod standardID="ivo://ivoa.net/sso#token"/></interface></capability>\n'
    '</vosi:capabilities>\n')
write("discovery", "srcnet-v0.xml",
    '<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0" xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<capability standardID="vos://cadc.nrc.ca~vospace/CADC/std/Proc#sessions-1.0">\n'
    '<interface xsi:type="vs:ParamHTTP" role="std" version="1.0"><accessURL use="base">https://services.swesrc.chalmers.se/skaha/v0</accessURL></interface>\n'
    '<interface xsi:type="vs:ParamHTTP" role="std" version="1.0"><accessURL use="base">https://services.swesrc.chalmers.se/skaha/v0</accessURL>'
    '<securityMethod standardID="ivo://ivoa.net/sso#token"/></interface>\n</capability>\n</vosi:capabilities>\n')
write("discovery", "cavern-cred-ac.xml",
    '<capabilities><capability standardID="ivo://ivoa.net/std/VOSpace/v2.0#nodes"><interface role="std">'
    '<accessURL use="base">https://ws-uv.canfar.net/arc/nodes?a=1&amp;b=&#50;</accessURL><securityMethod/>'
    '<securityMethod standardID="ivo://ivoa.net/sso#token"/></interface></capability>'
    '<capability standardID="ivo://ivoa.net/std/CDP#proxy-1.0"><interface><accessURL use="base">https://c/cred/auth/priv</accessURL>'
    '<securityMethod standardID="ivo://ivoa.net/sso#BasicAA"/></interface></capability>'
    '<capability standardID="ivo://ivoa.net/sso#OpenID"><interface><accessURL use="base">https://ws-cadc.canfar.net/ac/</accessURL></interface></capability>'
    '<capability standardID="ivo://ivoa.net/std/UMS#login-0.1"><interface><accessURL><![CDATA[https://ws-cadc.canfar.net/ac/login]]></accessURL></interface></capability>'
    '<capability standardID="http://www.opencadc.org/std/platform#session-2.1"><interface><accessURL use="base">https://h/skaha/session</accessURL></interface></capability>'
    '</capabilities>')
write("discovery", "html-error.html", '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n')

# --- relay_gate: path-and-query, then Cookie values; \1 = the secret, \2 = cookie name
G = [
    "/__skyport/\1?next=%2Fsession%2Fnotebook%2Fk3x9q2ab%2Flab%3Ftoken%3Dx",
    "/__skyport/\1/session/notebook/k3x9q2ab/api/kernels?1=2",
    "/session/notebook/k3x9q2ab/lab\0_xsrf=2|ab; \2=\1; theme=dark",
    "/page\0__sp000000000000=\1\0\2=wrong",
    "/__skyport/wrong/session\0\2=\1",
    f"/__skyport/{SECRET}?next=//evil.example/x",
    "/__skyport/\1?next=/%5Cevil&next=/a",
    "/__SKYPORT/\1/x\0 \2 = \1 ",
]
for i, g in enumerate(G):
    write("relay_gate", f"gate{i:02}.bin", g)

# --- relay_rewrite: selector, then Set-Cookie, Location, Origin, Referer tail, header name,
# Connection, Cookie values (\2 = relay cookie name, \3 = its renamed-cookie prefix)
R = [
    (0b00000000, ["_xsrf=2|ab; Domain=.canfar.net; Path=/session; Secure; SameSite=None",
                  "/session/notebook/k3x9q2ab/tree?a=1#f", "http://127.83.4.77:4000",
                  "/session/notebook/k3x9q2ab/lab?a", "accept", "keep-alive, X-Custom",
                  "_xsrf=t; \3sid=abc", "__spffffffffffff=other; CADC_SSO=page"]),
    (0b01000101, ["sid=abc; Path=/; HttpOnly; Max-Age=60", "//idp.example/login?x=1", "null",
                  "/session/carta/http/k3x9q2ab/", "x-forwarded-for", "close", "\3__Host-id=1"]),
    (0b10101010, ["__Host-id=1; Path=/; Secure", "https://ws-uv.canfar.net:8443/x", "https://evil.example",
                  "/session/contrib/abcd1234/app/", "authorization", "upgrade",
                  "CADC_SSO=forged; \3\2=forged"]),
    (0b11110011, ["\2=forged; Path=/", "tree", "HTTP://127.83.4.77:4000", "?next=/", "cookie", "", "a=b"]),
    (0b00100000, ["__Secure-x=1; partitioned; samesite=none", "/skaha/v1/session", " null ",
                  "/x", "x-custom", "X-Custom", "\3__spX=1"]),
    (0b00010100, ["garbage", "../../../skaha/v1/session", "", "session/notebook/k3x9q2ab/", "te", "",
                  ""]),
]
for i, (sel, fields) in enumerate(R):
    write("relay_rewrite", f"rewrite{i:02}.bin", bytes([sel]) + "\0".join(fields).encode())

# --- credentials: PLACE \0 URL \0 (announcement or SSH key) ---------------------------------
write("credentials", "domain.bin", "https://*.canfar.net\0https://ws-cadc.canfar.net/ac/login\0")
write("credentials", "path.bin", "https://gea.esac.esa.int/tap-server\0https://gea.esac.esa.int/tap-server/tap/sync\0")
write("credentials", "escape.bin", "https://host/tap/\0https://host/tap/..%2f..%2fadmin\0")
# Found by fuzzing (crashes-found/credentials-star-host*): a '*' inside an exact host.
write("credentials", "star-host.bin", "https:///*.b\0https://*.b/\0")
write("credentials", "loopback.bin", "http://127.0.0.1:8080/vo/\0http://127.0.0.1:8080/vo/x\0"
      '{"name":"Local demo platform","registry":"http://127.0.0.1:4000/reg/resource-caps","pid":1}')
write("credentials", "key.bin", "https://x.org\0https://x.org/\0-----BEGIN OPENSSH PRIVATE KEY-----\n"
      "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
      "-----END OPENSSH PRIVATE KEY-----\n")

# --- vospace_node: a node document, or \0 then a path ---------------------------------------
NODE = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<vos:node xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'uri="vos://cadc.nrc.ca~arc/home/alice" xsi:type="vos:ContainerNode">\n  <vos:properties>\n'
        '    <vos:property uri="ivo://ivoa.net/vospace/core#creator" readOnly="true">alice</vos:property>\n'
        '    <vos:property uri="ivo://ivoa.net/vospace/core#date" readOnly="true">2026-07-01T17:44:57.853</vos:property>\n'
        '    <vos:property uri="ivo://ivoa.net/vospace/core#length" readOnly="true">49335707583</vos:property>\n'
        '    <vos:property uri="ivo://ivoa.net/vospace/core#quota" readOnly="true">214748364800</vos:property>\n'
        '  </vos:properties>\n  <vos:nodes>\n'
        '    <vos:node uri="vos://cadc.nrc.ca~arc/home/alice/run%201%20&amp;%202.fits" xsi:type="vos:DataNode" busy="false">\n'
        '      <vos:properties>\n'
        '        <vos:property uri="ivo://ivoa.net/vospace/core#MD5" readOnly="true">md5:9e107d9d372bb6826bd81d3542a419d6</vos:property>\n'
        '        <vos:property uri="ivo://ivoa.net/vospace/core#length" readOnly="true">1024</vos:property>\n'
        '        <vos:property uri="ivo://ivoa.net/vospace/core#type" xsi:nil="true"></vos:property>\n'
        '      </vos:properties>\n      <vos:accepts />\n      <vos:provides />\n    </vos:node>\n'
        '    <vos:node uri="vos://cadc.nrc.ca!arc/home/alice/latest" xsi:type="vos:LinkNode">\n'
        '      <vos:target>vos://cadc.nrc.ca~arc/home/alice/run42</vos:target>\n    </vos:node>\n'
        '    <vos:node uri="vos://cadc.nrc.ca~arc/home/alice/.ssl" xsi:type="vos:ContainerNode"><vos:nodes /></vos:node>\n'
        '  </vos:nodes>\n</vos:node>\n')
write("vospace_node", "home-detail-max.xml", NODE)
write("vospace_node", "file.xml", '<vos:node xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
      'uri="vos://cadc.nrc.ca~arc/home/alice/x" xsi:type="vos:DataNode" busy="true"><vos:accepts/><vos:provides/></vos:node>')
write("vospace_node", "html-error.xml", "<html><body><h1>502 Bad Gateway</h1></body></html>")
write("vospace_node", "path.bin", b"\0/home/alice/run 1/x#2.fits")
write("vospace_node", "path-odd.bin", b"\0/projects//survey/../x%20y/")
