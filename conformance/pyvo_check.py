#!/usr/bin/python3
"""pyvo and astropy against a running vodax: sync queries, every RESPONSEFORMAT parsed by
astropy (VOTable with no warnings), MAXREC overflow, errors, uploads joined with Object, and
the async flows (run_async; submit_job / wait / fetch_result).

Usage: /usr/bin/python3 conformance/pyvo_check.py --url http://127.0.0.1:8080"""

import argparse
import io
import sys
import warnings

import numpy as np
import pyvo
import requests
from astropy.io import fits, votable
from astropy.table import Table

FAILURES = []


def check(name, fn):
    try:
        fn()
        print(f"ok   {name}")
    except Exception as e:  # noqa: BLE001 - report every failure, keep going
        FAILURES.append(name)
        print(f"FAIL {name}: {type(e).__name__}: {e}")


def parse_votable_strict(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return votable.parse(io.BytesIO(data), verify="exception").get_first_table().to_table()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    base = ap.parse_args().url.rstrip("/") + "/db/v0/tap"
    tap = pyvo.dal.TAPService(base)
    query = "SELECT TOP 20 objectId, ra, decl, rPsfMag, nSources FROM DC_W13_Stripe82.Object ORDER BY objectId"

    def sync_search():
        r = tap.search(query)
        t = r.to_table()
        assert len(t) == 20, len(t)
        assert list(t.colnames) == ["objectId", "ra", "decl", "rPsfMag", "nSources"], t.colnames
        assert t["ra"].unit == "deg", t["ra"].unit
        assert np.all(np.diff(t["objectId"]) > 0)

    check("sync search through pyvo", sync_search)

    reference = Table.read(io.BytesIO(requests.get(base + "/sync", params={"LANG": "ADQL", "QUERY": query}).content), format="votable")

    def formats():
        for fmt in ["votable", "votable/b2", "application/x-votable+xml;serialization=BINARY2", "fits", "csv", "tsv"]:
            resp = requests.get(base + "/sync", params={"LANG": "ADQL", "QUERY": query, "RESPONSEFORMAT": fmt})
            assert resp.status_code == 200, (fmt, resp.status_code, resp.text[:300])
            data = resp.content
            if fmt.startswith(("votable", "application/x-votable")):
                t = parse_votable_strict(data)
            elif fmt == "fits":
                with fits.open(io.BytesIO(data)) as hdul:
                    t = Table(hdul[1].data)
            elif fmt == "csv":
                t = Table.read(data.decode(), format="ascii.csv")
            else:
                t = Table.read(data.decode(), format="ascii.tab")
            assert len(t) == len(reference), (fmt, len(t))
            for col in reference.colnames:
                a = np.asarray(reference[col], dtype=float)
                b = np.asarray(t[col], dtype=float)
                assert np.allclose(a, b, equal_nan=True, rtol=1e-6), (fmt, col)

    check("every RESPONSEFORMAT parsed by astropy, same values", formats)

    def overflow():
        r = tap.search(query, maxrec=3)
        assert len(r) == 3, len(r)
        assert r.query_status == "OVERFLOW", r.query_status

    check("MAXREC overflow flagged", overflow)

    def error():
        try:
            tap.search("SELECT TOP 5 * FORM DC_W13_Stripe82.Object")
        except pyvo.dal.DALQueryError as e:
            assert "line 1" in str(e), str(e)
            return
        raise AssertionError("no error raised")

    check("ADQL error reported with line and column", error)

    def upload():
        first = tap.search("SELECT TOP 5 objectId FROM DC_W13_Stripe82.Object ORDER BY objectId").to_table()
        mine = Table({"objectId": first["objectId"], "tag": [f"t{i}" for i in range(5)]})
        r = tap.search(
            "SELECT m.tag, o.objectId, o.ra FROM TAP_UPLOAD.mine AS m JOIN DC_W13_Stripe82.Object AS o ON o.objectId = m.objectId ORDER BY m.tag",
            uploads={"mine": mine},
        ).to_table()
        assert list(r["tag"]) == [f"t{i}" for i in range(5)], list(r["tag"])

    check("UPLOAD of an astropy table joined with Object", upload)

    def run_async():
        t = tap.run_async(query).to_table()
        assert len(t) == 20

    check("run_async", run_async)

    def submit_wait_fetch():
        job = tap.submit_job(query, maxrec=5)
        job.run()
        job.wait(phases=["COMPLETED", "ERROR", "ABORTED"], timeout=60)
        assert job.phase == "COMPLETED", job.phase
        t = job.fetch_result().to_table()
        assert len(t) == 5
        job.delete()

    check("submit_job / wait / fetch_result / delete", submit_wait_fetch)

    if FAILURES:
        print(f"{len(FAILURES)} failed: {', '.join(FAILURES)}")
        sys.exit(1)
    print("all pyvo checks passed")


if __name__ == "__main__":
    main()
