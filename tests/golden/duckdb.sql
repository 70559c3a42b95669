-- duckdb: one UNet pass of the tiny test model at 8x8, then the sampler's SQL

-- time_proj (time_proj)
CREATE TEMP TABLE sqld_t1 AS
SELECT b, list_transform(range(16), lambda k: CASE WHEN k < 8 THEN cos((t::FLOAT * exp(((-9.210340371976184::FLOAT * k::FLOAT)::FLOAT / 8::FLOAT)::FLOAT)::FLOAT)::FLOAT)::FLOAT ELSE sin((t::FLOAT * exp(((-9.210340371976184::FLOAT * (k - 8)::FLOAT)::FLOAT / 8::FLOAT)::FLOAT)::FLOAT)::FLOAT)::FLOAT END) AS v
FROM sqld_timesteps;

-- time_embedding.linear_1 (dense)
CREATE TEMP TABLE sqld_t2 AS
WITH g AS (SELECT b, v || [1.0::FLOAT] AS v FROM sqld_t1)
SELECT b, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."time_embedding.linear_1" w;

-- time_embedding.act (silu)
CREATE TEMP TABLE sqld_t3 AS
SELECT x.b, list_transform(x.v, lambda a: (a / (1 + exp(-a)))::FLOAT) AS v FROM sqld_t2 x;

-- time_embedding.linear_2 (dense)
CREATE TEMP TABLE sqld_t4 AS
WITH g AS (SELECT b, v || [1.0::FLOAT] AS v FROM sqld_t3)
SELECT b, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."time_embedding.linear_2" w;

-- time_embedding.silu (silu)
CREATE TEMP TABLE sqld_t5 AS
SELECT x.b, list_transform(x.v, lambda a: (a / (1 + exp(-a)))::FLOAT) AS v FROM sqld_t4 x;

-- conv_in (conv3x3)
CREATE TEMP TABLE sqld_t7 AS
WITH g AS MATERIALIZED (SELECT b, y, x, flatten([CASE WHEN y > 0 AND x > 0 THEN lag(v, 9) OVER win ELSE [0::FLOAT for _ in range(3)] END, CASE WHEN y > 0 THEN lag(v, 8) OVER win ELSE [0::FLOAT for _ in range(3)] END, CASE WHEN y > 0 AND x < 7 THEN lag(v, 7) OVER win ELSE [0::FLOAT for _ in range(3)] END, CASE WHEN x > 0 THEN lag(v, 1) OVER win ELSE [0::FLOAT for _ in range(3)] END, v, CASE WHEN x < 7 THEN lead(v, 1) OVER win ELSE [0::FLOAT for _ in range(3)] END, CASE WHEN y < 7 AND x > 0 THEN lead(v, 7) OVER win ELSE [0::FLOAT for _ in range(3)] END, CASE WHEN y < 7 THEN lead(v, 8) OVER win ELSE [0::FLOAT for _ in range(3)] END, CASE WHEN y < 7 AND x < 7 THEN lead(v, 9) OVER win ELSE [0::FLOAT for _ in range(3)] END]) || [1.0::FLOAT] AS v
  FROM sqld_sample WINDOW win AS (PARTITION BY b ORDER BY y, x))
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."conv_in" w WHERE (y * 8 + x) % 2 = 0
UNION ALL
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."conv_in" w WHERE (y * 8 + x) % 2 = 1;

-- down_blocks.0.resnets.0.norm1 (group_norm)
CREATE TEMP TABLE sqld_t8 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."down_blocks.0.resnets.0.norm1"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 2 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 17)) AS k FROM sqld_t7 WHERE (y * 8 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 2 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 17)) AS k FROM sqld_t7 WHERE (y * 8 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 2 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 2 + 1] * p.gamma[k] * st.rstd[(k - 1) // 2 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t7 x JOIN s ON s.b = x.b WHERE (x.y * 8 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t7 x JOIN s ON s.b = x.b WHERE (x.y * 8 + x.x) % 2 = 1;

-- down_blocks.0.resnets.0.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t9 AS
WITH g AS (SELECT b, v || [1.0::FLOAT] AS v FROM sqld_t5)
SELECT b, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."down_blocks.0.resnets.0.time_emb_proj" w;

-- down_blocks.0.resnets.0.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t10 AS
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(16)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(16)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(16)]) AS d3 FROM sqld_t8 WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(16)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(16)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(16)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(16)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k] + e.v[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k] + e.v[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k] + e.v[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k] + e.v[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."down_blocks.0.resnets.0.conv1#winograd2" u) t JOIN sqld_t9 e ON e.b = t.b))
WHERE y < 8 AND x < 8;

-- down_blocks.0.resnets.0.norm2 (group_norm)
CREATE TEMP TABLE sqld_t11 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."down_blocks.0.resnets.0.norm2"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 2 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 17)) AS k FROM sqld_t10 WHERE (y * 8 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 2 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 17)) AS k FROM sqld_t10 WHERE (y * 8 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 2 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 2 + 1] * p.gamma[k] * st.rstd[(k - 1) // 2 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t10 x JOIN s ON s.b = x.b WHERE (x.y * 8 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t10 x JOIN s ON s.b = x.b WHERE (x.y * 8 + x.x) % 2 = 1;

-- down_blocks.0.resnets.0.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t12 AS
SELECT c.b, c.y, c.x, list_transform(c.v, lambda a, k: a + e.v[k]) AS v
FROM (
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(16)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(16)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(16)]) AS d3 FROM sqld_t11 WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(16)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(16)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(16)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(16)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."down_blocks.0.resnets.0.conv2#winograd2" u) t))
WHERE y < 8 AND x < 8
) AS c JOIN sqld_t7 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- down_blocks.0.downsamplers.0.conv (conv3x3)
CREATE TEMP TABLE sqld_t13 AS
WITH g AS MATERIALIZED (SELECT b, y // 2 AS y, x // 2 AS x, v FROM (SELECT b, y, x, flatten([CASE WHEN y > 0 AND x > 0 THEN lag(v, 9) OVER win ELSE [0::FLOAT for _ in range(16)] END, CASE WHEN y > 0 THEN lag(v, 8) OVER win ELSE [0::FLOAT for _ in range(16)] END, CASE WHEN y > 0 AND x < 7 THEN lag(v, 7) OVER win ELSE [0::FLOAT for _ in range(16)] END, CASE WHEN x > 0 THEN lag(v, 1) OVER win ELSE [0::FLOAT for _ in range(16)] END, v, CASE WHEN x < 7 THEN lead(v, 1) OVER win ELSE [0::FLOAT for _ in range(16)] END, CASE WHEN y < 7 AND x > 0 THEN lead(v, 7) OVER win ELSE [0::FLOAT for _ in range(16)] END, CASE WHEN y < 7 THEN lead(v, 8) OVER win ELSE [0::FLOAT for _ in range(16)] END, CASE WHEN y < 7 AND x < 7 THEN lead(v, 9) OVER win ELSE [0::FLOAT for _ in range(16)] END]) || [1.0::FLOAT] AS v
  FROM sqld_t12 WINDOW win AS (PARTITION BY b ORDER BY y, x)) AS g WHERE y % 2 = 0 AND x % 2 = 0)
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."down_blocks.0.downsamplers.0.conv" w WHERE (y * 4 + x) % 2 = 0
UNION ALL
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."down_blocks.0.downsamplers.0.conv" w WHERE (y * 4 + x) % 2 = 1;

