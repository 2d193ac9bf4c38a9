#!/usr/bin/python3
"""Live conformance check of vodax's HEALPix (nested) code against astropy-healpix.

Run from anywhere:  /usr/bin/python3 conformance/healpix_check.py [--points N] [--seed S]
Sends N random sky positions (default 100000, uniform on the sphere plus a share hugging the
poles, RA 0/360 and the polar-cap boundary) through src/healpix/nested.ts (via
fixtures/healpix/hpx-helper.ts) and astropy_healpix.lonlat_to_healpix at several orders, and
a sample of pixels through pix2ang; exits 1 on any mismatch, 0 otherwise.
"""

import argparse
import math
import os
import subprocess
import sys

import astropy.units as u
import numpy as np
from astropy_healpix import core

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELPER = os.path.join('fixtures', 'healpix', 'hpx-helper.ts')
ORDERS = [0, 1, 3, 5, 8, 12, 16, 20, 24, 29]


def run_helper(args, lines):
    proc = subprocess.run(['node', '--import', 'tsx', HELPER] + args, cwd=ROOT, input='\n'.join(lines) + '\n',
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f'helper failed ({proc.returncode}):\n{proc.stderr}')
    return proc.stdout.splitlines()


def sample_points(rng, n):
    k = n // 10
    ra = rng.uniform(0, 360, n - 3 * k)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n - 3 * k)))
    # Near the poles, near the polar-cap boundary, near RA 0/360.
    pra = rng.uniform(0, 360, k)
    pdec = np.where(rng.uniform(size=k) < 0.5, -1, 1) * (90 - rng.uniform(0, 0.01, k))
    cra = rng.uniform(0, 360, k)
    cdec = np.where(rng.uniform(size=k) < 0.5, -1, 1) * (math.degrees(math.asin(2 / 3)) + rng.uniform(-1e-6, 1e-6, k))
    zra = np.where(rng.uniform(size=k) < 0.5, 0, 360) + rng.uniform(-1e-7, 1e-7, k)
    zdec = np.degrees(np.arcsin(rng.uniform(-1, 1, k)))
    return (np.concatenate([ra, pra, cra, zra]), np.concatenate([dec, pdec, cdec, zdec]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--points', type=int, default=100_000)
    ap.add_argument('--seed', type=int, default=None, help='random seed (default: random, printed)')
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int(np.random.SeedSequence().entropy % 2**32)
    rng = np.random.default_rng(seed)
    print(f'healpix_check: seed {seed}, {args.points} points, orders {ORDERS}')

    ra, dec = sample_points(rng, args.points)
    ours = run_helper(['ang2pix', ','.join(map(str, ORDERS))], [f'{a!r} {b!r}' for a, b in zip(ra.tolist(), dec.tolist())])
    if len(ours) != len(ra):
        sys.exit(f'helper returned {len(ours)} lines for {len(ra)} points')
    ours_arr = np.array([[int(x) for x in line.split()] for line in ours], dtype=np.int64)
    failures = 0
    for j, order in enumerate(ORDERS):
        theirs = core.lonlat_to_healpix(ra * u.deg, dec * u.deg, 2 ** order, order='nested')
        bad = np.nonzero(ours_arr[:, j] != theirs)[0]
        print(f'  ang2pix order {order:2d}: {len(bad)} mismatches')
        for i in bad[:5]:
            print(f'    ({ra[i]!r}, {dec[i]!r}): ours {ours_arr[i, j]}, astropy {theirs[i]}')
        failures += len(bad)

    lines, expected = [], []
    for order in ORDERS:
        npix = 12 * 4 ** order
        ipix = rng.integers(0, npix, 2000, dtype=np.int64)
        lon, lat = core.healpix_to_lonlat(ipix, 2 ** order, order='nested')
        lines += [f'{order} {p}' for p in ipix.tolist()]
        expected += list(zip([order] * len(ipix), ipix.tolist(), lon.to_value(u.deg), lat.to_value(u.deg)))
    got = run_helper(['pix2ang'], lines)
    worst = 0.0
    bad = 0
    for line, (order, p, a, b) in zip(got, expected):
        ga, gb = map(float, line.split())
        r = math.pi / 180
        h = math.sin((gb - b) * r / 2) ** 2 + math.cos(gb * r) * math.cos(b * r) * math.sin((ga - a) * r / 2) ** 2
        sep = 2 * math.asin(min(1.0, math.sqrt(h))) / r
        worst = max(worst, sep)
        if sep > 1e-10:
            bad += 1
            if bad <= 5:
                print(f'    pix2ang order {order} pixel {p}: ours ({ga}, {gb}), astropy ({a}, {b})')
    print(f'  pix2ang: {len(expected)} pixels, {bad} off by more than 1e-10 deg (worst {worst:.3g} deg)')
    failures += bad

    if failures:
        print(f'healpix_check: FAILED ({failures} mismatches)')
        sys.exit(1)
    print('healpix_check: OK')


if __name__ == '__main__':
    main()
