#!/usr/bin/env python3
"""HiPS conformance of a running vodax, with astropy only (no vodax code):

  python3 conformance/hips_check.py URL [HIPS_PATH]    (default L2/DR1/deepCoadd/r)

- properties: every keyword HiPS 1.0 makes mandatory, and the values the issue names;
- FITS tiles (from the cells of Moc.fits): fitsverify clean when installed; each tile's HPX WCS,
  read by astropy (WCSLIB), puts its pixel centres in the HEALPix cells the HiPS layout gives
  (astropy_healpix); and sampled tile values equal the registered images, fetched over the LSST
  image face and resampled bilinearly here through astropy's WCS, averaged where they overlap;
- Moc.fits: MOC 2.0 keywords; every image centre is covered, a point far away is not; and it is
  exactly the cells the image footprints touch (astropy WCS, astropy_healpix): points inside and
  along the footprints are covered, every MOC cell has a corner or tile pixel centre on an image,
  and the MOC equals the set of cells with a tile pixel centre on an image.
Exits 1 on any failure."""
import io, json, shutil, subprocess, sys, tempfile, urllib.request, warnings
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_scales
from astropy_healpix import HEALPix
import astropy.units as u
from astropy.coordinates import SkyCoord

warnings.simplefilter('ignore')
base = sys.argv[1].rstrip('/')
hips = sys.argv[2] if len(sys.argv) > 2 else 'L2/DR1/deepCoadd/r'
root = f'{base}/image/v0/hips/{hips}'
failures = []

def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()

def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        failures.append(what)

props = {}
for line in get(f'{root}/properties').decode('utf-8').splitlines():
    if line.startswith('#') or '=' not in line:
        continue
    k, v = line.split('=', 1)
    props[k.strip()] = v.strip()
for k in ['creator_did', 'obs_title', 'dataproduct_type', 'hips_version', 'hips_release_date', 'hips_status', 'hips_tile_format', 'hips_order', 'hips_frame',
          'hips_creator', 'hips_pixel_scale', 'hips_initial_ra', 'hips_initial_dec', 'hips_initial_fov', 'moc_sky_fraction', 'hips_tile_width']:
    check(props.get(k, '') != '', f'properties has {k}')
order = int(props['hips_order'])
width = int(props.get('hips_tile_width', '512'))
shift = int(round(np.log2(width)))