-- down_blocks.1.resnets.0.norm1 (group_norm)
CREATE TEMP TABLE sqld_t14 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."down_blocks.1.resnets.0.norm1"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 2 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 17)) AS k FROM sqld_t13 WHERE (y * 4 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 2 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 17)) AS k FROM sqld_t13 WHERE (y * 4 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 2 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 2 + 1] * p.gamma[k] * st.rstd[(k - 1) // 2 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t13 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t13 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 1;

-- down_blocks.1.resnets.0.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t15 AS
WITH g AS (SELECT b, v || [1.0::FLOAT] AS v FROM sqld_t5)
SELECT b, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."down_blocks.1.resnets.0.time_emb_proj" w;

-- down_blocks.1.resnets.0.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t16 AS
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(16)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(16)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(16)]) AS d3 FROM sqld_t14 WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(16)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(16)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(16)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(16)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k] + e.v[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k] + e.v[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k] + e.v[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k] + e.v[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."down_blocks.1.resnets.0.conv1#winograd2" u) t JOIN sqld_t15 e ON e.b = t.b))
WHERE y < 4 AND x < 4;

-- down_blocks.1.resnets.0.norm2 (group_norm)
CREATE TEMP TABLE sqld_t17 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."down_blocks.1.resnets.0.norm2"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t16 WHERE (y * 4 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t16 WHERE (y * 4 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 4 + 1] * p.gamma[k] * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t16 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t16 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 1;

-- down_blocks.1.resnets.0.conv_shortcut (dense)
CREATE TEMP TABLE sqld_t18 AS
WITH g AS MATERIALIZED (SELECT b, y, x, v || [1.0::FLOAT] AS v FROM sqld_t13)
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."down_blocks.1.resnets.0.conv_shortcut" w WHERE (y * 4 + x) % 2 = 0
UNION ALL
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."down_blocks.1.resnets.0.conv_shortcut" w WHERE (y * 4 + x) % 2 = 1;

-- down_blocks.1.resnets.0.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t19 AS
SELECT c.b, c.y, c.x, list_transform(c.v, lambda a, k: a + e.v[k]) AS v
FROM (
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(32)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(32)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(32)]) AS d3 FROM sqld_t17 WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(32)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(32)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(32)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(32)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."down_blocks.1.resnets.0.conv2#winograd2" u) t))
WHERE y < 4 AND x < 4
) AS c JOIN sqld_t18 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- down_blocks.1.attentions.0.group_norm (group_norm)
CREATE TEMP TABLE sqld_t20 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."down_blocks.1.attentions.0.group_norm"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t19 WHERE (y * 4 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t19 WHERE (y * 4 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 4 + 1] * p.gamma[k] * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]) AS v
FROM sqld_t19 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]) AS v
FROM sqld_t19 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 1;

-- down_blocks.1.attentions.0.qkv (attention)
CREATE TEMP TABLE sqld_t21 AS
WITH g AS MATERIALIZED (SELECT b, y, x, v || [1.0::FLOAT] AS v FROM sqld_t20)
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."down_blocks.1.attentions.0.qkv" w WHERE (y * 4 + x) % 2 = 0
UNION ALL
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."down_blocks.1.attentions.0.qkv" w WHERE (y * 4 + x) % 2 = 1;

-- down_blocks.1.attentions.0.attention (attention)
CREATE TEMP TABLE sqld_t22 AS
WITH hd AS (  -- one row per (pixel, head): its query, key and value slices
  SELECT b, y * 4 + x AS i, h, v[h * 16 + 1 : h * 16 + 16] AS q,
         v[32 + h * 16 + 1 : 32 + h * 16 + 16] AS k, v[64 + h * 16 + 1 : 64 + h * 16 + 16] AS val
  FROM sqld_t21, range(2) r(h)),
heads AS MATERIALIZED (  -- values transposed: one list over the pixels per channel
  SELECT b, h, qs, ks, list_transform(range(16), lambda ch: list_slice(vals, ch + 1, 256, 16)) AS vt
  FROM (SELECT b, h, list(q ORDER BY i) AS qs, list(k ORDER BY i) AS ks, flatten(list(val ORDER BY i)) AS vals
        FROM hd GROUP BY b, h)),
o AS (
SELECT b, i, h, list_transform(vt, lambda col: (list_dot_product(col, e) / total)::FLOAT) AS o FROM (
  SELECT b, i, h, vt, e, list_sum(e) AS total FROM (
    SELECT b, i, h, vt, list_transform(s, lambda z: exp(z - m)::FLOAT) AS e FROM (
      SELECT b, i, h, vt, s, list_max(s) AS m FROM (
        SELECT b, i, h, vt, list_transform(ks, lambda kk: list_dot_product(kk, q) * 0.25::FLOAT) AS s
        FROM (SELECT b, h, unnest(qs) AS q, unnest(range(16)) AS i, ks, vt FROM heads)
         WHERE (i) % 2 = 0))))
UNION ALL
SELECT b, i, h, list_transform(vt, lambda col: (list_dot_product(col, e) / total)::FLOAT) AS o FROM (
  SELECT b, i, h, vt, e, list_sum(e) AS total FROM (
    SELECT b, i, h, vt, list_transform(s, lambda z: exp(z - m)::FLOAT) AS e FROM (
      SELECT b, i, h, vt, s, list_max(s) AS m FROM (
        SELECT b, i, h, vt, list_transform(ks, lambda kk: list_dot_product(kk, q) * 0.25::FLOAT) AS s
        FROM (SELECT b, h, unnest(qs) AS q, unnest(range(16)) AS i, ks, vt FROM heads)
         WHERE (i) % 2 = 1))))
)
SELECT b, i // 4 AS y, i % 4 AS x, flatten(list(o ORDER BY h)) AS v FROM o GROUP BY b, i;

-- down_blocks.1.attentions.0.to_out.0 (attention)
CREATE TEMP TABLE sqld_t23 AS
SELECT c.b, c.y, c.x, list_transform(c.v, lambda a, k: a + e.v[k]) AS v
FROM (
WITH g AS MATERIALIZED (SELECT b, y, x, v || [1.0::FLOAT] AS v FROM sqld_t22)
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."down_blocks.1.attentions.0.to_out.0" w WHERE (y * 4 + x) % 2 = 0
UNION ALL
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."down_blocks.1.attentions.0.to_out.0" w WHERE (y * 4 + x) % 2 = 1
) AS c JOIN sqld_t19 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- mid_block.resnets.0.norm1 (group_norm)
CREATE TEMP TABLE sqld_t24 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."mid_block.resnets.0.norm1"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t23 WHERE (y * 4 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t23 WHERE (y * 4 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 4 + 1] * p.gamma[k] * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t23 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t23 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 1;

-- mid_block.resnets.0.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t25 AS
WITH g AS (SELECT b, v || [1.0::FLOAT] AS v FROM sqld_t5)
SELECT b, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."mid_block.resnets.0.time_emb_proj" w;

-- mid_block.resnets.0.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t26 AS
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(32)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(32)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(32)]) AS d3 FROM sqld_t24 WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(32)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(32)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(32)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(32)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k] + e.v[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k] + e.v[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k] + e.v[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k] + e.v[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."mid_block.resnets.0.conv1#winograd2" u) t JOIN sqld_t25 e ON e.b = t.b))
WHERE y < 4 AND x < 4;

