"""Reads a SODA cutout with astropy (every warning an error) and prints, as JSON, for each image
HDU: its size, LTV1/LTV2, and the pixel (0-based) astropy.wcs puts each given sky position at.
Usage: check_cutout_wcs.py FILE RA DEC [RA DEC ...]"""
import json
import sys
import warnings

warnings.simplefilter("error")

from astropy.io import fits  # noqa: E402
from astropy.wcs import WCS  # noqa: E402


def main(path, coords):
    positions = [(float(coords[i]), float(coords[i + 1])) for i in range(0, len(coords), 2)]
    out = []
    with fits.open(path) as hdus:
        for hdu in hdus:
            if hdu.data is None:
                continue
            h = hdu.header
            w = WCS(h)
            pixels = [[float(v) for v in w.all_world2pix([[ra, dec]], 0)[0]] for ra, dec in positions]
            out.append({
                "extname": h.get("EXTNAME"),
                "naxis1": h["NAXIS1"],
                "naxis2": h["NAXIS2"],
                "ltv1": h.get("LTV1"),
                "ltv2": h.get("LTV2"),
                "celestial": w.has_celestial,
                "pixels": pixels,
            })
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
