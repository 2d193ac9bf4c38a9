"""Reads the first BINTABLE of a FITS file with astropy, turning every warning into an error,
and prints as JSON: selected header cards and the rows with each cell normalised (integers as
decimal strings, floats as repr, masked or TNULL values as null, arrays as lists)."""
import json
import sys
import warnings

warnings.simplefilter("error")

import numpy as np  # noqa: E402
from astropy.io import fits  # noqa: E402
from astropy.table import Table  # noqa: E402


def cell(value, mask):
    if np.ndim(mask) == 0 and bool(mask):
        return None
    if isinstance(value, (np.ndarray, np.ma.MaskedArray)) and value.dtype.kind not in "US":
        m = np.broadcast_to(np.ma.getmaskarray(value), np.shape(value)).tolist()
        return [cell(x, k) for x, k in zip(np.asarray(value).tolist(), m)]
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
    with fits.open(path) as hdus:
        header = hdus[1].header
        cards = {k: header[k] for k in header if k not in ("COMMENT", "HISTORY", "")}
        cards = {k: (v if isinstance(v, (str, bool)) else str(v)) for k, v in cards.items()}
        comments = [str(c) for c in header.get("COMMENT", [])]
    table = Table.read(path, hdu=1, character_as_bytes=False)
    rows = []
    for i in range(len(table)):
        row = []
        for name in table.colnames:
            col = table[name]
            mask = col.mask[i] if hasattr(col, "mask") and col.mask is not None else False
            row.append(cell(col[i], mask))
        rows.append(row)
    print(json.dumps({"primary": len(hdus), "header": cards, "comments": comments, "rows": rows}))


main(sys.argv[1])