-- mid_block.resnets.0.norm2 (group_norm)
CREATE TEMP TABLE sqld_t27 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."mid_block.resnets.0.norm2"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t26 WHERE (y * 4 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t26 WHERE (y * 4 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 4 + 1] * p.gamma[k] * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t26 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t26 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 1;

-- mid_block.resnets.0.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t28 AS
SELECT c.b, c.y, c.x, list_transform(c.v, lambda a, k: a + e.v[k]) AS v
FROM (
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(32)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(32)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(32)]) AS d3 FROM sqld_t27 WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(32)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(32)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(32)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(32)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."mid_block.resnets.0.conv2#winograd2" u) t))
WHERE y < 4 AND x < 4
) AS c JOIN sqld_t23 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- mid_block.attentions.0.group_norm (group_norm)
CREATE TEMP TABLE sqld_t29 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."mid_block.attentions.0.group_norm"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t28 WHERE (y * 4 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t28 WHERE (y * 4 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 4 + 1] * p.gamma[k] * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]) AS v
FROM sqld_t28 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]) AS v
FROM sqld_t28 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 1;

-- mid_block.attentions.0.qkv (attention)
CREATE TEMP TABLE sqld_t30 AS
WITH g AS MATERIALIZED (SELECT b, y, x, v || [1.0::FLOAT] AS v FROM sqld_t29)
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."mid_block.attentions.0.qkv" w WHERE (y * 4 + x) % 2 = 0
UNION ALL
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."mid_block.attentions.0.qkv" w WHERE (y * 4 + x) % 2 = 1;

-- mid_block.attentions.0.attention (attention)
CREATE TEMP TABLE sqld_t31 AS
WITH hd AS (  -- one row per (pixel, head): its query, key and value slices
  SELECT b, y * 4 + x AS i, h, v[h * 16 + 1 : h * 16 + 16] AS q,
         v[32 + h * 16 + 1 : 32 + h * 16 + 16] AS k, v[64 + h * 16 + 1 : 64 + h * 16 + 16] AS val
  FROM sqld_t30, range(2) r(h)),
heads AS MATERIALIZED (  -- values transposed: one list over the pixels per channel
  SELECT b, h, qs, ks, list_transform(range(16), lambda ch: list_slice(vals, ch + 1, 256, 16)) AS vt
  FROM (SELECT b, h, list(q ORDER BY i) AS qs, list(k ORDER BY i) AS ks, flatten(list(val ORDER BY i)) AS vals
        FROM hd GROUP BY b, h)),
o AS (
SELECT b, i, h, list_transform(vt, lambda col: (list_dot_product(col, e) / total)::FLOAT) AS o FROM (
  SELECT b, i, h, vt, e, list_sum(e) AS total FROM (
    SELECT b, i, h, vt, list_transform(s, lambda z: exp(z - m)::FLOAT) AS e FROM (
      SELECT b, i, h, vt, s, list_max(s) AS m FROM (
        SELECT b, i, h, vt, list_transform(ks, lambda kk: list_dot_product(kk, q) * 0.25::FLOAT) AS s
        FROM (SELECT b, h, unnest(qs) AS q, unnest(range(16)) AS i, ks, vt FROM heads)
         WHERE (i) % 2 = 0))))
UNION ALL
SELECT b, i, h, list_transform(vt, lambda col: (list_dot_product(col, e) / total)::FLOAT) AS o FROM (
  SELECT b, i, h, vt, e, list_sum(e) AS total FROM (
    SELECT b, i, h, vt, list_transform(s, lambda z: exp(z - m)::FLOAT) AS e FROM (
      SELECT b, i, h, vt, s, list_max(s) AS m FROM (
        SELECT b, i, h, vt, list_transform(ks, lambda kk: list_dot_product(kk, q) * 0.25::FLOAT) AS s
        FROM (SELECT b, h, unnest(qs) AS q, unnest(range(16)) AS i, ks, vt FROM heads)
         WHERE (i) % 2 = 1))))
)
SELECT b, i // 4 AS y, i % 4 AS x, flatten(list(o ORDER BY h)) AS v FROM o GROUP BY b, i;

-- mid_block.attentions.0.to_out.0 (attention)
CREATE TEMP TABLE sqld_t32 AS
SELECT c.b, c.y, c.x, list_transform(c.v, lambda a, k: a + e.v[k]) AS v
FROM (
WITH g AS MATERIALIZED (SELECT b, y, x, v || [1.0::FLOAT] AS v FROM sqld_t31)
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."mid_block.attentions.0.to_out.0" w WHERE (y * 4 + x) % 2 = 0
UNION ALL
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."mid_block.attentions.0.to_out.0" w WHERE (y * 4 + x) % 2 = 1
) AS c JOIN sqld_t28 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- mid_block.resnets.1.norm1 (group_norm)
CREATE TEMP TABLE sqld_t33 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."mid_block.resnets.1.norm1"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t32 WHERE (y * 4 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t32 WHERE (y * 4 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 4 + 1] * p.gamma[k] * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t32 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t32 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 1;

-- mid_block.resnets.1.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t34 AS
WITH g AS (SELECT b, v || [1.0::FLOAT] AS v FROM sqld_t5)
SELECT b, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."mid_block.resnets.1.time_emb_proj" w;

-- mid_block.resnets.1.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t35 AS
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(32)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(32)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(32)]) AS d3 FROM sqld_t33 WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(32)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(32)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(32)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(32)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k] + e.v[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k] + e.v[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k] + e.v[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k] + e.v[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."mid_block.resnets.1.conv1#winograd2" u) t JOIN sqld_t34 e ON e.b = t.b))
WHERE y < 4 AND x < 4;

-- mid_block.resnets.1.norm2 (group_norm)
CREATE TEMP TABLE sqld_t36 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."mid_block.resnets.1.norm2"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t35 WHERE (y * 4 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t35 WHERE (y * 4 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 4 + 1] * p.gamma[k] * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t35 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t35 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 1;

-- mid_block.resnets.1.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t37 AS
SELECT c.b, c.y, c.x, list_transform(c.v, lambda a, k: a + e.v[k]) AS v
FROM (
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(32)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(32)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(32)]) AS d3 FROM sqld_t36 WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(32)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(32)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(32)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(32)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."mid_block.resnets.1.conv2#winograd2" u) t))
WHERE y < 4 AND x < 4
) AS c JOIN sqld_t32 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- up_blocks.0.resnets.0.concat (concat)
CREATE TEMP TABLE sqld_t38 AS
SELECT h.b, h.y, h.x, list_concat(h.v, s.v) AS v
FROM sqld_t37 h JOIN sqld_t23 s ON s.b = h.b AND s.y = h.y AND s.x = h.x;

