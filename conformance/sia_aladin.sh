#!/bin/sh
# Aladin desktop (Debian's aladin, offline: -local -nogui under xvfb-run) finding an image the
# IVOA way against a running vodax: an SIA 2.0 query by position, the first record's DataLink
# document (its access_url), the `#this` link of that document; Aladin loads the SIA answer (the
# ObsCore records, drawn as their footprints) and the image the link names, and saves the view.
# Usage: sh conformance/sia_aladin.sh URL OUTDIR      (apt-get install -y aladin xvfb)
set -eu
URL=${1:?vodax URL}
OUT=${2:?output folder}
mkdir -p "$OUT"
RA=0.05
DEC=0.0
SIA="$URL/image/v0/sia/query?POS=CIRCLE%20$RA%20$DEC%200.01&DPTYPE=image&MAXREC=5"
# The DataLink document of the first record, then its #this link (astropy reads both).
THIS=$(/usr/bin/python3 - "$SIA" <<'PY'
import sys, io, urllib.request
from astropy.io.votable import parse_single_table
def table(url):
    with urllib.request.urlopen(url) as r:
        return parse_single_table(io.BytesIO(r.read())).to_table()
records = table(sys.argv[1])
if len(records) == 0:
    sys.exit("SIA found no image at the position")
links = table(str(records[0]["access_url"]))
this = [l for l in links if l["semantics"] == "#this" and str(l["content_type"]).startswith("image/fits")]
if not this:
    sys.exit("the DataLink document has no #this FITS link")
print(this[0]["access_url"])
PY
)
echo "ok   SIA -> DataLink -> #this: $THIS"
SCRIPT="$OUT/sia.ajs"
cat > "$SCRIPT" <<AJS
load $SIA
sync
load $THIS
sync
$RA $DEC
zoom 5arcmin
sync
pause 2
save $OUT/sia-image.png
quit
AJS
xvfb-run -a aladin -local -nogui < "$SCRIPT" > "$OUT/aladin.log" 2>&1 || true
if [ ! -s "$OUT/sia-image.png" ]; then echo "FAIL Aladin saved no sia-image.png (see $OUT/aladin.log)"; exit 1; fi
echo "ok   Aladin saved $OUT/sia-image.png"
