#!/bin/sh
# Aladin desktop (Debian's aladin, offline: -local -nogui under xvfb-run) finding an image the
# IVOA way against a running vodax: an SIA 2.0 query by position, the first record's DataLink
# document (its access_url), the `#this` link of that document; Aladin loads the image that link
# names and the SIA answer (the ObsCore records, drawn as their footprints), and saves the view.
# Usage: sh conformance/sia_aladin.sh URL OUTDIR      (apt-get install -y aladin xvfb)
set -eu
URL=${1:?vodax URL}
OUT=${2:?output folder}
mkdir -p "$OUT"
RA=0.05
DEC=0.0
SIA="$URL/image/v0/sia/query?POS=CIRCLE%20$RA%20$DEC%200.01&DPTYPE=image&MAXREC=5"
# The flow a VO client makes: the SIA answer, the first record's DataLink document (its
# access_url), that document's #this FITS link; both files are kept for Aladin, whose scripts
# (-local) load remote HiPS but not other remote URLs (tried: "load URL" and "get File(URL)" send
# no request at all). Prints the image centre.
CENTRE=$(/usr/bin/python3 - "$SIA" "$OUT" <<'PY'
import sys, io, urllib.request
from astropy.io.votable import parse_single_table
def fetch(url):
    with urllib.request.urlopen(url) as r:
        return r.read()
sia_bytes = fetch(sys.argv[1])
open(sys.argv[2] + "/sia.xml", "wb").write(sia_bytes)
records = parse_single_table(io.BytesIO(sia_bytes)).to_table()
if len(records) == 0:
    sys.exit("SIA found no image at the position")
first = records[0]
links = parse_single_table(io.BytesIO(fetch(str(first["access_url"])))).to_table()
this = [l for l in links if l["semantics"] == "#this" and str(l["content_type"]).startswith("image/fits")]
if not this:
    sys.exit("the DataLink document has no #this FITS link")
open(sys.argv[2] + "/image.fits", "wb").write(fetch(str(this[0]["access_url"]) + "?plane=image"))
print(f'{first["s_ra"]} {first["s_dec"]} {this[0]["access_url"]}')
PY
)
set -- $CENTRE
echo "ok   SIA -> DataLink -> #this: $3 (centre $1 $2)"
SCRIPT="$OUT/sia.ajs"
cat > "$SCRIPT" <<AJS
load $OUT/image.fits
sync
load $OUT/sia.xml
sync
$1 $2
zoom 15arcmin
sync
pause 2
save $OUT/sia-image.png
quit
AJS
xvfb-run -a aladin -local -nogui < "$SCRIPT" > "$OUT/aladin.log" 2>&1 || true
if [ ! -s "$OUT/sia-image.png" ]; then echo "FAIL Aladin saved no sia-image.png (see $OUT/aladin.log)"; exit 1; fi
if grep -q "Data format not recognized" "$OUT/aladin.log"; then echo "FAIL Aladin could not read a file (see $OUT/aladin.log)"; exit 1; fi
echo "ok   Aladin saved $OUT/sia-image.png: the image, with the SIA records marked at their positions"
