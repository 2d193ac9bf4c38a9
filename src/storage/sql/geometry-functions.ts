/**
 * SQL functions (schema `vodax`, plain SQL and PL/pgSQL, no extension) the translated ADQL
 * calls: spherical distance, polygon tests, areas and the HEALPix neighbourhood used bvy
 * crossmatch joins. Geometry values are DALI double arrays in degrees: a point [ra, decl], a
 * circle [ra, decl, r], a polygon [ra1, dec1, ra2, dec2, ...] with great-circle edges.
 *
 * Polygons follow src/healpix/polygon.ts: the interior is the side that fits in a hemisphere,
 * decided in a gnomonic projection about a centre inside the polygon, so the test is exact
 * across RA 0/360 and at the poles, for convex and concave polygons in either winding.
 */

/** The migration body creating (or replacing) the functions. */
export const GEOMETRY_FUNCTIONS_SQL = `
CREATE OR REPLACE FUNCTION vodax.sphdist(ra1 float8, dec1 float8, ra2 float8, dec2 float8) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
  SELECT degrees(2 * asin(least(1::float8, sqrt(
    power(sin(radians(dec2 - dec1) / 2), 2) + cos(radians(dec1)) * cos(radians(dec2)) * power(sin(radians(ra2 - ra1) / 2), 2)))))
$f$;

-- The projection frame of a polygon: centre c, tangent basis e1, e2, then the projected
-- vertices (u, v). NULL when no hemisphere holds the polygon.
CREATE OR REPLACE FUNCTION vodax.polygon_frame(poly float8[]) RETURNS float8[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
DECLARE
  n int := coalesce(array_length(poly, 1), 0) / 2;
  vx float8[]; vy float8[]; vz float8[];
  ra float8; de float8; cd float8;
  sx float8 := 0; sy float8 := 0; sz float8 := 0;
  mx float8 := 0; my float8 := 0; mz float8 := 0;
  cx float8; cy float8; cz float8; len float8;
  ax float8; ay float8; az float8; bx float8; bvy float8; bz float8; w float8;
  hx float8; hy float8; hz float8;
  e1x float8; e1y float8; e1z float8; e2x float8; e2y float8; e2z float8;
  d float8; ok boolean; cand int;
  out float8[];
BEGIN
  IF n < 3 THEN RAISE EXCEPTION 'a polygon needs at least 3 vertices'; END IF;
  FOR i IN 1..n LOOP
    ra := radians(poly[2 * i - 1]); de := radians(poly[2 * i]); cd := cos(de);
    vx[i] := cd * cos(ra); vy[i] := cd * sin(ra); vz[i] := sin(de);
    sx := sx + vx[i]; sy := sy + vy[i]; sz := sz + vz[i];
  END LOOP;
  FOR i IN 1..n LOOP
    ax := vx[i]; ay := vy[i]; az := vz[i];
    bx := vx[i % n + 1]; bvy := vy[i % n + 1]; bz := vz[i % n + 1];
    w := atan2(sqrt(power(ay * bz - az * bvy, 2) + power(az * bx - ax * bz, 2) + power(ax * bvy - ay * bx, 2)), ax * bx + ay * bvy + az * bz);
    len := sqrt(power(ax + bx, 2) + power(ay + bvy, 2) + power(az + bz, 2));
    IF len > 0 THEN
      mx := mx + w * (ax + bx) / len; my := my + w * (ay + bvy) / len; mz := mz + w * (az + bz) / len;
    END IF;
  END LOOP;
  ok := false;
  FOR cand IN 1..2 LOOP
    IF cand = 1 THEN cx := sx; cy := sy; cz := sz; ELSE cx := mx; cy := my; cz := mz; END IF;
    len := sqrt(cx * cx + cy * cy + cz * cz);
    CONTINUE WHEN len < 1e-12;
    cx := cx / len; cy := cy / len; cz := cz / len;
    ok := true;
    FOR i IN 1..n LOOP
      IF vx[i] * cx + vy[i] * cy + vz[i] * cz <= 1e-6 THEN ok := false; EXIT; END IF;
    END LOOP;
    EXIT WHEN ok;
  END LOOP;
  IF NOT ok THEN RETURN NULL; END IF;
  IF abs(cz) < 0.9 THEN hx := 0; hy := 0; hz := 1; ELSE hx := 1; hy := 0; hz := 0; END IF;
  e1x := hy * cz - hz * cy; e1y := hz * cx - hx * cz; e1z := hx * cy - hy * cx;
  len := sqrt(e1x * e1x + e1y * e1y + e1z * e1z);
  e1x := e1x / len; e1y := e1y / len; e1z := e1z / len;
  e2x := cy * e1z - cz * e1y; e2y := cz * e1x - cx * e1z; e2z := cx * e1y - cy * e1x;
  out := ARRAY[cx, cy, cz, e1x, e1y, e1z, e2x, e2y, e2z];
  FOR i IN 1..n LOOP
    d := vx[i] * cx + vy[i] * cy + vz[i] * cz;
    out := out || ARRAY[(vx[i] * e1x + vy[i] * e1y + vz[i] * e1z) / d, (vx[i] * e2x + vy[i] * e2y + vz[i] * e2z) / d];
  END LOOP;
  RETURN out;
END
$f$;

-- Point-in-polygon with a prepared frame: even-odd rule in the gnomonic projection.
CREATE OR REPLACE FUNCTION vodax.frame_contains(frame float8[], ra float8, decl float8) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
DECLARE
  n int := (array_length(frame, 1) - 9) / 2;
  r float8 := radians(ra); d float8 := radians(decl);
  px float8 := cos(d) * cos(r); py float8 := cos(d) * sin(r); pz float8 := sin(d);
  dc float8; u float8; v float8;
  ui float8; vi float8; uj float8; vj float8;
  inside boolean := false;
  j int;
BEGIN
  dc := px * frame[1] + py * frame[2] + pz * frame[3];
  IF dc <= 0 THEN RETURN false; END IF;
  u := (px * frame[4] + py * frame[5] + pz * frame[6]) / dc;
  v := (px * frame[7] + py * frame[8] + pz * frame[9]) / dc;
  j := n;
  FOR i IN 1..n LOOP
    ui := frame[8 + 2 * i]; vi := frame[9 + 2 * i];
    uj := frame[8 + 2 * j]; vj := frame[9 + 2 * j];
    IF (vi > v) <> (vj > v) AND u < (uj - ui) * (v - vi) / (vj - vi) + ui THEN inside := NOT inside; END IF;
    j := i;
  END LOOP;
  RETURN inside;
END
$f$;

CREATE OR REPLACE FUNCTION vodax.polygon_contains(poly float8[], ra float8, decl float8) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
DECLARE frame float8[] := vodax.polygon_frame(poly);
BEGIN
  IF frame IS NULL THEN RAISE EXCEPTION 'polygon % is larger than a hemisphere', poly; END IF;
  RETURN vodax.frame_contains(frame, ra, decl);
END
$f$;

-- Angular distance (degrees) from a position to the polygon's boundary.
CREATE OR REPLACE FUNCTION vodax.polygon_boundary_distance(poly float8[], ra float8, decl float8) RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
DECLARE
  n int := array_length(poly, 1) / 2;
  best float8 := 'Infinity';
  d float8; s float8; len float8;
  nx float8; ny float8; nz float8; qx float8; qy float8; qz float8;
  ax float8; ay float8; az float8; bx float8; bvy float8; bz float8;
  r float8 := radians(ra); de float8 := radians(decl);
  px float8 := cos(de) * cos(r); py float8 := cos(de) * sin(r); pz float8 := sin(de);
  j int;
BEGIN
  FOR i IN 1..n LOOP
    j := i % n + 1;
    ax := cos(radians(poly[2 * i])) * cos(radians(poly[2 * i - 1])); ay := cos(radians(poly[2 * i])) * sin(radians(poly[2 * i - 1])); az := sin(radians(poly[2 * i]));
    bx := cos(radians(poly[2 * j])) * cos(radians(poly[2 * j - 1])); bvy := cos(radians(poly[2 * j])) * sin(radians(poly[2 * j - 1])); bz := sin(radians(poly[2 * j]));
    nx := ay * bz - az * bvy; ny := az * bx - ax * bz; nz := ax * bvy - ay * bx;
    len := sqrt(nx * nx + ny * ny + nz * nz);
    IF len > 0 THEN
      nx := nx / len; ny := ny / len; nz := nz / len;
      s := px * nx + py * ny + pz * nz;
      qx := px - s * nx; qy := py - s * ny; qz := pz - s * nz;
      IF ((ay * qz - az * qy) * nx + (az * qx - ax * qz) * ny + (ax * qy - ay * qx) * nz) >= 0
         AND ((qy * bz - qz * bvy) * nx + (qz * bx - qx * bz) * ny + (qx * bvy - qy * bx) * nz) >= 0 THEN
        d := degrees(asin(least(1, abs(s))));
      ELSE
        d := least(vodax.sphdist(ra, decl, poly[2 * i - 1], poly[2 * i]), vodax.sphdist(ra, decl, poly[2 * j - 1], poly[2 * j]));
      END IF;
    ELSE
      d := vodax.sphdist(ra, decl, poly[2 * i - 1], poly[2 * i]);
    END IF;
    IF d < best THEN best := d; END IF;
  END LOOP;
  RETURN best;
END
$f$;

-- True when minor arcs a-b and c-d (unit vectors) cross at an interior point.
CREATE OR REPLACE FUNCTION vodax.arcs_cross(a float8[], b float8[], c float8[], d float8[]) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
DECLARE
  abx float8 := a[2] * b[3] - a[3] * b[2]; aby float8 := a[3] * b[1] - a[1] * b[3]; abz float8 := a[1] * b[2] - a[2] * b[1];
  cdx float8 := c[2] * d[3] - c[3] * d[2]; cdy float8 := c[3] * d[1] - c[1] * d[3]; cdz float8 := c[1] * d[2] - c[2] * d[1];
  acb float8 := -sign(abx * c[1] + aby * c[2] + abz * c[3]);
  bda float8 := sign(abx * d[1] + aby * d[2] + abz * d[3]);
  cbd float8 := -sign(cdx * b[1] + cdy * b[2] + cdz * b[3]);
  dac float8 := sign(cdx * a[1] + cdy * a[2] + cdz * a[3]);
BEGIN
  RETURN acb <> 0 AND acb = bda AND acb = cbd AND acb = dac;
END
$f$;

CREATE OR REPLACE FUNCTION vodax.unit_vector(ra float8, decl float8) RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
  SELECT ARRAY[cos(radians(decl)) * cos(radians(ra)), cos(radians(decl)) * sin(radians(ra)), sin(radians(decl))]
$f$;

-- True when some edge of polygon a crosses some edge of polygon b.
CREATE OR REPLACE FUNCTION vodax.polygon_edges_cross(a float8[], b float8[]) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
DECLARE
  na int := array_length(a, 1) / 2; nb int := array_length(b, 1) / 2;
BEGIN
  FOR i IN 1..na LOOP
    FOR j IN 1..nb LOOP
      IF vodax.arcs_cross(
        vodax.unit_vector(a[2 * i - 1], a[2 * i]), vodax.unit_vector(a[2 * (i % na + 1) - 1], a[2 * (i % na + 1)]),
        vodax.unit_vector(b[2 * j - 1], b[2 * j]), vodax.unit_vector(b[2 * (j % nb + 1) - 1], b[2 * (j % nb + 1)])) THEN
        RETURN true;
      END IF;
    END LOOP;
  END LOOP;
  RETURN false;
END
$f$;

-- Polygon a lies inside polygon b: every vertex inside and no edges crossing.
CREATE OR REPLACE FUNCTION vodax.polygon_in_polygon(a float8[], b float8[]) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
BEGIN
  FOR i IN 1..array_length(a, 1) / 2 LOOP
    IF NOT vodax.polygon_contains(b, a[2 * i - 1], a[2 * i]) THEN RETURN false; END IF;
  END LOOP;
  RETURN NOT vodax.polygon_edges_cross(a, b);
END
$f$;

CREATE OR REPLACE FUNCTION vodax.polygons_intersect(a float8[], b float8[]) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
BEGIN
  IF vodax.polygon_contains(b, a[1], a[2]) OR vodax.polygon_contains(a, b[1], b[2]) THEN RETURN true; END IF;
  RETURN vodax.polygon_edges_cross(a, b);
END
$f$;

-- Every vertex within r of the centre (exact for r <= 90 degrees, where a cap is convex).
CREATE OR REPLACE FUNCTION vodax.polygon_in_circle(poly float8[], ra float8, decl float8, r float8) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
BEGIN
  FOR i IN 1..array_length(poly, 1) / 2 LOOP
    IF vodax.sphdist(ra, decl, poly[2 * i - 1], poly[2 * i]) > r THEN RETURN false; END IF;
  END LOOP;
  RETURN true;
END
$f$;

-- Area in square degrees: 2 pi minus the total turning angle.
CREATE OR REPLACE FUNCTION vodax.polygon_area(poly float8[]) RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
DECLARE
  n int := array_length(poly, 1) / 2;
  turn float8 := 0;
  a float8[]; b float8[]; c float8[];
  n1 float8[]; n2 float8[]; x float8[];
BEGIN
  FOR i IN 1..n LOOP
    a := vodax.unit_vector(poly[2 * i - 1], poly[2 * i]);
    b := vodax.unit_vector(poly[2 * (i % n + 1) - 1], poly[2 * (i % n + 1)]);
    c := vodax.unit_vector(poly[2 * ((i + 1) % n + 1) - 1], poly[2 * ((i + 1) % n + 1)]);
    n1 := ARRAY[a[2] * b[3] - a[3] * b[2], a[3] * b[1] - a[1] * b[3], a[1] * b[2] - a[2] * b[1]];
    n2 := ARRAY[b[2] * c[3] - b[3] * c[2], b[3] * c[1] - b[1] * c[3], b[1] * c[2] - b[2] * c[1]];
    x := ARRAY[n1[2] * n2[3] - n1[3] * n2[2], n1[3] * n2[1] - n1[1] * n2[3], n1[1] * n2[2] - n1[2] * n2[1]];
    turn := turn + atan2(x[1] * b[1] + x[2] * b[2] + x[3] * b[3], n1[1] * n2[1] + n1[2] * n2[2] + n1[3] * n2[3]);
  END LOOP;
  RETURN degrees(degrees(2 * pi() - abs(turn)));
END
$f$;

-- Centroid: the normalised mean of the vertex vectors, as [ra, decl].
CREATE OR REPLACE FUNCTION vodax.polygon_centroid(poly float8[]) RETURNS float8[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$
DECLARE
  s float8[] := ARRAY[0, 0, 0]::float8[]; v float8[]; ra float8;
BEGIN
  FOR i IN 1..array_length(poly, 1) / 2 LOOP
    v := vodax.unit_vector(poly[2 * i - 1], poly[2 * i]);
    s := ARRAY[s[1] + v[1], s[2] + v[2], s[3] + v[3]];
  END LOOP;
  ra := degrees(atan2(s[2], s[1]));
  IF ra < 0 THEN ra := ra + 360; END IF;
  RETURN ARRAY[ra, degrees(atan2(s[3], sqrt(s[1] * s[1] + s[2] * s[2])))];
END
$f$;

-- BOX(ra, decl, width, height) as the polygon of its corners (great-circle sides).
CREATE OR REPLACE FUNCTION vodax.box_polygon(ra float8, decl float8, w float8, h float8) RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
  SELECT ARRAY[ra - w / 2, decl - h / 2, ra + w / 2, decl - h / 2, ra + w / 2, decl + h / 2, ra - w / 2, decl + h / 2]
$f$;

-- The order-k pixel holding an order-29 nested index, and its 7 or 8 neighbours (distinct).
CREATE OR REPLACE FUNCTION vodax.hpx_neighbours(ipix bigint, k int) RETURNS SETOF bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE ROWS 9 AS $f$
DECLARE
  p bigint := ipix >> (2 * (29 - k));
  nside bigint := 1::bigint << k;
  face int := (p >> (2 * k))::int;
  rem bigint := p & ((1::bigint << (2 * k)) - 1);
  x bigint := 0; y bigint := 0;
  f int; s int; nx bigint; ny bigint; tx bigint; ty bigint; q bigint;
  out bigint[] := ARRAY[]::bigint[];
BEGIN
  FOR i IN 0..k - 1 LOOP
    x := x | (((rem >> (2 * i)) & 1) << i);
    y := y | (((rem >> (2 * i + 1)) & 1) << i);
  END LOOP;
  FOR dx IN -1..1 LOOP
    FOR dy IN -1..1 LOOP
      nx := x + dx; ny := y + dy; f := face; s := face % 4;
      IF nx >= 0 AND nx < nside AND ny >= 0 AND ny < nside THEN
        NULL;
      ELSIF (nx < 0 OR nx >= nside) AND (ny < 0 OR ny >= nside) THEN
        -- A corner: four faces meet there, or three (then there is no diagonal neighbour).
        IF face < 4 AND nx >= nside AND ny >= nside THEN f := (s + 2) % 4; nx := nside - 1; ny := nside - 1;
        ELSIF face < 4 AND nx < 0 AND ny < 0 THEN f := 8 + s; nx := nside - 1; ny := nside - 1;
        ELSIF face >= 4 AND face < 8 AND nx >= nside AND ny < 0 THEN f := 4 + (s + 1) % 4; nx := 0; ny := nside - 1;
        ELSIF face >= 4 AND face < 8 AND nx < 0 AND ny >= nside THEN f := 4 + (s + 3) % 4; nx := nside - 1; ny := 0;
        ELSIF face >= 8 AND nx < 0 AND ny < 0 THEN f := 8 + (s + 2) % 4; nx := 0; ny := 0;
        ELSIF face >= 8 AND nx >= nside AND ny >= nside THEN f := s; nx := 0; ny := 0;
        ELSE f := -1;
        END IF;
      ELSIF nx >= nside THEN
        IF face < 4 THEN f := (s + 1) % 4; tx := ny; ty := 2 * nside - 1 - nx; nx := tx; ny := ty;
        ELSIF face < 8 THEN f := s; nx := nx - nside;
        ELSE f := 4 + (s + 1) % 4; nx := nx - nside;
        END IF;
      ELSIF ny >= nside THEN
        IF face < 4 THEN f := (s + 3) % 4; tx := 2 * nside - 1 - ny; ty := nx; nx := tx; ny := ty;
        ELSIF face < 8 THEN f := (s + 3) % 4; ny := ny - nside;
        ELSE f := 4 + s; ny := ny - nside;
        END IF;
      ELSIF nx < 0 THEN
        IF face < 4 THEN f := 4 + s; nx := nx + nside;
        ELSIF face < 8 THEN f := 8 + (s + 3) % 4; nx := nx + nside;
        ELSE f := 8 + (s + 3) % 4; tx := ny; ty := -nx - 1; nx := tx; ny := ty;
        END IF;
      ELSE
        IF face < 4 THEN f := 4 + (s + 1) % 4; ny := ny + nside;
        ELSIF face < 8 THEN f := 8 + s; ny := ny + nside;
        ELSE f := 8 + (s + 1) % 4; tx := -ny - 1; ty := nx; nx := tx; ny := ty;
        END IF;
      END IF;
      CONTINUE WHEN f < 0;
      q := 0;
      FOR i IN 0..k - 1 LOOP
        q := q | (((nx >> i) & 1) << (2 * i)) | (((ny >> i) & 1) << (2 * i + 1));
      END LOOP;
      q := (f::bigint << (2 * k)) | q;
      IF NOT q = ANY (out) THEN out := out || q; END IF;
    END LOOP;
  END LOOP;
  RETURN QUERY SELECT unnest(out);
END
$f$;
`;
