#!/usr/bin/python3
"""DataLink 1.1 with real clients against a running vodax: an SIA 2.0 search with pyvo
(pyvo.dal.sia2.SIAService, Debian pyvo 1.2.1); each record's access_url is its DataLink document
(access_format application/x-votable+xml;content=datalink), read with pyvo's DatalinkResults, one
by one and batched (iter_datalinks); each #this FITS downloaded and opened with astropy (its
length the declared content_length, its planes the #auxiliary ones, fitsverify clean when
installed); #preview a PNG; the #cutout service descriptor a SODA sync one whose ranges cover the
record's footprint, called through pyvo when SODA is served; unknown IDs as NotFoundFault rows;
and `stilts datalinklint` on one links document with several IDs: any error fails.

Usage: /usr/bin/python3 conformance/datalink_check.py --url http://127.0.0.1:8080"""

import argparse
import io
import math
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import warnings

import numpy as np
import requests

# pyvo 1.2.1 warns of its own imports (distutils); astropy of the SODA-style BAND VALUES (E02).
warnings.simplefilter("ignore")
import astropy.units as u  # noqa: E402
from astropy.io import fits  # noqa: E402
import pyvo  # noqa: E402
from pyvo.dal.adhoc import DatalinkResults, SodaQuery  # noqa: E402

DATALINK_TYPE = "application/x-votable+xml;content=datalink"
SODA_SYNC = "ivo://ivoa.net/std/SODA#sync-1.0"
FAILURES = []


def check(name, fn):
    try:
        fn()
        print(f"ok   {name}")
    except Exception as e:  # noqa: BLE001 - report every failure, keep going
        FAILURES.append(name)
        print(f"FAIL {name}: {type(e).__name__}: {e}")


def links_of(dl):
    """The rows of a DatalinkResults as dicts (pyvo's bysemantics needs the vocabulary from the net)."""
    return [{k: (None if rec[k] is np.ma.masked or rec[k] == "" else rec[k]) for k in dl.fieldnames} for rec in dl]


def separation(ra1, dec1, ra2, dec2):
    r1, d1, r2, d2 = map(math.radians, (ra1, dec1, ra2, dec2))
    c = math.sin(d1) * math.sin(d2) + math.cos(d1) * math.cos(d2) * math.cos(r1 - r2)
    return math.degrees(math.acos(min(1.0, c)))


