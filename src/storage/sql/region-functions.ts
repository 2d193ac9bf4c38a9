/**
 * The SQL function that reads an ADQL region column (xtype adql:REGION, STC-S text such as
 * ObsCore's `POLYGON ICRS 359.9 -0.1 0.1 -0.1 0.1 0.1 359.9 0.1`) as the DALI polygon array
 * the other vodax geometry functions (src/adql/sql-functions.ts) take, so a region column works
 * wherever a polygon does. Text written from doubles in PostgreSQL's shortest exact form reads
 * back to the same doubles.
 *
 * Accepted: `POLYGON` and `BOX` (as ADQL BOX: the polygon of its corners), any letter case,
 * with ICRS-compatible frame, reference position and flavour words before the coordinates.
 * Anything else (CIRCLE, other frames, unions) is an error rather than a silent approximation.
 */

/** The migration body creating (or replacing) vodax.stcs_polygon(text) → float8[]. */
export const REGION_FUNCTIONS_SQL = `
CREATE OR REPLACE FUNCTION vodax.stcs_polygon(region text) RETURNS float8[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
DECLARE
  tok text[] := regexp_split_to_array(btrim(region, E' \\t\\r\\n'), E'\\\\s+');
  n int := coalesce(array_length(tok, 1), 0);
  shape text;
  i int := 2;
  v float8[];
BEGIN
  IF n = 0 OR tok[1] = '' THEN RETURN NULL; END IF;
  shape := upper(tok[1]);
  WHILE i <= n AND tok[i] !~ '^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$' LOOP
    IF upper(tok[i]) NOT IN ('ICRS', 'FK5', 'J2000', 'UNKNOWNFRAME', 'BARYCENTER', 'GEOCENTER', 'HELIOCENTER', 'TOPOCENTER', 'UNKNOWNREFPOS', 'SPHERICAL2') THEN
      RAISE EXCEPTION 'region "%": "%" is not supported (positions are ICRS degrees)', region, tok[i] USING ERRCODE = '22023';
    END IF;
    i := i + 1;
  END LOOP;
  FOR j IN i..n LOOP
    IF tok[j] !~ '^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$' THEN
      RAISE EXCEPTION 'region "%": "%" is not a number', region, tok[j] USING ERRCODE = '22023';
    END IF;
  END LOOP;
  v := coalesce(tok[i:n]::float8[], ARRAY[]::float8[]);
  IF shape = 'POLYGON' THEN
    IF cardinality(v) < 6 OR cardinality(v) % 2 <> 0 THEN
      RAISE EXCEPTION 'region "%": a POLYGON needs at least 3 vertices, each a longitude and a latitude', region USING ERRCODE = '22023';
    END IF;
    RETURN v;
  END IF;
  IF shape = 'BOX' THEN
    IF cardinality(v) <> 4 OR v[3] < 0 OR v[4] < 0 THEN
      RAISE EXCEPTION 'region "%": a BOX is a centre, a width and a height (not negative)', region USING ERRCODE = '22023';
    END IF;
    RETURN vodax.box_polygon(v[1], v[2], v[3], v[4]);
  END IF;
  RAISE EXCEPTION 'region "%": only POLYGON and BOX regions can be used in geometry functions', region USING ERRCODE = '22023';
END
$f$;
`;
