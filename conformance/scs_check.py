#!/usr/bin/python3
"""pyvo's Simple Cone Search client (Debian pyvo 1.2.1: pyvo.dal.SCSService) against a running
vodax: for every table TAP_SCHEMA gives a main position (pos.eq.ra;meta.main), cones (across
RA 0 too) compared row for row with the same ADQL cone through pyvo.dal.TAPService; VERB column
sets against TAP_SCHEMA; the SR=0 metadata query pyvo's `columns` makes; MAXREC overflow; the
VOSI capabilities (their accessURL used as the service); errors as DALI documents; an L3 table
invisible to an anonymous caller.

Usage: /usr/bin/python3 conformance/scs_check.py --url http://127.0.0.1:8080"""

import argparse
import math
import sys
import xml.etree.ElementTree as ET

import pyvo
import requests
from astropy.coordinates import SkyCoord

FAILURES = []
FIGURES = []

# Cones (ra, dec, sr): on the sample strip, across RA 0, and off it (no rows).
CONES = [(0.0, 0.0, 0.2), (359.9, 0.1, 0.1), (0.02, -0.1, 0.15), (10.0, 0.3, 0.5), (330.0, -0.8, 1.0), (45.0, 1.0, 2.0), (180.0, 0.0, 1.0)]


def check(name, fn):
    try:
        fn()
        print(f"ok   {name}")
    except Exception as e:  # noqa: BLE001 - report every failure, keep going
        FAILURES.append(name)
        print(f"FAIL {name}: {type(e).__name__}: {e}")


def cell(v):
    """A cell as comparable text: masked and NaN alike, floats exact."""
    if v is None or getattr(v, "mask", False) is True or str(v) == "--":
        return "NULL"
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, float) and math.isnan(v):
        return "NULL"
    return repr(v.item() if hasattr(v, "item") else v)