moc = fits.open(io.BytesIO(get(f'{root}/Moc.fits')))
h = moc[1].header
check(h.get('MOCVERS') == '2.0' and h.get('ORDERING') == 'NUNIQ' and h.get('COORDSYS') == 'C' and h.get('MOCDIM') == 'SPACE', 'Moc.fits has the MOC 2.0 keywords')
uniq = np.array(moc[1].data['UNIQ'], dtype=np.int64)
morder = (np.floor(np.log2(uniq // 4) / 2)).astype(int)
mindex = uniq - 4 * 4 ** morder.astype(np.int64)
mocorder = int(h['MOCORD_S'])
deep = np.concatenate([np.arange(i << (2 * (mocorder - o)), (i + 1) << (2 * (mocorder - o))) for o, i in zip(morder, mindex)])
tiles = sorted(set((deep >> (2 * (mocorder - order))).tolist()))
check(len(tiles) > 0, f'Moc.fits names {len(tiles)} tiles at order {order}')

# The images, through the LSST image face.
level, collection, kind = hips.split('/')[:3]
band = hips.split('/')[3] if len(hips.split('/')) > 3 else None
listing = json.loads(get(f'{base}/meta/v0/image/{level}/{collection}/{kind}' + (f'?filter={band}' if band else '')))['result']
images = []
for url in listing:
    f = fits.open(io.BytesIO(get(url + '?plane=data')))
    hdu = next(x for x in f if x.data is not None)
    images.append((WCS(hdu.header), np.asarray(hdu.data, dtype=np.float64)))
check(len(images) > 0, f'{len(images)} images of {hips} fetched')

def resampled(ra, dec):
    vals = []
    for w, data in images:
        x, y = w.world_to_pixel(SkyCoord(ra * u.deg, dec * u.deg))
        x, y = float(x), float(y)
        ny, nx = data.shape
        if not (-0.5 <= x <= nx - 0.5 and -0.5 <= y <= ny - 0.5):
            continue
        x0, y0 = int(np.floor(x)), int(np.floor(y))
        tx, ty = x - x0, y - y0
        cx = [min(max(c, 0), nx - 1) for c in (x0, x0 + 1)]
        cy = [min(max(c, 0), ny - 1) for c in (y0, y0 + 1)]
        v = (1 - tx) * (1 - ty) * data[cy[0], cx[0]] + tx * (1 - ty) * data[cy[0], cx[1]] + (1 - tx) * ty * data[cy[1], cx[0]] + tx * ty * data[cy[1], cx[1]]
        vals.append(v)
    return np.mean(vals) if vals else np.nan

hp = HEALPix(nside=2 ** (order + shift), order='nested')
tmp = tempfile.mkdtemp()
compared = blanks = mismatched = misplaced = 0
rng = np.random.default_rng(1)
for npix in tiles[:: max(1, len(tiles) // 8)]:
    raw = get(f'{root}/Norder{order}/Dir{npix // 10000 * 10000}/Npix{npix}.fits')
    path = f'{tmp}/Npix{npix}.fits'
    open(path, 'wb').write(raw)
    if shutil.which('fitsverify'):
        out = subprocess.run(['fitsverify', '-e', path], capture_output=True, text=True).stdout
        check('0 warning(s) and 0 error(s)' in out, f'fitsverify clean on Norder{order}/Npix{npix}.fits')
    t = fits.open(path)[0]
    w = WCS(t.header)
    for col, row in rng.integers(0, width, size=(60, 2)):
        ra, dec = w.wcs_pix2world([[col, row]], 0)[0]
        # The HiPS layout: column = face y, row = width - 1 - face x; its cell at order+shift.
        cell = int(hp.lonlat_to_healpix(ra * u.deg, dec * u.deg))
        if (cell >> (2 * shift)) != npix:
            misplaced += 1
        want = resampled(ra, dec)
        got = float(t.data[row, col])
        if np.isnan(want):
            blanks += 1
            if not np.isnan(got):
                mismatched += 1
        else:
            compared += 1
            if not (abs(got - want) <= 1e-3 * max(1.0, abs(want))):
                mismatched += 1
check(misplaced == 0, f'every sampled tile pixel lies in its tile\'s HEALPix cell ({misplaced} outside)')
check(compared > 50 and mismatched == 0, f'tile values equal the astropy-resampled images at {compared} pixels, NaN at {blanks} off them ({mismatched} differ)')

cover = set(deep.tolist())
hm = HEALPix(nside=2 ** mocorder, order='nested')
for w, data in images:
    c = w.pixel_to_world((data.shape[1] - 1) / 2, (data.shape[0] - 1) / 2)
    check(int(hm.lonlat_to_healpix(c.ra, c.dec)) in cover, f'Moc.fits covers the image centre {c.ra.deg:.4f} {c.dec.deg:.4f}')
check(int(hm.lonlat_to_healpix(180 * u.deg, 45 * u.deg)) not in cover, 'Moc.fits does not cover RA 180, Dec 45')

# The MOC against the footprints. A footprint is the sky inside an image's pixels' outer edges,
# 0-based -0.5 .. NAXIS - 0.5 through astropy's WCS (so its edges are the WCS's own curves). The
# HiPS holds data where a tile pixel's centre is on an image, so at the MOC's order a footprint
# touches a cell when one of the cell's tile pixels (order hips_order + log2(width)) has its
# centre inside the footprint; a cell grazed by less than that holds no data and is in no MOC.
pixorder = order + shift
sub = pixorder - mocorder
hpix = HEALPix(nside=2 ** pixorder, order='nested')
scale = min(float(np.min(proj_plane_pixel_scales(w.celestial))) for w, _ in images)  # deg
cell_px = hm.pixel_resolution.to_value(u.deg) / scale   # a MOC cell across, in image pixels
tile_px = hpix.pixel_resolution.to_value(u.deg) / scale  # a tile pixel across, in image pixels

def depth(lon, lat):
    # How far inside the footprints each position is, in image pixels (negative: outside all).
    best = np.full(np.shape(lon), -np.inf)
    for w, data in images:
        x, y = w.world_to_pixel_values(lon, lat)
        ny, nx = data.shape
        d = np.minimum.reduce([x + 0.5, nx - 0.5 - x, y + 0.5, ny - 0.5 - y])
        best = np.maximum(best, np.where(np.isnan(d), -np.inf, d))
    return best

def pixel_grid(data, margin, step):
    ny, nx = data.shape
    xs = np.arange(-0.5 - margin, nx - 0.5 + margin + 1e-9, step)
    ys = np.arange(-0.5 - margin, ny - 0.5 + margin + 1e-9, step)
    return np.meshgrid(xs, ys)

def cells_of(lon, lat):
    return set(np.asarray(hm.lonlat_to_healpix(lon * u.deg, lat * u.deg)).ravel().tolist())

def max_depth_in_cells(cells):
    # The deepest of each cell's tile pixel centres, and of its four corners.
    cells = np.asarray(sorted(cells), dtype=np.int64)
    kids = (cells[:, None] << (2 * sub)) + np.arange(4 ** sub, dtype=np.int64)[None, :]
    lon, lat = hpix.healpix_to_lonlat(kids.ravel())
    centres = depth(lon.to_value(u.deg), lat.to_value(u.deg)).reshape(kids.shape).max(axis=1)
    blon, blat = hm.boundaries_lonlat(cells, step=1)
    corners = depth(blon.to_value(u.deg), blat.to_value(u.deg)).max(axis=1)
    return cells, centres, corners

# 1. Every point sampled inside each footprint (a 4-pixel grid) and along its edges (every pixel),
#    1.5 tile pixels in from the edges, is in a MOC cell.
inset = 1.5 * tile_px
outside = points = 0
for w, data in images:
    ny, nx = data.shape
    gx, gy = pixel_grid(data, -inset, 4)
    xs = np.arange(-0.5 + inset, nx - 0.5 - inset, 1.0)
    ys = np.arange(-0.5 + inset, ny - 0.5 - inset, 1.0)
    ex = np.concatenate([xs, xs, np.full(len(ys), -0.5 + inset), np.full(len(ys), nx - 0.5 - inset)])
    ey = np.concatenate([np.full(len(xs), -0.5 + inset), np.full(len(xs), ny - 0.5 - inset), ys, ys])
    lon, lat = w.pixel_to_world_values(np.concatenate([gx.ravel(), ex]), np.concatenate([gy.ravel(), ey]))
    hit = np.asarray(hm.lonlat_to_healpix(lon * u.deg, lat * u.deg))
    outside += int(np.sum(~np.isin(hit, deep)))
    points += hit.size
check(outside == 0, f'Moc.fits covers all {points} points sampled inside and along the footprints, {inset:.1f} pixels in ({outside} outside)')

# 2. Every MOC cell overlaps a footprint: one of its corners or tile pixel centres is inside one.
cells, centres, corners = max_depth_in_cells(cover)
alone = int(np.sum(np.maximum(centres, corners) <= 0))
check(alone == 0, f'every one of the {len(cells)} MOC cells (order {mocorder}) has a corner or tile pixel centre on an image ({alone} do not)')

# 3. Exactly: the MOC is the set of cells with a tile pixel centre on an image. Candidates: the cells
#    of points 4 pixels apart over each footprint grown by two cells (which holds every cell a
#    footprint touches); a cell whose centre is over a cell across inside (or outside) every edge is
#    decided by it, the rest by their 4^sub tile pixel centres. A centre within 1e-6 pixel of an
#    edge would make the answer hang on rounding: such cells are counted, not compared.
candidates = set()
for w, data in images:
    gx, gy = pixel_grid(data, 2 * cell_px, 4)
    lon, lat = w.pixel_to_world_values(gx.ravel(), gy.ravel())
    candidates |= cells_of(lon, lat)
cand = np.asarray(sorted(candidates), dtype=np.int64)
clon, clat = hm.healpix_to_lonlat(cand)
cd = depth(clon.to_value(u.deg), clat.to_value(u.deg))
expected = set(cand[cd > cell_px].tolist())
near = cand[np.abs(cd) <= cell_px]
ncells, ncentres, _ = max_depth_in_cells(near)
expected |= set(ncells[ncentres > 1e-6].tolist())
ambiguous = set(ncells[np.abs(ncentres) <= 1e-6].tolist())
missing = expected - cover
extra = (cover - expected) - ambiguous
check(not missing, f'Moc.fits holds every cell with a tile pixel centre on an image: {len(expected)} cells, {len(near)} of them near an edge ({len(missing)} missing)')
check(not extra, f'Moc.fits holds no other cell ({len(extra)} more; {len(ambiguous)} on an edge to rounding, not compared)')
shutil.rmtree(tmp)
print(f'{len(failures)} failed')
sys.exit(1 if failures else 0)
