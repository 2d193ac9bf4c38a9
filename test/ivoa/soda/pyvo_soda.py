"""A pyvo user's SODA cutout: pyvo.dal.adhoc.SodaQuery against the sync endpoint, by CIRCLE,
POLYGON or POS RANGE, optionally with a BAND (metres); writes the answer's bytes to OUT and
prints its status and content type as JSON (pyvo's error message on a failure).
Usage: pyvo_soda.py SYNC_URL ID OUT circle|polygon|range VALUES... [--band LO HI] [--param NAME VALUE]"""
import json
import sys
import warnings

from pyvo.dal.adhoc import SodaQuery
from pyvo.dal.exceptions import DALServiceError


def main(argv):
    url, dataset, out, shape = argv[:4]
    rest = argv[4:]
    band = None
    extra = {}
    if "--param" in rest:
        at = rest.index("--param")
        extra[rest[at + 1]] = rest[at + 2]
        rest = rest[:at]
    if "--band" in rest:
        at = rest.index("--band")
        band = [float(rest[at + 1]), float(rest[at + 2])]
        rest = rest[:at]
    values = [float(v) for v in rest]
    query = SodaQuery(url, band=band)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        setattr(query, shape, values)
    query["ID"] = dataset
    query.update(extra)
    response = query.execute_stream()
    body = response.read()
    try:
        # pyvo keeps a failure for the caller to raise (execute_stream returns the body either way).
        query.raise_if_error()
    except DALServiceError as e:
        print(json.dumps({"error": str(e), "code": e.code, "body": body.decode("utf-8", "replace")}))
        return
    with open(out, "wb") as f:
        f.write(body)
    print(json.dumps({"status": response.status, "type": response.headers.get("Content-Type"), "sent": {k: str(v) for k, v in query.items()}}))


if __name__ == "__main__":
    main(sys.argv[1:])