-- up_blocks.0.resnets.0.norm1 (group_norm)
CREATE TEMP TABLE sqld_t39 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."up_blocks.0.resnets.0.norm1"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 8 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 65)) AS k FROM sqld_t38 WHERE (y * 4 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 8 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 65)) AS k FROM sqld_t38 WHERE (y * 4 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 8 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 8 + 1] * p.gamma[k] * st.rstd[(k - 1) // 8 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t38 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t38 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 1;

-- up_blocks.0.resnets.0.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t40 AS
WITH g AS (SELECT b, v || [1.0::FLOAT] AS v FROM sqld_t5)
SELECT b, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.0.resnets.0.time_emb_proj" w;

-- up_blocks.0.resnets.0.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t41 AS
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(64)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(64)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(64)]) AS d3 FROM sqld_t39 WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(64)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(64)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(64)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(64)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(64)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(64)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(64)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(64)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(64)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(64)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(64)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(64)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k] + e.v[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k] + e.v[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k] + e.v[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k] + e.v[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."up_blocks.0.resnets.0.conv1#winograd2" u) t JOIN sqld_t40 e ON e.b = t.b))
WHERE y < 4 AND x < 4;

-- up_blocks.0.resnets.0.norm2 (group_norm)
CREATE TEMP TABLE sqld_t42 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."up_blocks.0.resnets.0.norm2"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t41 WHERE (y * 4 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t41 WHERE (y * 4 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 4 + 1] * p.gamma[k] * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t41 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t41 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 1;

-- up_blocks.0.resnets.0.conv_shortcut (dense)
CREATE TEMP TABLE sqld_t43 AS
WITH g AS MATERIALIZED (SELECT b, y, x, v || [1.0::FLOAT] AS v FROM sqld_t38)
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.0.resnets.0.conv_shortcut" w WHERE (y * 4 + x) % 2 = 0
UNION ALL
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.0.resnets.0.conv_shortcut" w WHERE (y * 4 + x) % 2 = 1;

-- up_blocks.0.resnets.0.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t44 AS
SELECT c.b, c.y, c.x, list_transform(c.v, lambda a, k: a + e.v[k]) AS v
FROM (
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(32)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(32)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(32)]) AS d3 FROM sqld_t42 WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(32)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(32)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(32)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(32)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."up_blocks.0.resnets.0.conv2#winograd2" u) t))
WHERE y < 4 AND x < 4
) AS c JOIN sqld_t43 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- up_blocks.0.attentions.0.group_norm (group_norm)
CREATE TEMP TABLE sqld_t45 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."up_blocks.0.attentions.0.group_norm"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t44 WHERE (y * 4 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t44 WHERE (y * 4 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 4 + 1] * p.gamma[k] * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]) AS v
FROM sqld_t44 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]) AS v
FROM sqld_t44 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 1;

-- up_blocks.0.attentions.0.qkv (attention)
CREATE TEMP TABLE sqld_t46 AS
WITH g AS MATERIALIZED (SELECT b, y, x, v || [1.0::FLOAT] AS v FROM sqld_t45)
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.0.attentions.0.qkv" w WHERE (y * 4 + x) % 2 = 0
UNION ALL
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.0.attentions.0.qkv" w WHERE (y * 4 + x) % 2 = 1;

-- up_blocks.0.attentions.0.attention (attention)
CREATE TEMP TABLE sqld_t47 AS
WITH hd AS (  -- one row per (pixel, head): its query, key and value slices
  SELECT b, y * 4 + x AS i, h, v[h * 16 + 1 : h * 16 + 16] AS q,
         v[32 + h * 16 + 1 : 32 + h * 16 + 16] AS k, v[64 + h * 16 + 1 : 64 + h * 16 + 16] AS val
  FROM sqld_t46, range(2) r(h)),
heads AS MATERIALIZED (  -- values transposed: one list over the pixels per channel
  SELECT b, h, qs, ks, list_transform(range(16), lambda ch: list_slice(vals, ch + 1, 256, 16)) AS vt
  FROM (SELECT b, h, list(q ORDER BY i) AS qs, list(k ORDER BY i) AS ks, flatten(list(val ORDER BY i)) AS vals
        FROM hd GROUP BY b, h)),
o AS (
SELECT b, i, h, list_transform(vt, lambda col: (list_dot_product(col, e) / total)::FLOAT) AS o FROM (
  SELECT b, i, h, vt, e, list_sum(e) AS total FROM (
    SELECT b, i, h, vt, list_transform(s, lambda z: exp(z - m)::FLOAT) AS e FROM (
      SELECT b, i, h, vt, s, list_max(s) AS m FROM (
        SELECT b, i, h, vt, list_transform(ks, lambda kk: list_dot_product(kk, q) * 0.25::FLOAT) AS s
        FROM (SELECT b, h, unnest(qs) AS q, unnest(range(16)) AS i, ks, vt FROM heads)
         WHERE (i) % 2 = 0))))
UNION ALL
SELECT b, i, h, list_transform(vt, lambda col: (list_dot_product(col, e) / total)::FLOAT) AS o FROM (
  SELECT b, i, h, vt, e, list_sum(e) AS total FROM (
    SELECT b, i, h, vt, list_transform(s, lambda z: exp(z - m)::FLOAT) AS e FROM (
      SELECT b, i, h, vt, s, list_max(s) AS m FROM (
        SELECT b, i, h, vt, list_transform(ks, lambda kk: list_dot_product(kk, q) * 0.25::FLOAT) AS s
        FROM (SELECT b, h, unnest(qs) AS q, unnest(range(16)) AS i, ks, vt FROM heads)
         WHERE (i) % 2 = 1))))
)
SELECT b, i // 4 AS y, i % 4 AS x, flatten(list(o ORDER BY h)) AS v FROM o GROUP BY b, i;

-- up_blocks.0.attentions.0.to_out.0 (attention)
CREATE TEMP TABLE sqld_t48 AS
SELECT c.b, c.y, c.x, list_transform(c.v, lambda a, k: a + e.v[k]) AS v
FROM (
WITH g AS MATERIALIZED (SELECT b, y, x, v || [1.0::FLOAT] AS v FROM sqld_t47)
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.0.attentions.0.to_out.0" w WHERE (y * 4 + x) % 2 = 0
UNION ALL
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.0.attentions.0.to_out.0" w WHERE (y * 4 + x) % 2 = 1
) AS c JOIN sqld_t44 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- up_blocks.0.resnets.1.concat (concat)
CREATE TEMP TABLE sqld_t49 AS
SELECT h.b, h.y, h.x, list_concat(h.v, s.v) AS v
FROM sqld_t48 h JOIN sqld_t13 s ON s.b = h.b AND s.y = h.y AND s.x = h.x;

