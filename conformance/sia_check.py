#!/usr/bin/python3
"""pyvo's SIA 2.0 client (Debian pyvo 1.2.1: pyvo.dal.sia2.SIAService) against a running vodax:
the service found through its VOSI capabilities; searches by POS (CIRCLE, RANGE, POLYGON), BAND,
TIME, EXPTIME, FOV, CALIB, COLLECTION, ID, DPTYPE, FORMAT and MAXREC, each compared with an
oracle computed here from the whole ivoa.obscore listing (read through TAP); repeated values
ORed and parameters ANDed; the results as ObsCore records; errors as DALI documents.

Usage: /usr/bin/python3 conformance/sia_check.py --url http://127.0.0.1:8080"""

import argparse
import io
import math
import sys
import warnings

import numpy as np
import pyvo
import requests
from astropy.io import votable

FAILURES = []


def check(name, fn):
    try:
        fn()
        print(f"ok   {name}")
    except Exception as e:  # noqa: BLE001 - report every failure, keep going
        FAILURES.append(name)
        print(f"FAIL {name}: {type(e).__name__}: {e}")


def vec(ra, dec):
    r, d = math.radians(ra), math.radians(dec)
    return np.array([math.cos(d) * math.cos(r), math.cos(d) * math.sin(r), math.sin(d)])


def polygon_of(s_region):
    n = [float(x) for x in s_region.split()[2:]]
    return [vec(n[k], n[k + 1]) for k in range(0, len(n), 2)]


def inside(vs, p):
    """p within the small convex polygon vs: on one side of every edge."""
    s = [np.sign(np.dot(np.cross(vs[k], vs[(k + 1) % len(vs)]), p)) for k in range(len(vs))]
    return all(x >= 0 for x in s) or all(x <= 0 for x in s)


