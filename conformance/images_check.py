#!/usr/bin/python3
"""Checks a running vodax's LSST image face with astropy.

    /usr/bin/python3 conformance/images_check.py --url http://127.0.0.1:8080

Needs Debian's python3-astropy (and fitsverify, when installed, is run on every file fetched).
For a few calexps and deepCoadds (the RICE_1 compressed one included) it checks that:
  - astropy reads the whole image and each single plane;
  - a cutout's WCS agrees with the parent's WCS at every pixel of the cutout (1e-9 deg);
  - the cutout pixels are the parent's pixels of the box its header names (CUTBOX, LTV1/LTV2);
  - the five cutout forms (pixel centre, pixel corners, sky box in arcmin, in arcsec, sky centre
    with pixel size) give the same box when they describe the same one;
  - a box partly off the image is clipped and says so; one entirely off is a 400;
  - fitsverify finds no error and no warning.
Exits 0 when every check passes, 1 otherwise.
"""
import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import warnings

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

warnings.simplefilter('ignore')
FAILURES = []


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        FAILURES.append(what)


def get(url):
    try:
        with urllib.request.urlopen(url) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def get_json(url):
    status, body = get(url)
    return status, json.loads(body)


def get_fits(url, tmpdir):
    status, body = get(url)
    if status != 200:
        raise RuntimeError(f'{url}: HTTP {status}: {body[:300]!r}')
    if shutil.which('fitsverify'):
        path = os.path.join(tmpdir, 'answer.fits')
        with open(path, 'wb') as f:
            f.write(body)
        out = subprocess.run(['fitsverify', '-e', path], capture_output=True, text=True).stdout
        check('0 warning(s) and 0 error(s)' in out, f'fitsverify clean: {url}')
    return fits.open(io.BytesIO(body))


def celestial(header):
    return WCS(header).celestial


def check_image(url, tmpdir):
    status, meta = get_json(url.replace('/image/v0/', '/meta/v0/image/'))
    check(status == 200, f'metadata of {url}')
    meta = meta['result']
    nx, ny = meta['naxis1'], meta['naxis2']
    whole = get_fits(url, tmpdir)
    names = [h.name for h in whole]
    check(names == ['PRIMARY', 'IMAGE', 'MASK', 'VARIANCE'], f'three planes in {url}: {names}')
    parent = whole['IMAGE'].data.astype(np.float64)
    pw = celestial(whole['IMAGE'].header)
    check(parent.shape == (ny, nx), f'image shape {parent.shape} == ({ny}, {nx})')
    for plane, ext in (('data', 'IMAGE'), ('mask', 'MASK'), ('variance', 'VARIANCE')):
        one = get_fits(f'{url}?plane={plane}', tmpdir)
        check(len(one) == 1 and np.array_equal(one[0].data, whole[ext].data, equal_nan=True), f'plane={plane} is a simple FITS with the {ext} pixels')

    # A box well inside: x 101..161, y 201..241 (61 x 41 pixels, 0-based).
    x0, y0, w, h = 101, 201, 61, 41
    cx, cy = x0 + w // 2, y0 + h // 2
    ra, dec = pw.all_pix2world([[cx, cy]], 0)[0]
    # Pixel sizes of the box along RA and Dec: the image may be turned.
    cd = pw.pixel_scale_matrix
    turned = abs(cd[0, 0]) < abs(cd[0, 1])
    scale = meta['pixelScale']
    ra_pix, dec_pix = (h, w) if turned else (w, h)
    forms = {
        'pixel centre': f'x={cx}&y={cy}&width={w}&height={h}',
        'pixel corners': f'x1={x0}&y1={y0}&x2={x0 + w - 1}&y2={y0 + h - 1}',
        'sky box (arcmin)': f'ra={ra!r}&dec={dec!r}&deltaRa={(ra_pix - 0.6) * scale / 60!r}&deltaDec={(dec_pix - 0.6) * scale / 60!r}',
        'sky box (arcsec)': f'ra={ra!r}&dec={dec!r}&widthAng={(ra_pix - 0.6) * scale!r}&heightAng={(dec_pix - 0.6) * scale!r}',
        'sky centre, pixel size': f'ra={ra!r}&dec={dec!r}&widthPix={w}&heightPix={h}',
    }
    boxes = {}
    for name, q in forms.items():
        cut = get_fits(f'{url}/cutout?{q}&plane=data', tmpdir)[0]
        hdr = cut.header
        bx0, by0 = -int(hdr['LTV1']), -int(hdr['LTV2'])
        boxes[name] = (bx0, by0, hdr['NAXIS1'], hdr['NAXIS2'])
        check(hdr['CUTBOX'] == f'[{bx0}:{bx0 + hdr["NAXIS1"] - 1},{by0}:{by0 + hdr["NAXIS2"] - 1}]', f'{name}: CUTBOX agrees with LTV1/LTV2')
        check(np.array_equal(cut.data, parent[by0:by0 + hdr['NAXIS2'], bx0:bx0 + hdr['NAXIS1']].astype(cut.data.dtype), equal_nan=True), f'{name}: cutout pixels are the parent pixels')
        cw = celestial(hdr)
        yy, xx = np.mgrid[0:hdr['NAXIS2'], 0:hdr['NAXIS1']]
        a = cw.all_pix2world(np.column_stack([xx.ravel(), yy.ravel()]), 0)
        b = pw.all_pix2world(np.column_stack([xx.ravel() + bx0, yy.ravel() + by0]), 0)
        dra = (a[:, 0] - b[:, 0] + 180) % 360 - 180
        worst = float(np.max(np.hypot(dra * np.cos(np.radians(b[:, 1])), a[:, 1] - b[:, 1])))
        check(worst < 1e-9, f'{name}: cutout WCS agrees with the parent WCS at all {xx.size} pixels (worst {worst:.2e} deg)')
    check(len(set(boxes.values())) == 1 and list(boxes.values())[0] == (x0, y0, w, h), f'the five forms give the same box: {boxes}')

    clipped = get_fits(f'{url}/cutout?x1=-10&y1=-10&x2=20&y2=20&plane=data', tmpdir)[0].header
    check(clipped['CLIPPED'] is True and clipped['NAXIS1'] == 21 and clipped['NAXIS2'] == 21, 'a box partly off the image is clipped and says so')
    status, body = get(f'{url}/cutout?x={nx + 100}&y={ny + 100}&width=10&height=10')
    msg = json.loads(body).get('error', {}).get('message', '')
    check(status == 400 and f'x 0..{nx - 1}, y 0..{ny - 1}' in msg, f'a box off the image is a 400 naming the bounds ({msg})')