-- up_blocks.0.resnets.1.norm1 (group_norm)
CREATE TEMP TABLE sqld_t50 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."up_blocks.0.resnets.1.norm1"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 6 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 49)) AS k FROM sqld_t49 WHERE (y * 4 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 6 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 49)) AS k FROM sqld_t49 WHERE (y * 4 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 6 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 6 + 1] * p.gamma[k] * st.rstd[(k - 1) // 6 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t49 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t49 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 1;

-- up_blocks.0.resnets.1.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t51 AS
WITH g AS (SELECT b, v || [1.0::FLOAT] AS v FROM sqld_t5)
SELECT b, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.0.resnets.1.time_emb_proj" w;

-- up_blocks.0.resnets.1.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t52 AS
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(48)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(48)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(48)]) AS d3 FROM sqld_t50 WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(48)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(48)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(48)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(48)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(48)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(48)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(48)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(48)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(48)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(48)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(48)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(48)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k] + e.v[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k] + e.v[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k] + e.v[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k] + e.v[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."up_blocks.0.resnets.1.conv1#winograd2" u) t JOIN sqld_t51 e ON e.b = t.b))
WHERE y < 4 AND x < 4;

-- up_blocks.0.resnets.1.norm2 (group_norm)
CREATE TEMP TABLE sqld_t53 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."up_blocks.0.resnets.1.norm2"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t52 WHERE (y * 4 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t52 WHERE (y * 4 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 4 + 1] * p.gamma[k] * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t52 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t52 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 1;

-- up_blocks.0.resnets.1.conv_shortcut (dense)
CREATE TEMP TABLE sqld_t54 AS
WITH g AS MATERIALIZED (SELECT b, y, x, v || [1.0::FLOAT] AS v FROM sqld_t49)
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.0.resnets.1.conv_shortcut" w WHERE (y * 4 + x) % 2 = 0
UNION ALL
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.0.resnets.1.conv_shortcut" w WHERE (y * 4 + x) % 2 = 1;

-- up_blocks.0.resnets.1.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t55 AS
SELECT c.b, c.y, c.x, list_transform(c.v, lambda a, k: a + e.v[k]) AS v
FROM (
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(32)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(32)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(32)]) AS d3 FROM sqld_t53 WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(32)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(32)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(32)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(32)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."up_blocks.0.resnets.1.conv2#winograd2" u) t))
WHERE y < 4 AND x < 4
) AS c JOIN sqld_t54 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- up_blocks.0.attentions.1.group_norm (group_norm)
CREATE TEMP TABLE sqld_t56 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."up_blocks.0.attentions.1.group_norm"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t55 WHERE (y * 4 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t55 WHERE (y * 4 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 4 + 1] * p.gamma[k] * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]) AS v
FROM sqld_t55 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]) AS v
FROM sqld_t55 x JOIN s ON s.b = x.b WHERE (x.y * 4 + x.x) % 2 = 1;

-- up_blocks.0.attentions.1.qkv (attention)
CREATE TEMP TABLE sqld_t57 AS
WITH g AS MATERIALIZED (SELECT b, y, x, v || [1.0::FLOAT] AS v FROM sqld_t56)
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.0.attentions.1.qkv" w WHERE (y * 4 + x) % 2 = 0
UNION ALL
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.0.attentions.1.qkv" w WHERE (y * 4 + x) % 2 = 1;

-- up_blocks.0.attentions.1.attention (attention)
CREATE TEMP TABLE sqld_t58 AS
WITH hd AS (  -- one row per (pixel, head): its query, key and value slices
  SELECT b, y * 4 + x AS i, h, v[h * 16 + 1 : h * 16 + 16] AS q,
         v[32 + h * 16 + 1 : 32 + h * 16 + 16] AS k, v[64 + h * 16 + 1 : 64 + h * 16 + 16] AS val
  FROM sqld_t57, range(2) r(h)),
heads AS MATERIALIZED (  -- values transposed: one list over the pixels per channel
  SELECT b, h, qs, ks, list_transform(range(16), lambda ch: list_slice(vals, ch + 1, 256, 16)) AS vt
  FROM (SELECT b, h, list(q ORDER BY i) AS qs, list(k ORDER BY i) AS ks, flatten(list(val ORDER BY i)) AS vals
        FROM hd GROUP BY b, h)),
o AS (
SELECT b, i, h, list_transform(vt, lambda col: (list_dot_product(col, e) / total)::FLOAT) AS o FROM (
  SELECT b, i, h, vt, e, list_sum(e) AS total FROM (
    SELECT b, i, h, vt, list_transform(s, lambda z: exp(z - m)::FLOAT) AS e FROM (
      SELECT b, i, h, vt, s, list_max(s) AS m FROM (
        SELECT b, i, h, vt, list_transform(ks, lambda kk: list_dot_product(kk, q) * 0.25::FLOAT) AS s
        FROM (SELECT b, h, unnest(qs) AS q, unnest(range(16)) AS i, ks, vt FROM heads)
         WHERE (i) % 2 = 0))))
UNION ALL
SELECT b, i, h, list_transform(vt, lambda col: (list_dot_product(col, e) / total)::FLOAT) AS o FROM (
  SELECT b, i, h, vt, e, list_sum(e) AS total FROM (
    SELECT b, i, h, vt, list_transform(s, lambda z: exp(z - m)::FLOAT) AS e FROM (
      SELECT b, i, h, vt, s, list_max(s) AS m FROM (
        SELECT b, i, h, vt, list_transform(ks, lambda kk: list_dot_product(kk, q) * 0.25::FLOAT) AS s
        FROM (SELECT b, h, unnest(qs) AS q, unnest(range(16)) AS i, ks, vt FROM heads)
         WHERE (i) % 2 = 1))))
)
SELECT b, i // 4 AS y, i % 4 AS x, flatten(list(o ORDER BY h)) AS v FROM o GROUP BY b, i;

-- up_blocks.0.attentions.1.to_out.0 (attention)
CREATE TEMP TABLE sqld_t59 AS
SELECT c.b, c.y, c.x, list_transform(c.v, lambda a, k: a + e.v[k]) AS v
FROM (
WITH g AS MATERIALIZED (SELECT b, y, x, v || [1.0::FLOAT] AS v FROM sqld_t58)
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.0.attentions.1.to_out.0" w WHERE (y * 4 + x) % 2 = 0
UNION ALL
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.0.attentions.1.to_out.0" w WHERE (y * 4 + x) % 2 = 1
) AS c JOIN sqld_t55 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- up_blocks.0.upsamplers.0.conv (conv3x3)
CREATE TEMP TABLE sqld_t60 AS
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(32)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(32)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(32)]) AS d3 FROM (SELECT s.b, 2 * s.y + u.dy AS y, 2 * s.x + u.dx AS x, s.v FROM sqld_t59 s CROSS JOIN (VALUES (0, 0), (0, 1), (1, 0), (1, 1)) AS u(dy, dx)) WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(32)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(32)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(32)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(32)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."up_blocks.0.upsamplers.0.conv#winograd2" u) t))
WHERE y < 8 AND x < 8;

