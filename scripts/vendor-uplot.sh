#!/usr/bin/env bash
# Re-fetch the charting library the HTML report inlines (src/httptool/report/vendor/):
# uPlot's minified IIFE build, its stylesheet and its LICENSE, from the npm registry.
# Usage: scripts/vendor-uplot.sh [VERSION]   (default: the version pinned below)
set -euo pipefail
VERSION="${1:-1.6.31}"
DEST="$(cd "$(dirname "$0")/.." && pwd)/src/httptool/report/vendor"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
curl -fsSL "https://registry.npmjs.org/uplot/-/uplot-${VERSION}.tgz" -o "$TMP/uplot.tgz"
tar -xzf "$TMP/uplot.tgz" -C "$TMP"
mkdir -p "$DEST"
cp "$TMP/package/dist/uPlot.iife.min.js" "$DEST/uPlot.iife.min.js"
cp "$TMP/package/dist/uPlot.min.css" "$DEST/uPlot.min.css"
cp "$TMP/package/LICENSE" "$DEST/uPlot.LICENSE"
echo "$VERSION" > "$DEST/uPlot.VERSION"
echo "uPlot ${VERSION} -> $DEST"
ls -l "$DEST"
