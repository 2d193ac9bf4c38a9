#!/bin/sh
# Aladin desktop (Debian's aladin, offline: -local -nogui under xvfb-run) against a running vodax:
# loads the r-band coadd HiPS, saves a view of it, then overlays the catalogue HiPS of
# DC_W13_Stripe82.Object and saves that. Needs the HiPS built first:
#   npm run vodax -- hips build --kind deepCoadd --filter r
#   npm run vodax -- hips catalog --level L2 --db DC_W13_Stripe82 --table Object
# Usage: sh conformance/hips_aladin.sh URL OUTDIR      (apt-get install -y aladin xvfb)
set -eu
URL=${1:?vodax URL}
OUT=${2:?output folder}
mkdir -p "$OUT"
SCRIPT="$OUT/view.ajs"
cat > "$SCRIPT" <<AJS
load $URL/image/v0/hips/L2/DR1/deepCoadd/r
0.0 +0.0
zoom 10arcmin
sync
pause 2
save $OUT/coadd-r.png
0.05 +0.0
zoom 2arcmin
sync
load $URL/db/v0/hips/L2/DC_W13_Stripe82/Object
sync
show "L2 DR1 deepCoadd r"
0.05 +0.0
zoom 2arcmin
sync
pause 3
save $OUT/coadd-r-objects.png
quit
AJS
xvfb-run -a aladin -local -nogui < "$SCRIPT" > "$OUT/aladin.log" 2>&1 || true
for f in coadd-r.png coadd-r-objects.png; do
  if [ ! -s "$OUT/$f" ]; then echo "FAIL Aladin saved no $f (see $OUT/aladin.log)"; exit 1; fi
  echo "ok   Aladin saved $OUT/$f"
done