def rows_of(table):
    names = table.colnames
    return sorted(tuple(cell(r[n]) for n in names) for r in table)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    args = ap.parse_args()
    base = args.url.rstrip("/")
    tap = pyvo.dal.TAPService(f"{base}/db/v0/tap")
    scs_base = f"{base}/db/v0/scs"

    cols = tap.search(
        "SELECT table_name, column_name, ucd, principal, column_index FROM TAP_SCHEMA.columns ORDER BY table_name, column_index",
        maxrec=100000,
    ).to_table()
    tables = {}
    for r in cols:
        t = tables.setdefault(str(r["table_name"]), {"all": [], "principal": [], "ra": None, "dec": None, "id": None})
        name, ucd = str(r["column_name"]), str(r["ucd"] or "")
        t["all"].append(name)
        if int(r["principal"]) == 1:
            t["principal"].append(name)
        words = [w.strip().lower() for w in ucd.split(";")]
        if words == ["pos.eq.ra", "meta.main"]:
            t["ra"] = name
        if words == ["pos.eq.dec", "meta.main"]:
            t["dec"] = name
        if words == ["meta.id", "meta.main"]:
            t["id"] = name
    positional = {k: v for k, v in tables.items() if v["ra"] and v["dec"] and not k.startswith("TAP_SCHEMA.")}

    def tables_found():
        for must in ["DC_W13_Stripe82.Object", "DC_W13_Stripe82.Source", "live.DiaObject"]:
            assert must in positional, f"{must} has no main position in TAP_SCHEMA"
        FIGURES.append(f"{len(positional)} tables with a position: {', '.join(sorted(positional))}")

    check("tables with a main position found in TAP_SCHEMA", tables_found)

    compared = {"cones": 0, "rows": 0, "nonempty": 0}

    def cones_equal_adql(name, t):
        def run():
            svc = pyvo.dal.SCSService(f"{scs_base}/{name}")
            for ra, dec, sr in CONES:
                got = svc.search(pos=(ra, dec), radius=sr, verbosity=3).to_table()
                adql = (
                    f"SELECT * FROM {name} WHERE 1 = CONTAINS(POINT('ICRS', {t['ra']}, {t['dec']}), "
                    f"CIRCLE('ICRS', {ra}, {dec}, {sr}))"
                )
                want = tap.search(adql, maxrec=1000000).to_table()
                assert got.colnames == want.colnames, f"cone {ra} {dec} {sr}: columns {got.colnames} != {want.colnames}"
                a, b = rows_of(got), rows_of(want)
                assert a == b, f"cone {ra} {dec} {sr}: {len(a)} rows by SCS, {len(b)} by ADQL, {len(set(a) ^ set(b))} differ"
                compared["cones"] += 1
                compared["rows"] += len(a)
                compared["nonempty"] += 1 if a else 0

        return run

    for name, t in sorted(positional.items()):
        check(f"SCS cones on {name} equal the ADQL cones through TAPService", cones_equal_adql(name, t))

    def across_ra0():
        t = positional["DC_W13_Stripe82.Object"]
        got = pyvo.dal.SCSService(f"{scs_base}/DC_W13_Stripe82.Object").search(pos=(0.0, 0.0), radius=0.2, verbosity=1).to_table()
        ras = [float(x) for x in got[t["ra"]]]
        assert any(x > 359 for x in ras) and any(x < 1 for x in ras), "the cone at RA 0 should have rows on both sides"
        FIGURES.append(f"cone (0, 0, 0.2) on Object: {len(ras)} rows, {sum(1 for x in ras if x > 359)} at RA > 359")

    check("the cone across RA 0 has rows on both sides", across_ra0)

    def records():
        # pyvo's SCSRecord finds the ID and the position by SCS's UCDs (ID_MAIN, POS_EQ_*_MAIN).
        res = pyvo.dal.SCSService(f"{scs_base}/DC_W13_Stripe82.Object").search(pos=(0.0, 0.0), radius=0.02)
        assert len(res) > 0
        for rec in res:
            assert rec.id == rec["objectId"], (rec.id, rec["objectId"])
            assert abs(rec.pos.ra.deg - float(rec["ra"])) < 1e-9 and abs(rec.pos.dec.deg - float(rec["decl"])) < 1e-9, rec.pos
            assert rec.pos.separation(SkyCoord(0, 0, unit="deg")).deg <= 0.02 + 1e-12
        FIGURES.append(f"SCSRecord.id and .pos read on {len(res)} records")

    check("pyvo SCSRecord.id and .pos (SCS UCDs on the main columns), each within the cone", records)

    def verbosity():
        t = positional["DC_W13_Stripe82.Object"]
        svc = pyvo.dal.SCSService(f"{scs_base}/DC_W13_Stripe82.Object")
        v1 = svc.search(pos=(0.0, 0.0), radius=0.05, verbosity=1).to_table().colnames
        v2 = svc.search(pos=(0.0, 0.0), radius=0.05, verbosity=2).to_table().colnames
        v3 = svc.search(pos=(0.0, 0.0), radius=0.05, verbosity=3).to_table().colnames
        assert v1 == [t["id"], t["ra"], t["dec"]], f"VERB=1: {v1}"
        assert v2 == t["principal"], f"VERB=2: {v2} != principal {t['principal']}"
        assert v3 == t["all"], f"VERB=3: {v3}"
        FIGURES.append(f"Object VERB 1/2/3: {len(v1)}/{len(v2)}/{len(v3)} columns")

    check("VERB 1, 2, 3: id and position, principal columns, all columns", verbosity)

    def metadata():
        svc = pyvo.dal.SCSService(f"{scs_base}/DC_W13_Stripe82.Object")
        names = [c.name for c in svc.columns]
        assert names == positional["DC_W13_Stripe82.Object"]["principal"], names
        r = requests.get(f"{scs_base}/DC_W13_Stripe82.Object", params={"RA": 0, "DEC": 0, "SR": 0}, timeout=60)
        assert r.status_code == 200 and "<TR>" not in r.text, "SR=0 must answer the fields without rows"

    check("SR=0 is the metadata query (pyvo SCSService.columns)", metadata)

    def maxrec():
        svc = pyvo.dal.SCSService(f"{scs_base}/DC_W13_Stripe82.Object")
        res = svc.search(pos=(0.0, 0.0), radius=0.1, verbosity=1, MAXREC=5)
        assert len(res) == 5, len(res)
        r = requests.get(f"{scs_base}/DC_W13_Stripe82.Object", params={"RA": 0, "DEC": 0, "SR": 0.1, "MAXREC": 5}, timeout=60)
        assert 'name="QUERY_STATUS" value="OVERFLOW"' in r.text, "overflow not flagged"

    check("MAXREC truncates and flags OVERFLOW", maxrec)

    def csv():
        r = requests.get(f"{scs_base}/DC_W13_Stripe82.Object", params={"RA": 0, "DEC": 0, "SR": 0.05, "VERB": 1, "RESPONSEFORMAT": "csv"}, timeout=60)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), r.headers["content-type"]
        assert r.text.splitlines()[0] == "objectId,ra,decl", r.text.splitlines()[0]

    check("RESPONSEFORMAT=csv", csv)

    def capabilities():
        r = requests.get(f"{scs_base}/DC_W13_Stripe82.Object/capabilities", timeout=60)
        assert r.status_code == 200, r.status_code
        root = ET.fromstring(r.content)
        caps = [c for c in root if c.get("standardID", "").lower().startswith("ivo://ivoa.net/std/conesearch")]
        assert len(caps) == 1, "one ConeSearch capability"
        url = caps[0].find("interface/accessURL").text
        assert caps[0].find("maxSR") is not None and caps[0].find("verbosity").text == "true", "maxSR, verbosity"
        res = pyvo.dal.SCSService(url).search(pos=(0.0, 0.0), radius=0.05, verbosity=1)
        assert len(res) > 0, "the accessURL answers no rows"
        FIGURES.append(f"capabilities: {caps[0].get('standardID')}, accessURL {url}, maxSR {caps[0].find('maxSR').text}")

    check("VOSI capabilities: the ConeSearch accessURL works as a pyvo SCSService", capabilities)

    def errors():
        for params, word in [
            ({"DEC": 0, "SR": 1}, "RA"),
            ({"RA": "abc", "DEC": 0, "SR": 1}, "RA"),
            ({"RA": 0, "DEC": 95, "SR": 1}, "DEC"),
            ({"RA": 0, "DEC": 0, "SR": -1}, "SR"),
            ({"RA": 0, "DEC": 0, "SR": 30}, "SR"),
            ({"RA": 0, "DEC": 0, "SR": 1, "VERB": 9}, "VERB"),
        ]:
            r = requests.get(f"{scs_base}/DC_W13_Stripe82.Object", params=params, timeout=60)
            assert r.status_code == 400, f"{params}: {r.status_code}"
            assert 'name="QUERY_STATUS" value="ERROR"' in r.text and f"parameter {word}" in r.text, r.text
        # pyvo 1.2.1 reads SCS 1.03's INFO name="Error", which the error document carries too.
        try:
            pyvo.dal.SCSService(f"{scs_base}/DC_W13_Stripe82.Object").search(pos=(0.0, 0.0), radius=20)
            raise AssertionError("SR=20 accepted")
        except pyvo.dal.DALQueryError as e:
            assert "parameter SR must be at most 10" in str(e), str(e)
            FIGURES.append(f"pyvo on SR=20: DALQueryError: {e}")

    check("bad parameters are DALI errors (400) naming the parameter; pyvo raises DALQueryError with it", errors)

    def private():
        for name in ["joe_myDb.MyObjects", "DC_W13_Stripe82.NoSuchTable"]:
            r = requests.get(f"{scs_base}/{name}", params={"RA": 0, "DEC": 0, "SR": 1}, timeout=60)
            assert r.status_code == 404 and 'value="ERROR"' in r.text, f"{name}: {r.status_code}"
        assert "joe_myDb.MyObjects" not in positional, "TAP_SCHEMA shows joe's table to anonymous"

    check("an L3 table is a 404 to anonymous callers, like an unknown table", private)

    FIGURES.append(f"{compared['cones']} cones compared, {compared['nonempty']} non-empty, {compared['rows']} rows equal")
    print("\n".join(f"     {f}" for f in FIGURES))
    if FAILURES:
        print(f"scs_check: {len(FAILURES)} failed: {', '.join(FAILURES)}")
        return 1
    print("scs_check: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