-- up_blocks.1.resnets.0.concat (concat)
CREATE TEMP TABLE sqld_t61 AS
SELECT h.b, h.y, h.x, list_concat(h.v, s.v) AS v
FROM sqld_t60 h JOIN sqld_t12 s ON s.b = h.b AND s.y = h.y AND s.x = h.x;

-- up_blocks.1.resnets.0.norm1 (group_norm)
CREATE TEMP TABLE sqld_t62 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."up_blocks.1.resnets.0.norm1"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 6 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 49)) AS k FROM sqld_t61 WHERE (y * 8 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 6 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 49)) AS k FROM sqld_t61 WHERE (y * 8 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 6 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 6 + 1] * p.gamma[k] * st.rstd[(k - 1) // 6 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t61 x JOIN s ON s.b = x.b WHERE (x.y * 8 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t61 x JOIN s ON s.b = x.b WHERE (x.y * 8 + x.x) % 2 = 1;

-- up_blocks.1.resnets.0.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t63 AS
WITH g AS (SELECT b, v || [1.0::FLOAT] AS v FROM sqld_t5)
SELECT b, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.1.resnets.0.time_emb_proj" w;

-- up_blocks.1.resnets.0.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t64 AS
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(48)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(48)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(48)]) AS d3 FROM sqld_t62 WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(48)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(48)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(48)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(48)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(48)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(48)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(48)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(48)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(48)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(48)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(48)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(48)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k] + e.v[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k] + e.v[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k] + e.v[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k] + e.v[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."up_blocks.1.resnets.0.conv1#winograd2" u) t JOIN sqld_t63 e ON e.b = t.b))
WHERE y < 8 AND x < 8;

-- up_blocks.1.resnets.0.norm2 (group_norm)
CREATE TEMP TABLE sqld_t65 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."up_blocks.1.resnets.0.norm2"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 2 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 17)) AS k FROM sqld_t64 WHERE (y * 8 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 2 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 17)) AS k FROM sqld_t64 WHERE (y * 8 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 2 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 2 + 1] * p.gamma[k] * st.rstd[(k - 1) // 2 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t64 x JOIN s ON s.b = x.b WHERE (x.y * 8 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t64 x JOIN s ON s.b = x.b WHERE (x.y * 8 + x.x) % 2 = 1;

-- up_blocks.1.resnets.0.conv_shortcut (dense)
CREATE TEMP TABLE sqld_t66 AS
WITH g AS MATERIALIZED (SELECT b, y, x, v || [1.0::FLOAT] AS v FROM sqld_t61)
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.1.resnets.0.conv_shortcut" w WHERE (y * 8 + x) % 2 = 0
UNION ALL
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.1.resnets.0.conv_shortcut" w WHERE (y * 8 + x) % 2 = 1;

-- up_blocks.1.resnets.0.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t67 AS
SELECT c.b, c.y, c.x, list_transform(c.v, lambda a, k: a + e.v[k]) AS v
FROM (
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(16)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(16)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(16)]) AS d3 FROM sqld_t65 WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(16)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(16)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(16)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(16)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."up_blocks.1.resnets.0.conv2#winograd2" u) t))
WHERE y < 8 AND x < 8
) AS c JOIN sqld_t66 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- up_blocks.1.resnets.1.concat (concat)
CREATE TEMP TABLE sqld_t68 AS
SELECT h.b, h.y, h.x, list_concat(h.v, s.v) AS v
FROM sqld_t67 h JOIN sqld_t7 s ON s.b = h.b AND s.y = h.y AND s.x = h.x;

-- up_blocks.1.resnets.1.norm1 (group_norm)
CREATE TEMP TABLE sqld_t69 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."up_blocks.1.resnets.1.norm1"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t68 WHERE (y * 8 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 4 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 33)) AS k FROM sqld_t68 WHERE (y * 8 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 4 + 1] * p.gamma[k] * st.rstd[(k - 1) // 4 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t68 x JOIN s ON s.b = x.b WHERE (x.y * 8 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t68 x JOIN s ON s.b = x.b WHERE (x.y * 8 + x.x) % 2 = 1;

-- up_blocks.1.resnets.1.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t70 AS
WITH g AS (SELECT b, v || [1.0::FLOAT] AS v FROM sqld_t5)
SELECT b, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.1.resnets.1.time_emb_proj" w;

-- up_blocks.1.resnets.1.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t71 AS
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(32)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(32)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(32)]) AS d3 FROM sqld_t69 WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(32)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(32)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(32)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(32)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(32)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(32)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k] + e.v[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k] + e.v[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k] + e.v[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k] + e.v[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."up_blocks.1.resnets.1.conv1#winograd2" u) t JOIN sqld_t70 e ON e.b = t.b))
WHERE y < 8 AND x < 8;

