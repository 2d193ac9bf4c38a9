"""Reads a DataLink {links} document the way clients do and prints what they see as JSON.

astropy parses it with every warning an error but one: E02 on the BAND VALUES, whose MIN and MAX
are single numbers as SODA 1.0 section 4.2 prescribes for an interval (astropy wants two).
pyvo (DatalinkResults) then finds each #cutout row's service descriptor and builds the SODA call
it would make for a circle at the image centre, without sending it.
"""
import json
import sys
import warnings

# pyvo 1.2.1 warns of its own imports (distutils); only the document's warnings count.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import astropy.units as u
    import numpy as np
    from astropy.io.votable import parse
    from pyvo.dal.adhoc import DatalinkResults, SodaQuery

warnings.simplefilter("error")
warnings.filterwarnings("ignore", message=r".*E02: Incorrect number of elements in array\. Expected multiple of 2, got 1")


def text(v):
    if v is None:
        return None
    if hasattr(v, "mask") and bool(getattr(v, "mask", False)):
        return None
    if isinstance(v, bytes):
        return v.decode()
    return str(v)


def numbers(v):
    """A MIN or MAX as a list of floats; astropy pads a short one with NaN, dropped here."""
    if v is None:
        return None
    return [x for x in np.atleast_1d(np.asarray(v, dtype=float)).tolist() if x == x]


def main(path):
    vot = parse(path)
    res = vot.resources[0]
    table = res.tables[0]
    out = {
        "resourceType": res.type,
        "infos": [[i.name, i.value] for i in res.infos],
        "fields": [{"name": f.name, "ID": f.ID, "datatype": f.datatype, "ucd": f.ucd, "unit": str(f.unit) if f.unit else None} for f in table.fields],
        "rows": [],
        "descriptors": [],
        "sodaCalls": [],
    }
    data = table.array
    for i in range(len(data)):
        row = {}
        for f in table.fields:
            v = data[f.name][i]
            masked = bool(data.mask[f.name][i]) if hasattr(data, "mask") else False
            row[f.name] = None if masked else (int(v) if f.datatype == "long" else (text(v) or None))
        out["rows"].append(row)
    for r in vot.resources[1:]:
        d = {"type": r.type, "utype": r.utype, "ID": r.ID, "params": {p.name: text(p.value) for p in r.params}, "inputs": {}}
        for g in r.groups:
            for p in g.entries:
                entry = {"ref": p.ref, "xtype": p.xtype, "unit": str(p.unit) if p.unit else None, "ucd": p.ucd, "datatype": p.datatype, "arraysize": p.arraysize}
                if p.values is not None:
                    entry["min"] = numbers(p.values.min)
                    entry["max"] = numbers(p.values.max)
                    entry["options"] = [o[1] for o in p.values.options]
                d["inputs"][p.name] = entry
        out["descriptors"].append(d)
    links = DatalinkResults(vot)
    for rec in links:
        if rec.semantics != "#cutout":
            continue
        sd = links.get_adhocservice_by_id(rec.service_def)
        circle = [float(x) for x in next(p for g in sd.groups for p in g.entries if p.name == "CIRCLE").values.max]
        q = SodaQuery.from_resource(rec, sd, circle=(circle[0], circle[1], circle[2] / 2) * u.deg)
        out["sodaCalls"].append({"ID": rec.id, "url": q.baseurl, "params": {k: str(v) for k, v in q.items()}})
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
