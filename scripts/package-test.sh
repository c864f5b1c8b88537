#!/usr/bin/env bash
# The packages as a user gets them (after scripts/package.sh): the .deb installed with apt,
# its files checked by the tools the distributions use (lintian, desktop-file-validate,
# appstreamcli), the installed app run under Xvfb against the sim until it shows the session
# list, the installed CLI run, then the package purged: nothing of it may stay, the user's own
# files must. The .rpm's file list must match the .deb's.
# Needs root (or sudo) for apt; `make test` runs it under its display and keyring.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
fail() { printf 'package test: %s\n' "$*" >&2; exit 1; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

[ -s target/package/built.txt ] || fail "no packages were built: run make package first"
deb=$(grep '\.deb$' target/package/built.txt || true)
rpm=$(grep '\.rpm$' target/package/built.txt || true)
[ -f "$deb" ] && [ -f "$rpm" ] || fail "target/package/built.txt names no .deb and .rpm: run make package again"
name=$(dpkg-deb -f "$deb" Package)
work=$(mktemp -d)
# Whatever happens, the test leaves no package installed and no temporary files.
cleanup() {
  if dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "install ok installed"; then
    $SUDO apt-get purge -y -qq "$name" >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

say "lintian $deb"
lintian --fail-on error "$deb" | tee "$work/lintian.txt"

say "Installing $deb with apt"
dpkg-query -W "$name" >/dev/null 2>&1 && $SUDO apt-get purge -y -qq "$name" >/dev/null
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "./$deb" >/dev/null
status=$(dpkg-query -W -f='${Status}' "$name" 2>/dev/null || true)
[ "$status" = "install ok installed" ] || fail "$name did not install ($status)"
dpkg -L "$name" | sort > "$work/files"
while read -r f; do [ -d "$f" ] || echo "$f"; done < "$work/files" > "$work/deb-files"
for f in /usr/bin/skyport /usr/bin/skyport-desktop /usr/share/man/man1/skyport.1.gz \
  /usr/share/man/man1/skyport-ps.1.gz /usr/share/bash-completion/completions/skyport \
  /usr/share/zsh/vendor-completions/_skyport /usr/share/fish/vendor_completions.d/skyport.fish \
  /usr/share/metainfo/org.skyport.desktop.metainfo.xml /usr/share/applications/Skyport.desktop \
  /usr/share/icons/hicolor/scalable/apps/skyport-desktop.svg /usr/share/doc/"$name"/copyright; do
  grep -qx "$f" "$work/files" || fail "the package lacks $f"
  [ -e "$f" ] || fail "$f is listed but not installed"
done
for size in 16x16 24x24 32x32 48x48 64x64 128x128 256x256 512x512; do
  grep -qx "/usr/share/icons/hicolor/$size/apps/skyport-desktop.png" "$work/files" \
    || fail "no $size icon"
done
desktop-file-validate /usr/share/applications/Skyport.desktop
grep -qx 'MimeType=x-scheme-handler/skyport;' /usr/share/applications/Skyport.desktop \
  || fail "the desktop entry does not handle skyport:// links"
appstreamcli validate --no-net /usr/share/metainfo/org.skyport.desktop.metainfo.xml
page=$(man -l /usr/share/man/man1/skyport.1.gz 2>/dev/null) || fail "the man page does not render"
grep -q "skyport" <<<"$page" || fail "the man page is empty"
bash -c 'source /usr/share/bash-completion/completions/skyport && complete -p skyport' >/dev/null \
  || fail "the bash completion does not load"
# Every shared library the installed binaries need resolves on this system.
for b in /usr/bin/skyport /usr/bin/skyport-desktop; do
  missing=$(ldd "$b" | grep "not found" || true)
  [ -z "$missing" ] || fail "$b needs a library no dependency provides: $missing"
done

say "The installed app and CLI against the sim"
SKYPORT_E2E_APP=/usr/bin/skyport-desktop cargo test --locked --test e2e -- --ignored --exact \
  installed::the_installed_package_lists_sessions

say "Purging $name: only the user's own files stay"
home=$work/home; mkdir -p "$home"
env -u SKYPORT_HOME HOME=$home XDG_CONFIG_HOME=$home/.config SKYPORT_LOCAL_PLATFORMS=$work /usr/bin/skyport profiles add mine https://example.org/skaha >/dev/null
[ -s "$home/.config/skyport/config.toml" ] || fail "the installed CLI wrote no config.toml under $home"
$SUDO apt-get purge -y -qq "$name" >/dev/null
status=$(dpkg-query -W -f='${Status}' "$name" 2>/dev/null || true)
[ "$status" != "install ok installed" ] || fail "$name is still installed"
while read -r f; do
  [ -d "$f" ] && continue            # shared folders (/usr/share/man/man1, …) stay
  [ ! -e "$f" ] || fail "$f is still there after the purge"
done < "$work/files"
[ -s "$home/.config/skyport/config.toml" ] || fail "the purge took the user's config.toml"

say "The .rpm holds the same files"
rpm -qlp "$rpm" 2>/dev/null | sort > "$work/rpm-files"
# Every file of the .deb but the Debian documentation (copyright, changelog).
comm -23 <(grep -v '^/usr/share/doc/' "$work/deb-files") "$work/rpm-files" > "$work/missing"
[ ! -s "$work/missing" ] || fail "the .rpm lacks: $(tr '\n' ' ' < "$work/missing")"
requires=$(rpm -qp --requires "$rpm" 2>/dev/null)
grep -q webkit2gtk4.1 <<<"$requires" || fail "the .rpm does not require webkit2gtk4.1"

say "Package test passed: $(du -h "$deb" | cut -f1) .deb, $(dpkg-deb -f "$deb" Installed-Size) KiB installed"