def check_hdf5(url, tmpdir):
    """The HDF5 answer, read by h5py, holds the same pixels and WCS as the FITS answer."""
    import h5py  # Debian python3-h5py
    import numpy as np
    box = 'x=40&y=30&width=24&height=16'
    status, body = get(f'{url}/cutout?{box}&format=hdf5')
    check(status == 200 and body[:8] == b'\x89HDF\r\n\x1a\n', f'HDF5 cutout of {url}')
    path = os.path.join(tmpdir, 'cutout.h5')
    with open(path, 'wb') as f:
        f.write(body)
    fits_hdus = get_fits(f'{url}/cutout?{box}', tmpdir)
    with h5py.File(path, 'r') as h5:
        for name in ('image', 'mask', 'variance'):
            check(name in h5, f'h5py finds dataset {name}')
        image = h5['image'][()]
        check(np.array_equal(image, fits_hdus['IMAGE'].data, equal_nan=True), 'HDF5 image pixels equal the FITS cutout')
        attrs = h5['image'].attrs
        header = fits_hdus['IMAGE'].header
        check(all(abs(float(attrs[k]) - float(header[k])) < 1e-12 for k in ('CRPIX1', 'CRPIX2', 'CRVAL1', 'CRVAL2')), 'HDF5 WCS attributes equal the FITS header')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--url', default='http://127.0.0.1:8080')
    ap.add_argument('--images', type=int, default=2, help='images of each kind to check')
    args = ap.parse_args()
    base = args.url.rstrip('/')
    with tempfile.TemporaryDirectory() as tmpdir:
        for kind in ('calexp', 'deepCoadd'):
            status, page = get_json(f'{base}/meta/v0/image/L2/DR1/{kind}?count={args.images}')
            check(status == 200 and len(page['result']) > 0, f'{kind} images are listed')
            urls = list(page['result'])
            if kind == 'deepCoadd':
                status, one = get_json(f'{base}/meta/v0/image/L2/DR1/deepCoadd?tract=0&patch=11,11&filter=r')
                urls += one['result']  # the RICE_1 compressed sample coadd
            for url in urls:
                print(f'-- {url}')
                check_image(url, tmpdir)
            check_hdf5(urls[0], tmpdir)
    print(f'{len(FAILURES)} failed')
    return 1 if FAILURES else 0


if __name__ == '__main__':
    sys.exit(main())
