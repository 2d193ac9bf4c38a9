#!/usr/bin/python3
"""Writes test/wcs/wcs-expected.json: FITS WCS test headers and astropy.wcs pixel<->sky values.

Run with Debian's python3 (python3-astropy): /usr/bin/python3 test/wcs/make_wcs_expected.py
Pixels are FITS 1-based (origin=1). Each header is sampled over its whole image on a grid.
"""
import json
import os
import warnings

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

warnings.simplefilter('ignore')

HEADERS = {
    'tan-cd': dict(NAXIS1=1024, NAXIS2=745, CTYPE1='RA---TAN', CTYPE2='DEC--TAN', CRPIX1=512.5, CRPIX2=373.0,
                   CRVAL1=0.004, CRVAL2=-0.03, CD1_1=1.5e-7, CD1_2=1.1e-4, CD2_1=1.1e-4, CD2_2=-1.5e-7),
    'tan-pc-cdelt-highdec': dict(NAXIS1=800, NAXIS2=600, CTYPE1='RA---TAN', CTYPE2='DEC--TAN', CRPIX1=400, CRPIX2=300,
                                 CRVAL1=150.1, CRVAL2=72.5, CDELT1=-2.8e-4, CDELT2=2.8e-4, PC1_1=0.98, PC1_2=-0.2, PC2_1=0.2, PC2_2=0.98),
    'tan-pole': dict(NAXIS1=500, NAXIS2=500, CTYPE1='RA---TAN', CTYPE2='DEC--TAN', CRPIX1=250, CRPIX2=250,
                     CRVAL1=10.0, CRVAL2=90.0, CDELT1=-1e-3, CDELT2=1e-3),
    'tan-lonpole': dict(NAXIS1=400, NAXIS2=300, CTYPE1='RA---TAN', CTYPE2='DEC--TAN', CRPIX1=200, CRPIX2=150,
                        CRVAL1=45.0, CRVAL2=-30.0, CDELT1=-1e-3, CDELT2=1e-3, LONPOLE=150.0),
    'tan-crota': dict(NAXIS1=300, NAXIS2=300, CTYPE1='RA---TAN', CTYPE2='DEC--TAN', CRPIX1=150, CRPIX2=150,
                      CRVAL1=200.0, CRVAL2=10.0, CDELT1=-1e-3, CDELT2=1e-3, CROTA2=30.0),
    'tan-dec-first': dict(NAXIS1=300, NAXIS2=200, CTYPE1='DEC--TAN', CTYPE2='RA---TAN', CRPIX1=150, CRPIX2=100,
                          CRVAL1=-20.0, CRVAL2=300.0, CDELT1=1e-3, CDELT2=-1e-3),
    'sin': dict(NAXIS1=512, NAXIS2=512, CTYPE1='RA---SIN', CTYPE2='DEC--SIN', CRPIX1=256.5, CRPIX2=256.5,
                CRVAL1=83.6, CRVAL2=22.0, CDELT1=-0.01, CDELT2=0.01),
    'sin-slant': dict(NAXIS1=512, NAXIS2=512, CTYPE1='RA---SIN', CTYPE2='DEC--SIN', CRPIX1=256.5, CRPIX2=256.5,
                      CRVAL1=83.6, CRVAL2=22.0, CDELT1=-0.01, CDELT2=0.01, PV2_1=0.1, PV2_2=-0.05),
    'zea': dict(NAXIS1=600, NAXIS2=600, CTYPE1='RA---ZEA', CTYPE2='DEC--ZEA', CRPIX1=300.5, CRPIX2=300.5,
                CRVAL1=266.4, CRVAL2=-28.9, CDELT1=-0.1, CDELT2=0.1),
    'zea-galactic': dict(NAXIS1=360, NAXIS2=360, CTYPE1='GLON-ZEA', CTYPE2='GLAT-ZEA', CRPIX1=180.5, CRPIX2=180.5,
                         CRVAL1=0.0, CRVAL2=90.0, CDELT1=-0.5, CDELT2=0.5),
    'car': dict(NAXIS1=720, NAXIS2=360, CTYPE1='RA---CAR', CTYPE2='DEC--CAR', CRPIX1=360.5, CRPIX2=180.5,
                CRVAL1=180.0, CRVAL2=0.0, CDELT1=-0.5, CDELT2=0.5),
    'car-offset': dict(NAXIS1=200, NAXIS2=100, CTYPE1='RA---CAR', CTYPE2='DEC--CAR', CRPIX1=100.5, CRPIX2=50.5,
                       CRVAL1=30.0, CRVAL2=20.0, CDELT1=-0.05, CDELT2=0.05),
    'ait': dict(NAXIS1=720, NAXIS2=360, CTYPE1='GLON-AIT', CTYPE2='GLAT-AIT', CRPIX1=360.5, CRPIX2=180.5,
                CRVAL1=0.0, CRVAL2=0.0, CDELT1=-0.45, CDELT2=0.45),
    'ait-offset': dict(NAXIS1=300, NAXIS2=200, CTYPE1='RA---AIT', CTYPE2='DEC--AIT', CRPIX1=150.5, CRPIX2=100.5,
                       CRVAL1=120.0, CRVAL2=30.0, CDELT1=-0.2, CDELT2=0.2),
    'tan-sip': dict(NAXIS1=2048, NAXIS2=4096, CTYPE1='RA---TAN-SIP', CTYPE2='DEC--TAN-SIP', CRPIX1=1024.5, CRPIX2=2048.5,
                    CRVAL1=210.5, CRVAL2=54.3, CD1_1=-5.1e-5, CD1_2=1.0e-6, CD2_1=-1.2e-6, CD2_2=-5.1e-5,
                    A_ORDER=2, A_0_2=2.1e-6, A_1_1=-1.5e-6, A_2_0=3.0e-7, B_ORDER=2, B_0_2=-4.0e-7, B_1_1=1.9e-6, B_2_0=-2.2e-6),
}


def grid(naxis1, naxis2, n=15):
    xs = np.linspace(0.5, naxis1 + 0.5, n)
    ys = np.linspace(0.5, naxis2 + 0.5, n)
    gx, gy = np.meshgrid(xs, ys)
    return gx.ravel(), gy.ravel()


def main():
    out = []
    for name, cards in HEADERS.items():
        header = fits.Header()
        header['NAXIS'] = 2
        for k, v in cards.items():
            header[k] = v
        w = WCS(header)
        x, y = grid(cards['NAXIS1'], cards['NAXIS2'])
        world = w.all_pix2world(x, y, 1)
        lon, lat = world[w.wcs.lng], world[w.wcs.lat]
        ok = np.isfinite(lon) & np.isfinite(lat)
        both = [None, None]
        both[w.wcs.lng], both[w.wcs.lat] = lon[ok], lat[ok]
        px, py = w.all_world2pix(both[0], both[1], 1, tolerance=1e-12, maxiter=100)
        out.append({
            'name': name,
            'header': cards,
            'pixels': [[float(a), float(b)] for a, b in zip(x[ok], y[ok])],
            'sky': [[float(a) % 360.0, float(b)] for a, b in zip(lon[ok], lat[ok])],
            'back': [[float(a), float(b)] for a, b in zip(px, py)],
        })
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'wcs-expected.json')
    with open(path, 'w') as f:
        json.dump(out, f)
    print(f'wrote {path}: {len(out)} headers')


if __name__ == '__main__':
    main()