def meets_circle(s_region, ra, dec, r):
    """The footprint meets the circle: the centre inside, or a densely sampled edge point within r."""
    vs = polygon_of(s_region)
    c = vec(ra, dec)
    if inside(vs, c):
        return True
    cos_r = math.cos(math.radians(r))
    for k in range(len(vs)):
        a, b = vs[k], vs[(k + 1) % len(vs)]
        f = np.linspace(0, 1, 2001)[:, None]
        pts = a + (b - a) * f
        pts /= np.linalg.norm(pts, axis=1)[:, None]
        if np.max(pts @ c) >= cos_r:
            return True
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    root = ap.parse_args().url.rstrip("/")
    sia_url = root + "/image/v0/sia"
    listing = pyvo.dal.TAPService(root + "/db/v0/tap").search("SELECT * FROM ivoa.obscore").to_table()
    rows = [dict(zip(listing.colnames, r)) for r in listing]
    print(f"     {len(rows)} images in ivoa.obscore")
    assert len(rows) > 0, "no images registered"

    def oracle(pred):
        return sorted(str(r["obs_publisher_did"]) for r in rows if pred(r))

    def dids(results):
        return sorted(str(x) for x in results.to_table()["obs_publisher_did"])

    sia = None

    def service():
        nonlocal sia
        sia = pyvo.dal.sia2.SIAService(sia_url)
        assert sia.query_ep == sia_url + "/query", sia.query_ep

    check("SIAService finds the query endpoint in the VOSI capabilities", service)
    if sia is None:
        print("cannot go on without the service")
        return 1

    def availability():
        text = requests.get(sia_url + "/availability", timeout=30).text
        assert "<vosi:available>true</vosi:available>" in text, text

    check("VOSI availability", availability)

    first = rows[0]
    corner = [float(x) for x in str(first["s_region"]).split()[2:4]]

    def circles():
        cones = [(corner[0], corner[1], 0.02), (float(first["s_ra"]), float(first["s_dec"]), 0.001), (0.0, 0.0, 0.3), (180.0, 45.0, 1.0)]
        cones += [(float(r["s_ra"]), float(r["s_dec"]), 0.05) for r in rows[1:12]]
        hits = 0
        for ra, dec, r in cones:
            expected = oracle(lambda x: meets_circle(str(x["s_region"]), ra, dec, r))
            hits += bool(expected)
            got = dids(sia.search(pos=(ra, dec, r)))
            assert got == expected, f"CIRCLE {ra} {dec} {r}: {len(got)} found, {len(expected)} expected"
        assert hits >= 5, hits

    check("POS CIRCLE equals the oracle over the whole listing", circles)

    def range_and_polygon():
        ra, dec, h = float(first["s_ra"]), float(first["s_dec"]), 0.01
        by_range = dids(sia.search(pos=(ra - h, ra + h, dec - h, dec + h)))
        by_polygon = dids(sia.search(pos=(ra - h, dec - h, ra + h, dec - h, ra + h, dec + h, ra - h, dec + h)))
        near = oracle(lambda x: meets_circle(str(x["s_region"]), ra, dec, 0.001))
        assert set(near) <= set(by_range), "RANGE misses images at its centre"
        assert by_range == by_polygon, (by_range, by_polygon)
        # A band in Dec all round the sky covering the strip: every image.
        assert dids(sia.search(pos=(0, 360, -5, 5))) == oracle(lambda x: True)

    check("POS RANGE and POLYGON", range_and_polygon)

    def intervals():
        lo, hi = float(first["em_min"]), float(first["em_max"])
        mid = (lo + hi) / 2
        assert dids(sia.search(band=(mid, mid))) == oracle(lambda x: x["em_min"] <= mid <= x["em_max"])
        assert dids(sia.search(band=(float("-inf"), mid))) == oracle(lambda x: x["em_min"] <= mid)
        timed = [r for r in rows if not np.ma.is_masked(r["t_min"])]
        if timed:
            t = float(timed[0]["t_min"])
            from astropy.time import Time
            got = dids(sia.search(time=(Time(t - 0.01, format="mjd"), Time(t + 0.01, format="mjd"))))
            assert got == oracle(lambda x: not np.ma.is_masked(x["t_min"]) and x["t_min"] <= t + 0.01 and x["t_max"] >= t - 0.01), got
        e = float(first["t_exptime"])
        assert dids(sia.search(exptime=(e, float("inf")))) == oracle(lambda x: x["t_exptime"] >= e)
        f = float(first["s_fov"])
        assert dids(sia.search(field_of_view=(f * 0.999, f * 1.001))) == oracle(lambda x: f * 0.999 <= x["s_fov"] <= f * 1.001)

    check("BAND, TIME, EXPTIME, FOV intervals with open ends", intervals)

    def strings():
        assert dids(sia.search(calib_level=[2, 3])) == oracle(lambda x: x["calib_level"] in (2, 3))
        assert dids(sia.search(calib_level=3, collection=str(first["obs_collection"]))) == oracle(
            lambda x: x["calib_level"] == 3 and x["obs_collection"] == first["obs_collection"])
        two = [str(rows[0]["obs_publisher_did"]), str(rows[-1]["obs_publisher_did"])]
        assert dids(sia.search(publisher_did=two)) == sorted(set(two))
        assert dids(sia.search(data_type="image", res_format="image/fits")) == oracle(lambda x: True)
        assert dids(sia.search(data_type="image", res_format="application/x-votable+xml;content=datalink")) == oracle(lambda x: True)
        assert dids(sia.search(res_format="text/plain")) == []
        assert dids(sia.search(collection="no such collection")) == []

    check("CALIB, COLLECTION, ID, DPTYPE, FORMAT: repeats ORed, parameters ANDed", strings)

    def records():
        r = sia.search(pos=(float(first["s_ra"]), float(first["s_dec"]), 0.001), maxrec=1)
        assert len(r) == 1, len(r)
        rec = r[0]
        assert rec.access_url.startswith("http"), rec.access_url
        assert rec.dataproduct_type == "image", rec.dataproduct_type
        assert rec.s_region is not None

    check("MAXREC and ObsCore records", records)

    def errors():
        res = requests.get(sia_url + "/query", params={"POS": "CIRCLE 10 0"}, timeout=30)
        assert res.status_code == 400, res.status_code
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            doc = votable.parse(io.BytesIO(res.content))
        status = [i for i in doc.resources[0].infos if i.name == "QUERY_STATUS"]
        assert status and status[0].value == "ERROR", status
        assert "POS" in status[0].content, status[0].content
        try:
            sia.search(band="red")
        except Exception as e:  # pyvo raises before or after sending: either way an error
            assert "BAND" in str(e) or "band" in str(e).lower() or isinstance(e, (ValueError, pyvo.dal.DALQueryError)), e
        else:
            raise AssertionError("BAND=red did not fail")

    check("bad parameters: DALI error naming the parameter", errors)

    print(f"\n{len(FAILURES)} failure(s)" + (": " + ", ".join(FAILURES) if FAILURES else ""))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