-- up_blocks.1.resnets.1.norm2 (group_norm)
CREATE TEMP TABLE sqld_t72 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."up_blocks.1.resnets.1.norm2"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 2 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 17)) AS k FROM sqld_t71 WHERE (y * 8 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 2 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 17)) AS k FROM sqld_t71 WHERE (y * 8 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 2 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 2 + 1] * p.gamma[k] * st.rstd[(k - 1) // 2 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t71 x JOIN s ON s.b = x.b WHERE (x.y * 8 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t71 x JOIN s ON s.b = x.b WHERE (x.y * 8 + x.x) % 2 = 1;

-- up_blocks.1.resnets.1.conv_shortcut (dense)
CREATE TEMP TABLE sqld_t73 AS
WITH g AS MATERIALIZED (SELECT b, y, x, v || [1.0::FLOAT] AS v FROM sqld_t68)
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.1.resnets.1.conv_shortcut" w WHERE (y * 8 + x) % 2 = 0
UNION ALL
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."up_blocks.1.resnets.1.conv_shortcut" w WHERE (y * 8 + x) % 2 = 1;

-- up_blocks.1.resnets.1.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t74 AS
SELECT c.b, c.y, c.x, list_transform(c.v, lambda a, k: a + e.v[k]) AS v
FROM (
WITH rows AS (
  SELECT b, y, x // 2 AS tx, list_transform(d0, lambda a, k: a - d2[k]) AS e0, list_transform(d1, lambda a, k: a + d2[k]) AS e1, list_transform(d1, lambda a, k: -a + d2[k]) AS e2, list_transform(d1, lambda a, k: a - d3[k]) AS e3
  FROM (SELECT b, y, x, coalesce(lag(v) OVER win, [0::FLOAT for _ in range(16)]) AS d0, v AS d1, coalesce(lead(v, 1) OVER win, [0::FLOAT for _ in range(16)]) AS d2, coalesce(lead(v, 2) OVER win, [0::FLOAT for _ in range(16)]) AS d3 FROM sqld_t72 WINDOW win AS (PARTITION BY b, y ORDER BY x))
  WHERE x % 2 = 0),
tiles AS (
  SELECT b, y // 2 AS ty, tx, list_transform(e00, lambda a, k: a - e20[k]) AS v00, list_transform(e01, lambda a, k: a - e21[k]) AS v01, list_transform(e02, lambda a, k: a - e22[k]) AS v02, list_transform(e03, lambda a, k: a - e23[k]) AS v03, list_transform(e10, lambda a, k: a + e20[k]) AS v10, list_transform(e11, lambda a, k: a + e21[k]) AS v11, list_transform(e12, lambda a, k: a + e22[k]) AS v12, list_transform(e13, lambda a, k: a + e23[k]) AS v13, list_transform(e10, lambda a, k: -a + e20[k]) AS v20, list_transform(e11, lambda a, k: -a + e21[k]) AS v21, list_transform(e12, lambda a, k: -a + e22[k]) AS v22, list_transform(e13, lambda a, k: -a + e23[k]) AS v23, list_transform(e10, lambda a, k: a - e30[k]) AS v30, list_transform(e11, lambda a, k: a - e31[k]) AS v31, list_transform(e12, lambda a, k: a - e32[k]) AS v32, list_transform(e13, lambda a, k: a - e33[k]) AS v33
  FROM (SELECT b, y, tx, coalesce(lag(e0) OVER win, [0::FLOAT for _ in range(16)]) AS e00, e0 AS e10, coalesce(lead(e0, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e20, coalesce(lead(e0, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e30, coalesce(lag(e1) OVER win, [0::FLOAT for _ in range(16)]) AS e01, e1 AS e11, coalesce(lead(e1, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e21, coalesce(lead(e1, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e31, coalesce(lag(e2) OVER win, [0::FLOAT for _ in range(16)]) AS e02, e2 AS e12, coalesce(lead(e2, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e22, coalesce(lead(e2, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e32, coalesce(lag(e3) OVER win, [0::FLOAT for _ in range(16)]) AS e03, e3 AS e13, coalesce(lead(e3, 1) OVER win, [0::FLOAT for _ in range(16)]) AS e23, coalesce(lead(e3, 2) OVER win, [0::FLOAT for _ in range(16)]) AS e33 FROM rows WINDOW win AS (PARTITION BY b, tx ORDER BY y))
  WHERE y % 2 = 0)
SELECT b, 2 * ty + q // 2 AS y, 2 * tx + q % 2 AS x, v FROM (
  SELECT b, ty, tx, unnest([y00, y01, y10, y11]) AS v, unnest(range(4)) AS q FROM (
    SELECT t.b, ty, tx, list_transform(list_transform(m00, lambda a, k: a + m01[k] + m02[k] + m10[k] + m11[k] + m12[k] + m20[k] + m21[k] + m22[k]), lambda a, k: a + bias[k]) AS y00, list_transform(list_transform(m01, lambda a, k: a - m02[k] - m03[k] + m11[k] - m12[k] - m13[k] + m21[k] - m22[k] - m23[k]), lambda a, k: a + bias[k]) AS y01, list_transform(list_transform(m10, lambda a, k: a + m11[k] + m12[k] - m20[k] - m21[k] - m22[k] - m30[k] - m31[k] - m32[k]), lambda a, k: a + bias[k]) AS y10, list_transform(list_transform(m11, lambda a, k: a - m12[k] - m13[k] - m21[k] + m22[k] + m23[k] - m31[k] + m32[k] + m33[k]), lambda a, k: a + bias[k]) AS y11 FROM (
      SELECT t.b, t.ty, t.tx, u.bias, list_transform(u.u00, lambda r: list_dot_product(r, t.v00)) AS m00, list_transform(u.u01, lambda r: list_dot_product(r, t.v01)) AS m01, list_transform(u.u02, lambda r: list_dot_product(r, t.v02)) AS m02, list_transform(u.u03, lambda r: list_dot_product(r, t.v03)) AS m03, list_transform(u.u10, lambda r: list_dot_product(r, t.v10)) AS m10, list_transform(u.u11, lambda r: list_dot_product(r, t.v11)) AS m11, list_transform(u.u12, lambda r: list_dot_product(r, t.v12)) AS m12, list_transform(u.u13, lambda r: list_dot_product(r, t.v13)) AS m13, list_transform(u.u20, lambda r: list_dot_product(r, t.v20)) AS m20, list_transform(u.u21, lambda r: list_dot_product(r, t.v21)) AS m21, list_transform(u.u22, lambda r: list_dot_product(r, t.v22)) AS m22, list_transform(u.u23, lambda r: list_dot_product(r, t.v23)) AS m23, list_transform(u.u30, lambda r: list_dot_product(r, t.v30)) AS m30, list_transform(u.u31, lambda r: list_dot_product(r, t.v31)) AS m31, list_transform(u.u32, lambda r: list_dot_product(r, t.v32)) AS m32, list_transform(u.u33, lambda r: list_dot_product(r, t.v33)) AS m33
      FROM tiles t, "sqld_tiny"."up_blocks.1.resnets.1.conv2#winograd2" u) t))
WHERE y < 8 AND x < 8
) AS c JOIN sqld_t73 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- conv_norm_out (group_norm)
CREATE TEMP TABLE sqld_t75 AS
WITH p AS (SELECT m[1] AS gamma, m[2] AS beta FROM "sqld_tiny"."conv_norm_out"),
st AS (
  SELECT b, list(mean ORDER BY grp) AS mean, list(rstd ORDER BY grp) AS rstd
  FROM (SELECT b, grp, mean, 1 / sqrt(greatest(s2 / n - mean * mean, 0) + 1e-05) AS rstd
        FROM (SELECT b, grp, sum(s1) / sum(n) AS mean, sum(s2) AS s2, sum(n) AS n FROM (
SELECT b, (k - 1) // 2 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 17)) AS k FROM sqld_t74 WHERE (y * 8 + x) % 2 = 0) GROUP BY ALL
UNION ALL
SELECT b, (k - 1) // 2 AS grp, sum(a) AS s1, sum(a * a) AS s2, count(*) AS n
FROM (SELECT b, unnest(v)::DOUBLE AS a, unnest(range(1, 17)) AS k FROM sqld_t74 WHERE (y * 8 + x) % 2 = 1) GROUP BY ALL
) GROUP BY b, grp))
  GROUP BY b),
s AS MATERIALIZED (
  SELECT st.b, list_transform(p.gamma, lambda gm, k: (gm * st.rstd[(k - 1) // 2 + 1])::FLOAT) AS scale,
         list_transform(p.beta, lambda bt, k: (bt - st.mean[(k - 1) // 2 + 1] * p.gamma[k] * st.rstd[(k - 1) // 2 + 1])::FLOAT) AS shift
  FROM st, p)
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t74 x JOIN s ON s.b = x.b WHERE (x.y * 8 + x.x) % 2 = 0
UNION ALL
SELECT x.b, x.y, x.x, list_transform(list_transform(x.v, lambda a, k: a * s.scale[k] + s.shift[k]), lambda z: (z / (1 + exp(-z)))::FLOAT) AS v
FROM sqld_t74 x JOIN s ON s.b = x.b WHERE (x.y * 8 + x.x) % 2 = 1;

-- conv_out (conv3x3)
CREATE TEMP TABLE sqld_t76 AS
WITH g AS MATERIALIZED (SELECT b, y, x, flatten([CASE WHEN y > 0 AND x > 0 THEN lag(v, 9) OVER win ELSE [0::FLOAT for _ in range(16)] END, CASE WHEN y > 0 THEN lag(v, 8) OVER win ELSE [0::FLOAT for _ in range(16)] END, CASE WHEN y > 0 AND x < 7 THEN lag(v, 7) OVER win ELSE [0::FLOAT for _ in range(16)] END, CASE WHEN x > 0 THEN lag(v, 1) OVER win ELSE [0::FLOAT for _ in range(16)] END, v, CASE WHEN x < 7 THEN lead(v, 1) OVER win ELSE [0::FLOAT for _ in range(16)] END, CASE WHEN y < 7 AND x > 0 THEN lead(v, 7) OVER win ELSE [0::FLOAT for _ in range(16)] END, CASE WHEN y < 7 THEN lead(v, 8) OVER win ELSE [0::FLOAT for _ in range(16)] END, CASE WHEN y < 7 AND x < 7 THEN lead(v, 9) OVER win ELSE [0::FLOAT for _ in range(16)] END]) || [1.0::FLOAT] AS v
  FROM sqld_t75 WINDOW win AS (PARTITION BY b ORDER BY y, x))
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."conv_out" w WHERE (y * 8 + x) % 2 = 0
UNION ALL
SELECT b, y, x, list_transform(w.m, lambda r: list_dot_product(r, g.v)) AS v FROM g, "sqld_tiny"."conv_out" w WHERE (y * 8 + x) % 2 = 1;

-- the timesteps relation
SELECT b, (t)::DOUBLE AS t FROM (VALUES (0, 9.0), (1, 4.5)) AS v(b, t);

-- the schedule
SELECT s::INTEGER AS t, (exp(sum(ln((1 - (CASE WHEN s < 5 THEN 0.0001::FLOAT::DOUBLE + ((0.02::FLOAT - 0.0001::FLOAT)::FLOAT / 9)::FLOAT::DOUBLE * s ELSE 0.02::FLOAT::DOUBLE - ((0.02::FLOAT - 0.0001::FLOAT)::FLOAT / 9)::FLOAT::DOUBLE * (9 - s) END)::FLOAT)::FLOAT)) OVER (ORDER BY s))::FLOAT)::DOUBLE AS alpha_bar
FROM range(10) AS r_s(s);

-- x_T: noise of seed 7, stream 0
SELECT (bb)::INTEGER AS b, (yy)::INTEGER AS y, (xx)::INTEGER AS x, list_transform(list_transform(range(3), lambda ch: hash(xor(hash(7::BIGINT), (((bb::BIGINT * 65536 + 0) * 64 + yy * 8 + xx) * 3 + ch)::UBIGINT))),
                 lambda hb: (sqrt(-2 * ln((((hb >> 32) + 1)::DOUBLE / 4294967296.0))) * cos(2 * pi() * ((hb & 4294967295)::DOUBLE / 4294967296.0)))::FLOAT) AS v
FROM range(2) AS r_bb(bb), range(8) AS r_yy(yy), range(8) AS r_xx(xx);

-- a DDPM step's coefficients, 9 -> 4
SELECT sqrt(abar_t) AS sa, sqrt(1 - abar_t) AS sb, sqrt(abar_p) * (1 - abar_t / abar_p) / (1 - abar_t) AS p, sqrt(abar_t / abar_p) * (1 - abar_p) / (1 - abar_t) AS q, 0.0 AS r, sqrt(greatest((1 - abar_p) / (1 - abar_t) * (1 - abar_t / abar_p), 1e-20)) AS sigma
FROM (SELECT (SELECT alpha_bar FROM sqld_schedule WHERE t = 9) AS abar_t,
       COALESCE((SELECT alpha_bar FROM sqld_schedule WHERE t = 4), 1.0) AS abar_p) AS a;

-- the sampler step
SELECT s.b, s.y, s.x, list_transform(s.v, lambda a, k: (c.p * greatest(-1.0, least(1.0, (a - c.sb * e.v[k]) / c.sa)) + c.q * a + c.r * e.v[k] + c.sigma * n.v[k])::FLOAT) AS v
FROM sqld_sample s JOIN sqld_eps e ON e.b = s.b AND e.y = s.y AND e.x = s.x
JOIN sqld_noise n ON n.b = s.b AND n.y = s.y AND n.x = s.x
CROSS JOIN sqld_step c;

-- a picture noised (image-to-image, RePaint's undo)
SELECT x.b, x.y, x.x, list_transform(x.v, lambda a, k: (c.sa * a + c.sb * n.v[k])::FLOAT) AS v
FROM sqld_image x JOIN sqld_noise n ON n.b = x.b AND n.y = x.y AND n.x = x.x
CROSS JOIN sqld_step c;

-- a RePaint step
SELECT s.b, s.y, s.x, list_transform(s.v, lambda a, k: (m.v[k] * (c.ka * o.v[k] + c.kb * n.v[k]) + (1 - m.v[k]) * (c.p * greatest(-1.0, least(1.0, (a - c.sb * e.v[k]) / c.sa)) + c.q * a + c.r * e.v[k] + c.sigma * n.v[k]))::FLOAT) AS v
FROM sqld_sample s JOIN sqld_eps e ON e.b = s.b AND e.y = s.y AND e.x = s.x
JOIN sqld_noise n ON n.b = s.b AND n.y = s.y AND n.x = s.x
JOIN sqld_image o ON o.b = s.b AND o.y = s.y AND o.x = s.x
JOIN sqld_mask m ON m.b = s.b AND m.y = s.y AND m.x = s.x
CROSS JOIN sqld_step c;

-- two noises interpolated on the sphere
WITH s AS (SELECT sum(list_dot_product(za.v::DOUBLE[], zb.v::DOUBLE[])) AS ab, sum(list_dot_product(za.v::DOUBLE[], za.v::DOUBLE[])) AS aa, sum(list_dot_product(zb.v::DOUBLE[], zb.v::DOUBLE[])) AS bb
  FROM sqld_from za JOIN sqld_to zb ON zb.b = za.b AND zb.y = za.y AND zb.x = za.x),
a AS (SELECT acos(greatest(-1.0, least(1.0, ab / sqrt(aa * bb)))) AS theta FROM s),
w AS (SELECT f, CASE WHEN theta < 1e-6 THEN 1 - ((f)::DOUBLE / 3) ELSE sin((1 - ((f)::DOUBLE / 3)) * theta) / sin(theta) END AS ca,
             CASE WHEN theta < 1e-6 THEN ((f)::DOUBLE / 3) ELSE sin(((f)::DOUBLE / 3) * theta) / sin(theta) END AS cb
      FROM a, range(4) AS r_f(f))
SELECT (w.f)::INTEGER AS b, za.y, za.x, list_transform(za.v, lambda a, k: (w.ca * a + w.cb * zb.v[k])::FLOAT) AS v
FROM sqld_from za JOIN sqld_to zb ON zb.b = za.b AND zb.y = za.y AND zb.x = za.x CROSS JOIN w;
