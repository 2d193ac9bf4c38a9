#!/usr/bin/python3
"""Write tan-expected.json: astropy.wcs pixel<->sky values for a few TAN headers.

Run with Debian's python3-astropy:  /usr/bin/python3 test/wcs/make_expected.py
Pixel coordinates are FITS 1-based (origin=1), sky coordinates in degrees.
"""
import json
import os

import numpy as np
from astropy.wcs import WCS

CASES = [
    # An SDSS-like frame: x along Dec, y along RA, slightly rotated, straddling RA 0.
    dict(name='sdss-frame-ra0', naxis=(1024, 745), crpix=(512.5, 373.0), crval=(0.01, -0.02),
         cd=((2.0e-7, 1.1e-4), (1.1e-4, -3.0e-7))),
    # A coadd patch: CRPIX far outside the image (the tract centre), north up, east left.
    dict(name='coadd-patch', naxis=(1024, 1024), crpix=(-988.5, 1500.5), crval=(0.0, 0.0),
         cd=((-1.1e-4, 0.0), (0.0, 1.1e-4))),
    # Near the north pole, rotated by 30 degrees.
    dict(name='near-north-pole', naxis=(2000, 2000), crpix=(1000.5, 1000.5), crval=(123.4, 89.0),
         cd=((-2.4056e-4, 1.3889e-4), (1.3889e-4, 2.4056e-4))),
    # Near the south pole, mirrored parity.
    dict(name='near-south-pole', naxis=(800, 600), crpix=(100.0, 50.0), crval=(300.0, -89.0),
         cd=((3.0e-4, 0.0), (0.0, 3.0e-4))),
    # A wide field (25 degrees) where the projection's curvature matters.
    dict(name='wide-field', naxis=(512, 512), crpix=(256.5, 256.5), crval=(350.0, 30.0),
         cd=((-0.05, 0.002), (0.001, 0.05))),
    # Exactly at the pole.
    dict(name='at-pole', naxis=(1000, 1000), crpix=(500.5, 500.5), crval=(45.0, 90.0),
         cd=((-1.0e-3, 0.0), (0.0, 1.0e-3))),
]


def make_wcs(case):
    w = WCS(naxis=2)
    w.wcs.ctype = ['RA---TAN', 'DEC--TAN']
    w.wcs.crpix = list(case['crpix'])
    w.wcs.crval = list(case['crval'])
    w.wcs.cd = np.array(case['cd'])
    w.wcs.radesys = 'ICRS'
    w.wcs.set()
    return w


def main():
    rng = np.random.default_rng(20240601)
    out = []
    for case in CASES:
        w = make_wcs(case)
        n1, n2 = case['naxis']
        # Corners (outer pixel edges), the centre, CRPIX, and random points over the image.
        xs = [0.5, n1 + 0.5, n1 + 0.5, 0.5, (n1 + 1) / 2, case['crpix'][0]]
        ys = [0.5, 0.5, n2 + 0.5, n2 + 0.5, (n2 + 1) / 2, case['crpix'][1]]
        xs += list(rng.uniform(0.5, n1 + 0.5, 20))
        ys += list(rng.uniform(0.5, n2 + 0.5, 20))
        sky = w.all_pix2world(np.array([xs, ys]).T, 1)
        pix2sky = [[float(x), float(y), float(s[0]), float(s[1])] for x, y, s in zip(xs, ys, sky)]
        # Sky points: the sky positions of other random pixels, perturbed so they are not
        # exact images of the points above.
        px = rng.uniform(0.5, n1 + 0.5, 20)
        py = rng.uniform(0.5, n2 + 0.5, 20)
        s = w.all_pix2world(np.array([px, py]).T, 1)
        ras = (s[:, 0] + rng.normal(0, 1e-4, 20)) % 360.0
        decs = np.clip(s[:, 1] + rng.normal(0, 1e-4, 20), -90, 90)
        pix = w.all_world2pix(np.array([ras, decs]).T, 1)
        sky2pix = [[float(r), float(d), float(p[0]), float(p[1])] for r, d, p in zip(ras, decs, pix)]
        out.append(dict(
            name=case['name'],
            naxis=list(case['naxis']),
            wcs=dict(crpix=list(case['crpix']), crval=list(case['crval']),
                     cd=[list(row) for row in case['cd']]),
            pix2sky=pix2sky,
            sky2pix=sky2pix,
        ))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'tan-expected.json')
    with open(path, 'w') as f:
        json.dump(dict(generator='astropy.wcs ' + __import__('astropy').__version__,
                       convention='FITS 1-based pixels, degrees', cases=out), f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
