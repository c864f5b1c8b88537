#!/usr/bin/env bash
# Regenerate every PNG in icons/ from the two SVGs in icons/src (needs rsvg-convert: apt librsvg2-bin).
set -euo pipefail
cd "$(dirname "$0")/../icons"
for size in 32 128 256 512; do
  rsvg-convert -w "$size" -h "$size" src/skyport.svg -o "app-$size.png"
done
mv app-32.png 32x32.png; mv app-128.png 128x128.png; mv app-256.png 128x128@2x.png; mv app-512.png icon.png
# Tray: one icon per certificate/credential state (fine, expiring, expired, error).
for state in fine:#3fb950 expiring:#d29922 expired:#f85149 error:#8b949e; do
  name=${state%%:*}; colour=${state#*:}
  sed "s/STATUS/$colour/" src/tray.svg | rsvg-convert -w 64 -h 64 -o "tray-$name.png"
done