def input_param(resource, name):
    return next(p for g in resource.groups if g.name == "inputParams" for p in g.entries if p.name == name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    url = ap.parse_args().url.rstrip("/")
    links_url = url + "/image/v0/datalink/links"
    state = {}

    def sia_search():
        sia = pyvo.dal.sia2.SIAService(url + "/image/v0/sia")
        res = sia.search(pos=(0.0 * u.deg, 0.0 * u.deg, 0.2 * u.deg))
        assert len(res) >= 4, len(res)
        for rec in res:
            did = rec["obs_publisher_did"]
            assert rec.access_format == DATALINK_TYPE, rec.access_format
            assert rec.access_url == links_url + "?ID=" + urllib.parse.quote(did, safe=""), (rec.access_url, did)
        state["records"] = res

    check("SIA records point at their DataLink documents (access_url, access_format)", sia_search)

    def follow_each():
        res = state["records"]
        checked = 0
        for rec in res:
            did = rec["obs_publisher_did"]
            dl = DatalinkResults.from_result_url(rec.access_url)
            rows = links_of(dl)
            assert all(r["ID"] == did for r in rows), rows
            this = [r for r in rows if r["semantics"] == "#this" and r["content_type"] == "image/fits"]
            assert len(this) == 1, this
            body = requests.get(this[0]["access_url"], timeout=120).content
            assert len(body) == int(this[0]["content_length"]), (len(body), this[0]["content_length"])
            with fits.open(io.BytesIO(body)) as hdul:
                hdul.verify("exception")
                names = [h.name for h in hdul if h.data is not None]
                assert len(names) >= 1, names
                shapes = {h.data.shape for h in hdul if h.data is not None}
                assert shapes == {(int(rec["s_xel2"]), int(rec["s_xel1"]))}, shapes
            aux = sorted(r["local_semantics"] for r in rows if r["semantics"] == "#auxiliary")
            assert len(aux) == len(names) - 1, (aux, names)
            if shutil.which("fitsverify"):
                with tempfile.NamedTemporaryFile(suffix=".fits") as f:
                    f.write(body)
                    f.flush()
                    out = subprocess.run(["fitsverify", "-q", f.name], capture_output=True, text=True).stdout
                    assert "0 error" in out or out.strip().startswith("verification OK"), out
            preview = [r for r in rows if r["semantics"] == "#preview"]
            assert len(preview) == 1 and preview[0]["content_type"] == "image/png", preview
            assert requests.get(preview[0]["access_url"], timeout=60).content[:8] == b"\x89PNG\r\n\x1a\n"
            cutout = [r for r in rows if r["semantics"] == "#cutout"]
            assert len(cutout) == 1, cutout
            sd = dl.get_adhocservice_by_id(cutout[0]["service_def"])
            params = {p.name: p.value for p in sd.params}
            assert params["standardID"] == SODA_SYNC and params["accessURL"] == url + "/image/v0/soda/sync", params
            assert input_param(sd, "ID").ref == "ID"
            ra, dec, r = (float(x) for x in input_param(sd, "CIRCLE").values.max)
            corners = [float(x) for x in rec["s_region"].split()[2:]]
            assert all(separation(ra, dec, corners[k], corners[k + 1]) <= r + 1e-9 for k in range(0, len(corners), 2)), (ra, dec, r, corners)
            assert [float(x) for x in input_param(sd, "POLYGON").values.max] == corners
            checked += 1
        print(f"     {checked} records followed; #this downloaded and opened with astropy")

    check("each record's DataLink: #this FITS (astropy, content_length), #auxiliary planes, #preview PNG, #cutout descriptor", follow_each)

    def batched():
        res = state["records"]
        seen = []
        for dl in res.iter_datalinks():
            rows = links_of(dl)
            ids = {r["ID"] for r in rows}
            assert len(ids) == 1, ids
            seen.append(ids.pop())
        assert seen == [rec["obs_publisher_did"] for rec in res], seen

    check("iter_datalinks over the SIA results: one links document per record, in order", batched)

    def soda_through_descriptor():
        probe = requests.get(url + "/image/v0/soda/sync", timeout=30)
        if probe.status_code == 404:
            print("     skipped: SODA sync is not served by this server")
            return
        rec = state["records"][0]
        dl = DatalinkResults.from_result_url(rec.access_url)
        row = next(r for r in dl if r.semantics == "#cutout")
        sd = dl.get_adhocservice_by_id(row.service_def)
        q = SodaQuery.from_resource(row, sd, circle=(float(rec["s_ra"]), float(rec["s_dec"]), 0.01) * u.deg)
        body = q.execute_stream().read()
        with fits.open(io.BytesIO(body)) as hdul:
            data = [h for h in hdul if h.data is not None]
            assert data, "no image in the cutout"
            assert data[0].data.shape[0] < int(rec["s_xel2"]) and data[0].data.shape[1] < int(rec["s_xel1"]), data[0].data.shape

    check("the #cutout descriptor works: pyvo calls SODA sync with it and gets a smaller FITS", soda_through_descriptor)

    def unknown():
        ids = ["ivo://vodax/image?999999999", "nonsense"]
        dl = DatalinkResults.from_result_url(links_url + "?" + urllib.parse.urlencode([("ID", i) for i in ids]))
        rows = links_of(dl)
        assert [r["ID"] for r in rows] == ids, rows
        assert all(r["error_message"].startswith("NotFoundFault: ") and r["access_url"] is None for r in rows), rows
        no_id = requests.get(links_url, timeout=30)
        assert no_id.status_code == 400 and "UsageFault" in no_id.text, (no_id.status_code, no_id.text[:300])

    check("unknown and malformed IDs: NotFoundFault rows; no ID: a UsageFault", unknown)

    def datalinklint():
        dids = [rec["obs_publisher_did"] for rec in state["records"]][:3] + ["ivo://vodax/image?999999999"]
        doc = links_url + "?" + urllib.parse.urlencode([("ID", i) for i in dids])
        print(f"     stilts datalinklint votable='{doc}'")
        out = subprocess.run(["stilts", "datalinklint", f"votable={doc}"], capture_output=True, text=True, timeout=300)
        text = out.stdout + out.stderr
        for line in text.splitlines():
            if re.match(r"^[EWF]-", line) or line.startswith("Totals"):
                print("     " + line)
        m = re.search(r"Totals:\s+Errors:\s+(\d+);\s+Warnings:\s+(\d+)", text)
        assert m, text[-2000:]
        assert int(m.group(1)) == 0, f"{m.group(1)} errors"

    check("stilts datalinklint: 0 errors", datalinklint)

    print(f"\n{len(FAILURES)} failure(s)" + (": " + ", ".join(FAILURES) if FAILURES else ""))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
