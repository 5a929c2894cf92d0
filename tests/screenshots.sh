#!/usr/bin/env bash
# Copies the page screenshots the browser tests took (tests/api/layout.rs and others, run by tests/run) into
# docs/screenshots/, at 1366 and 390 px wide, made small with pngquant (apt-get install pngquant).
# Run after tests/run when a page changes, and commit the result with the change.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v pngquant >/dev/null || { echo "$0: needs pngquant (apt-get install pngquant)" >&2; exit 1; }
shots=target/screenshots
ls "$shots"/layout-1366-*.png >/dev/null 2>&1 || { echo "$0: no screenshots in $shots: run tests/run first" >&2; exit 1; }
mkdir -p docs/screenshots
for width in 1366 390; do
  for png in "$shots"/layout-"$width"-*.png; do
    name=$(basename "$png" .png)
    pngquant --force --quality 60-85 --strip --output "docs/screenshots/${name#layout-}.png" -- "$png"
  done
done
# Beyond the top of each page: the settings forms (journey_admin.rs) and the digest mail as
# Chromium renders its HTML part with the inline chart (digest.rs).
for name in admin-routing-rules-form admin-sla-calendars-form digest-sqlite; do
  [ -f "$shots/$name.png" ] || { echo "$0: no $shots/$name.png: run tests/run first" >&2; exit 1; }
  pngquant --force --quality 60-85 --strip --output "docs/screenshots/${name%-sqlite}.png" -- "$shots/$name.png"
done
du -sh docs/screenshots
