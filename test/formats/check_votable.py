"""Parses a VOTable with astropy, turning every warning into an error, and prints what it read
as JSON: INFOs of the results resource, FIELD attributes, and rows with each cell normalised
(integers as decimal strings, floats as repr, masked as null, arrays as lists)."""
import json
import sys
import warnings

warnings.simplefilter("error")

import numpy as np  # noqa: E402
from astropy.io.votable import parse  # noqa: E402


def cell(value, mask):
    if np.ndim(mask) == 0 and bool(mask):
        return None
    if isinstance(value, (np.ndarray, np.ma.MaskedArray)) and value.dtype.kind not in "US":
        return [cell(x, m) for x, m in zip(np.asarray(value).tolist(), np.broadcast_to(np.ma.getmaskarray(value), np.shape(value)).tolist())]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, bytes):
        return value.decode("ascii")
    return str(value)


def main(path):
    with warnings.catch_warnings():
        vot = parse(path)
    res = vot.resources[0]
    out = {
        "version": vot.version,
        "resourceType": res.type,
        "infos": [[i.name, i.value, i.content] for i in res.infos],
        "fields": [],
        "rows": [],
    }
    if res.tables:
        table = res.tables[0]
        out["fields"] = [
            {k: getattr(f, k) for k in ("ID", "name", "datatype", "arraysize", "xtype", "unit", "ucd", "utype", "description")}
            for f in table.fields
        ]
        out["fields"] = [{k: (str(v) if v is not None else None) for k, v in f.items()} for f in out["fields"]]
        arr = table.array
        for i in range(len(arr)):
            out["rows"].append([cell(arr[n][i], arr.mask[n][i]) for n in arr.dtype.names])
    print(json.dumps(out))


main(sys.argv[1])
