-- spark: one UNet pass of the tiny test model at 8x8, then the sampler's SQL

-- time_proj (time_proj)
CREATE TEMP TABLE sqld_t1 AS
SELECT b, transform(sequence(0, 15), k -> CASE WHEN k < 8 THEN cos((t::FLOAT * exp(((-9.210340371976184::FLOAT * k::FLOAT)::FLOAT / 8::FLOAT)::FLOAT)::FLOAT)::FLOAT)::FLOAT ELSE sin((t::FLOAT * exp(((-9.210340371976184::FLOAT * (k - 8)::FLOAT)::FLOAT / 8::FLOAT)::FLOAT)::FLOAT)::FLOAT)::FLOAT END) AS v
FROM sqld_timesteps;

-- time_embedding.linear_1 (dense)
CREATE TEMP TABLE sqld_t2 AS
SELECT b, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.time_embedding.linear_1`) AS m FROM (SELECT b, concat(v, array(1.0F)) AS v FROM sqld_t1) AS g) AS gm;

-- time_embedding.act (silu)
CREATE TEMP TABLE sqld_t3 AS
SELECT x.b, transform(x.v, (a, k) -> CAST(CAST(a / (1 + exp(-a)) AS FLOAT) AS FLOAT)) AS v FROM sqld_t2 x;

-- time_embedding.linear_2 (dense)
CREATE TEMP TABLE sqld_t4 AS
SELECT b, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.time_embedding.linear_2`) AS m FROM (SELECT b, concat(v, array(1.0F)) AS v FROM sqld_t3) AS g) AS gm;

-- time_embedding.silu (silu)
CREATE TEMP TABLE sqld_t5 AS
SELECT x.b, transform(x.v, (a, k) -> CAST(CAST(a / (1 + exp(-a)) AS FLOAT) AS FLOAT)) AS v FROM sqld_t4 x;

-- conv_in (conv3x3)
CREATE TEMP TABLE sqld_t7 AS
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.conv_in`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 9) END, v3, CASE WHEN y < 7 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 9) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 3) END, v, CASE WHEN x < 7 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 3) END) AS v3
    FROM sqld_sample WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm;

-- down_blocks.0.resnets.0.norm1 (group_norm)
CREATE TEMP TABLE sqld_t8 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 2] AS FLOAT) + CAST(beta[k] - mean[k div 2] * gamma[k] * rstd[k div 2] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.down_blocks.0.resnets.0.norm1`) AS gamma, (SELECT m[1] FROM `sqld_tiny.down_blocks.0.resnets.0.norm1`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 128, sum(CAST(s1 AS DOUBLE)) OVER item / 128, sum(CAST(s2 AS DOUBLE)) OVER item / 128, sum(CAST(s3 AS DOUBLE)) OVER item / 128, sum(CAST(s4 AS DOUBLE)) OVER item / 128, sum(CAST(s5 AS DOUBLE)) OVER item / 128, sum(CAST(s6 AS DOUBLE)) OVER item / 128, sum(CAST(s7 AS DOUBLE)) OVER item / 128) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 128, sum(CAST(q1 AS DOUBLE)) OVER item / 128, sum(CAST(q2 AS DOUBLE)) OVER item / 128, sum(CAST(q3 AS DOUBLE)) OVER item / 128, sum(CAST(q4 AS DOUBLE)) OVER item / 128, sum(CAST(q5 AS DOUBLE)) OVER item / 128, sum(CAST(q6 AS DOUBLE)) OVER item / 128, sum(CAST(q7 AS DOUBLE)) OVER item / 128) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 2), array_repeat(1.0F, 2)) AS s0, vector_inner_product(slice(v, 3, 2), array_repeat(1.0F, 2)) AS s1, vector_inner_product(slice(v, 5, 2), array_repeat(1.0F, 2)) AS s2, vector_inner_product(slice(v, 7, 2), array_repeat(1.0F, 2)) AS s3, vector_inner_product(slice(v, 9, 2), array_repeat(1.0F, 2)) AS s4, vector_inner_product(slice(v, 11, 2), array_repeat(1.0F, 2)) AS s5, vector_inner_product(slice(v, 13, 2), array_repeat(1.0F, 2)) AS s6, vector_inner_product(slice(v, 15, 2), array_repeat(1.0F, 2)) AS s7, vector_inner_product(slice(v, 1, 2), slice(v, 1, 2)) AS q0, vector_inner_product(slice(v, 3, 2), slice(v, 3, 2)) AS q1, vector_inner_product(slice(v, 5, 2), slice(v, 5, 2)) AS q2, vector_inner_product(slice(v, 7, 2), slice(v, 7, 2)) AS q3, vector_inner_product(slice(v, 9, 2), slice(v, 9, 2)) AS q4, vector_inner_product(slice(v, 11, 2), slice(v, 11, 2)) AS q5, vector_inner_product(slice(v, 13, 2), slice(v, 13, 2)) AS q6, vector_inner_product(slice(v, 15, 2), slice(v, 15, 2)) AS q7 FROM sqld_t7) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- down_blocks.0.resnets.0.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t9 AS
SELECT b, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.down_blocks.0.resnets.0.time_emb_proj`) AS m FROM (SELECT b, concat(v, array(1.0F)) AS v FROM sqld_t5) AS g) AS gm;

-- down_blocks.0.resnets.0.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t10 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.down_blocks.0.resnets.0.conv1`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 48) END, v3, CASE WHEN y < 7 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 48) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 16) END, v, CASE WHEN x < 7 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 16) END) AS v3
    FROM sqld_t8 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm
) AS c JOIN sqld_t9 e ON e.b = c.b;

-- down_blocks.0.resnets.0.norm2 (group_norm)
CREATE TEMP TABLE sqld_t11 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 2] AS FLOAT) + CAST(beta[k] - mean[k div 2] * gamma[k] * rstd[k div 2] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.down_blocks.0.resnets.0.norm2`) AS gamma, (SELECT m[1] FROM `sqld_tiny.down_blocks.0.resnets.0.norm2`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 128, sum(CAST(s1 AS DOUBLE)) OVER item / 128, sum(CAST(s2 AS DOUBLE)) OVER item / 128, sum(CAST(s3 AS DOUBLE)) OVER item / 128, sum(CAST(s4 AS DOUBLE)) OVER item / 128, sum(CAST(s5 AS DOUBLE)) OVER item / 128, sum(CAST(s6 AS DOUBLE)) OVER item / 128, sum(CAST(s7 AS DOUBLE)) OVER item / 128) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 128, sum(CAST(q1 AS DOUBLE)) OVER item / 128, sum(CAST(q2 AS DOUBLE)) OVER item / 128, sum(CAST(q3 AS DOUBLE)) OVER item / 128, sum(CAST(q4 AS DOUBLE)) OVER item / 128, sum(CAST(q5 AS DOUBLE)) OVER item / 128, sum(CAST(q6 AS DOUBLE)) OVER item / 128, sum(CAST(q7 AS DOUBLE)) OVER item / 128) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 2), array_repeat(1.0F, 2)) AS s0, vector_inner_product(slice(v, 3, 2), array_repeat(1.0F, 2)) AS s1, vector_inner_product(slice(v, 5, 2), array_repeat(1.0F, 2)) AS s2, vector_inner_product(slice(v, 7, 2), array_repeat(1.0F, 2)) AS s3, vector_inner_product(slice(v, 9, 2), array_repeat(1.0F, 2)) AS s4, vector_inner_product(slice(v, 11, 2), array_repeat(1.0F, 2)) AS s5, vector_inner_product(slice(v, 13, 2), array_repeat(1.0F, 2)) AS s6, vector_inner_product(slice(v, 15, 2), array_repeat(1.0F, 2)) AS s7, vector_inner_product(slice(v, 1, 2), slice(v, 1, 2)) AS q0, vector_inner_product(slice(v, 3, 2), slice(v, 3, 2)) AS q1, vector_inner_product(slice(v, 5, 2), slice(v, 5, 2)) AS q2, vector_inner_product(slice(v, 7, 2), slice(v, 7, 2)) AS q3, vector_inner_product(slice(v, 9, 2), slice(v, 9, 2)) AS q4, vector_inner_product(slice(v, 11, 2), slice(v, 11, 2)) AS q5, vector_inner_product(slice(v, 13, 2), slice(v, 13, 2)) AS q6, vector_inner_product(slice(v, 15, 2), slice(v, 15, 2)) AS q7 FROM sqld_t10) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- down_blocks.0.resnets.0.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t12 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.down_blocks.0.resnets.0.conv2`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 48) END, v3, CASE WHEN y < 7 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 48) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 16) END, v, CASE WHEN x < 7 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 16) END) AS v3
    FROM sqld_t11 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm
) AS c JOIN sqld_t7 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- down_blocks.0.downsamplers.0.conv (conv3x3)
CREATE TEMP TABLE sqld_t13 AS
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.down_blocks.0.downsamplers.0.conv`) AS m FROM (SELECT b, y div 2 AS y, x div 2 AS x, v FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 48) END, v3, CASE WHEN y < 7 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 48) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 16) END, v, CASE WHEN x < 7 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 16) END) AS v3
    FROM sqld_t12 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g WHERE y % 2 = 0 AND x % 2 = 0) AS g) AS gm;

-- down_blocks.1.resnets.0.norm1 (group_norm)
CREATE TEMP TABLE sqld_t14 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 2] AS FLOAT) + CAST(beta[k] - mean[k div 2] * gamma[k] * rstd[k div 2] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.down_blocks.1.resnets.0.norm1`) AS gamma, (SELECT m[1] FROM `sqld_tiny.down_blocks.1.resnets.0.norm1`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 32, sum(CAST(s1 AS DOUBLE)) OVER item / 32, sum(CAST(s2 AS DOUBLE)) OVER item / 32, sum(CAST(s3 AS DOUBLE)) OVER item / 32, sum(CAST(s4 AS DOUBLE)) OVER item / 32, sum(CAST(s5 AS DOUBLE)) OVER item / 32, sum(CAST(s6 AS DOUBLE)) OVER item / 32, sum(CAST(s7 AS DOUBLE)) OVER item / 32) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 32, sum(CAST(q1 AS DOUBLE)) OVER item / 32, sum(CAST(q2 AS DOUBLE)) OVER item / 32, sum(CAST(q3 AS DOUBLE)) OVER item / 32, sum(CAST(q4 AS DOUBLE)) OVER item / 32, sum(CAST(q5 AS DOUBLE)) OVER item / 32, sum(CAST(q6 AS DOUBLE)) OVER item / 32, sum(CAST(q7 AS DOUBLE)) OVER item / 32) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 2), array_repeat(1.0F, 2)) AS s0, vector_inner_product(slice(v, 3, 2), array_repeat(1.0F, 2)) AS s1, vector_inner_product(slice(v, 5, 2), array_repeat(1.0F, 2)) AS s2, vector_inner_product(slice(v, 7, 2), array_repeat(1.0F, 2)) AS s3, vector_inner_product(slice(v, 9, 2), array_repeat(1.0F, 2)) AS s4, vector_inner_product(slice(v, 11, 2), array_repeat(1.0F, 2)) AS s5, vector_inner_product(slice(v, 13, 2), array_repeat(1.0F, 2)) AS s6, vector_inner_product(slice(v, 15, 2), array_repeat(1.0F, 2)) AS s7, vector_inner_product(slice(v, 1, 2), slice(v, 1, 2)) AS q0, vector_inner_product(slice(v, 3, 2), slice(v, 3, 2)) AS q1, vector_inner_product(slice(v, 5, 2), slice(v, 5, 2)) AS q2, vector_inner_product(slice(v, 7, 2), slice(v, 7, 2)) AS q3, vector_inner_product(slice(v, 9, 2), slice(v, 9, 2)) AS q4, vector_inner_product(slice(v, 11, 2), slice(v, 11, 2)) AS q5, vector_inner_product(slice(v, 13, 2), slice(v, 13, 2)) AS q6, vector_inner_product(slice(v, 15, 2), slice(v, 15, 2)) AS q7 FROM sqld_t13) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- down_blocks.1.resnets.0.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t15 AS
SELECT b, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.down_blocks.1.resnets.0.time_emb_proj`) AS m FROM (SELECT b, concat(v, array(1.0F)) AS v FROM sqld_t5) AS g) AS gm;

-- down_blocks.1.resnets.0.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t16 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.down_blocks.1.resnets.0.conv1`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 48) END, v3, CASE WHEN y < 3 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 48) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 16) END, v, CASE WHEN x < 3 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 16) END) AS v3
    FROM sqld_t14 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm
) AS c JOIN sqld_t15 e ON e.b = c.b;

-- down_blocks.1.resnets.0.norm2 (group_norm)
CREATE TEMP TABLE sqld_t17 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 4] AS FLOAT) + CAST(beta[k] - mean[k div 4] * gamma[k] * rstd[k div 4] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.down_blocks.1.resnets.0.norm2`) AS gamma, (SELECT m[1] FROM `sqld_tiny.down_blocks.1.resnets.0.norm2`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 64, sum(CAST(s1 AS DOUBLE)) OVER item / 64, sum(CAST(s2 AS DOUBLE)) OVER item / 64, sum(CAST(s3 AS DOUBLE)) OVER item / 64, sum(CAST(s4 AS DOUBLE)) OVER item / 64, sum(CAST(s5 AS DOUBLE)) OVER item / 64, sum(CAST(s6 AS DOUBLE)) OVER item / 64, sum(CAST(s7 AS DOUBLE)) OVER item / 64) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 64, sum(CAST(q1 AS DOUBLE)) OVER item / 64, sum(CAST(q2 AS DOUBLE)) OVER item / 64, sum(CAST(q3 AS DOUBLE)) OVER item / 64, sum(CAST(q4 AS DOUBLE)) OVER item / 64, sum(CAST(q5 AS DOUBLE)) OVER item / 64, sum(CAST(q6 AS DOUBLE)) OVER item / 64, sum(CAST(q7 AS DOUBLE)) OVER item / 64) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 4), array_repeat(1.0F, 4)) AS s0, vector_inner_product(slice(v, 5, 4), array_repeat(1.0F, 4)) AS s1, vector_inner_product(slice(v, 9, 4), array_repeat(1.0F, 4)) AS s2, vector_inner_product(slice(v, 13, 4), array_repeat(1.0F, 4)) AS s3, vector_inner_product(slice(v, 17, 4), array_repeat(1.0F, 4)) AS s4, vector_inner_product(slice(v, 21, 4), array_repeat(1.0F, 4)) AS s5, vector_inner_product(slice(v, 25, 4), array_repeat(1.0F, 4)) AS s6, vector_inner_product(slice(v, 29, 4), array_repeat(1.0F, 4)) AS s7, vector_inner_product(slice(v, 1, 4), slice(v, 1, 4)) AS q0, vector_inner_product(slice(v, 5, 4), slice(v, 5, 4)) AS q1, vector_inner_product(slice(v, 9, 4), slice(v, 9, 4)) AS q2, vector_inner_product(slice(v, 13, 4), slice(v, 13, 4)) AS q3, vector_inner_product(slice(v, 17, 4), slice(v, 17, 4)) AS q4, vector_inner_product(slice(v, 21, 4), slice(v, 21, 4)) AS q5, vector_inner_product(slice(v, 25, 4), slice(v, 25, 4)) AS q6, vector_inner_product(slice(v, 29, 4), slice(v, 29, 4)) AS q7 FROM sqld_t16) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- down_blocks.1.resnets.0.conv_shortcut (dense)
CREATE TEMP TABLE sqld_t18 AS
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.down_blocks.1.resnets.0.conv_shortcut`) AS m FROM (SELECT b, y, x, concat(v, array(1.0F)) AS v FROM sqld_t13) AS g) AS gm;

-- down_blocks.1.resnets.0.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t19 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.down_blocks.1.resnets.0.conv2`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, v3, CASE WHEN y < 3 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 32) END, v, CASE WHEN x < 3 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 32) END) AS v3
    FROM sqld_t17 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm
) AS c JOIN sqld_t18 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- down_blocks.1.attentions.0.group_norm (group_norm)
CREATE TEMP TABLE sqld_t20 AS
SELECT b, y, x, transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 4] AS FLOAT) + CAST(beta[k] - mean[k div 4] * gamma[k] * rstd[k div 4] AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.down_blocks.1.attentions.0.group_norm`) AS gamma, (SELECT m[1] FROM `sqld_tiny.down_blocks.1.attentions.0.group_norm`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 64, sum(CAST(s1 AS DOUBLE)) OVER item / 64, sum(CAST(s2 AS DOUBLE)) OVER item / 64, sum(CAST(s3 AS DOUBLE)) OVER item / 64, sum(CAST(s4 AS DOUBLE)) OVER item / 64, sum(CAST(s5 AS DOUBLE)) OVER item / 64, sum(CAST(s6 AS DOUBLE)) OVER item / 64, sum(CAST(s7 AS DOUBLE)) OVER item / 64) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 64, sum(CAST(q1 AS DOUBLE)) OVER item / 64, sum(CAST(q2 AS DOUBLE)) OVER item / 64, sum(CAST(q3 AS DOUBLE)) OVER item / 64, sum(CAST(q4 AS DOUBLE)) OVER item / 64, sum(CAST(q5 AS DOUBLE)) OVER item / 64, sum(CAST(q6 AS DOUBLE)) OVER item / 64, sum(CAST(q7 AS DOUBLE)) OVER item / 64) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 4), array_repeat(1.0F, 4)) AS s0, vector_inner_product(slice(v, 5, 4), array_repeat(1.0F, 4)) AS s1, vector_inner_product(slice(v, 9, 4), array_repeat(1.0F, 4)) AS s2, vector_inner_product(slice(v, 13, 4), array_repeat(1.0F, 4)) AS s3, vector_inner_product(slice(v, 17, 4), array_repeat(1.0F, 4)) AS s4, vector_inner_product(slice(v, 21, 4), array_repeat(1.0F, 4)) AS s5, vector_inner_product(slice(v, 25, 4), array_repeat(1.0F, 4)) AS s6, vector_inner_product(slice(v, 29, 4), array_repeat(1.0F, 4)) AS s7, vector_inner_product(slice(v, 1, 4), slice(v, 1, 4)) AS q0, vector_inner_product(slice(v, 5, 4), slice(v, 5, 4)) AS q1, vector_inner_product(slice(v, 9, 4), slice(v, 9, 4)) AS q2, vector_inner_product(slice(v, 13, 4), slice(v, 13, 4)) AS q3, vector_inner_product(slice(v, 17, 4), slice(v, 17, 4)) AS q4, vector_inner_product(slice(v, 21, 4), slice(v, 21, 4)) AS q5, vector_inner_product(slice(v, 25, 4), slice(v, 25, 4)) AS q6, vector_inner_product(slice(v, 29, 4), slice(v, 29, 4)) AS q7 FROM sqld_t19) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- down_blocks.1.attentions.0.qkv (attention)
CREATE TEMP TABLE sqld_t21 AS
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.down_blocks.1.attentions.0.qkv`) AS m FROM (SELECT b, y, x, concat(v, array(1.0F)) AS v FROM sqld_t20) AS g) AS gm;

-- down_blocks.1.attentions.0.attention (attention)
CREATE TEMP TABLE sqld_t22 AS
WITH hd AS (  -- one row per (pixel, head): its query, key and value slices
  SELECT /*+ BROADCAST(r_hh) */ b, y * 4 + x AS i, hh AS h, slice(v, hh * 16 + 1, 16) AS q,
         slice(v, 32 + hh * 16 + 1, 16) AS k, slice(v, 64 + hh * 16 + 1, 16) AS val
  FROM sqld_t21 CROSS JOIN (SELECT CAST(id AS INT) AS hh FROM range(2)) AS r_hh),
heads AS (  -- values transposed: one list over the pixels per channel
  SELECT b, h, qs, ks, transform(sequence(0, 15), ch -> transform(vals, r -> r[ch])) AS vt
  FROM (SELECT b, h, transform(array_sort(collect_list(struct(i AS k, q AS v))), s -> s.v) AS qs, transform(array_sort(collect_list(struct(i AS k, k AS v))), s -> s.v) AS ks, transform(array_sort(collect_list(struct(i AS k, val AS v))), s -> s.v) AS vals
        FROM hd GROUP BY b, h) AS gathered),
scores AS (
  SELECT b, i, h, vt, transform(ks, kk -> vector_inner_product(kk, q) * 0.25F) AS s
  FROM (SELECT b, h, posexplode(qs) AS (i, q), ks, vt FROM heads) AS e),
weights AS (SELECT b, i, h, vt, transform(s, z -> CAST(exp(z - m) AS FLOAT)) AS e
  FROM (SELECT b, i, h, vt, s, array_max(s) AS m FROM scores) AS sm),
o AS (SELECT b, i, h, transform(vt, col -> CAST(vector_inner_product(col, e) / total AS FLOAT)) AS o
  FROM (SELECT b, i, h, vt, e, aggregate(e, 0D, (acc, z) -> acc + z) AS total FROM weights) AS t)
SELECT b, i div 4 AS y, i % 4 AS x, flatten(transform(array_sort(collect_list(struct(h AS k, o AS v))), s -> s.v)) AS v FROM o GROUP BY b, i;

-- down_blocks.1.attentions.0.to_out.0 (attention)
CREATE TEMP TABLE sqld_t23 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.down_blocks.1.attentions.0.to_out.0`) AS m FROM (SELECT b, y, x, concat(v, array(1.0F)) AS v FROM sqld_t22) AS g) AS gm
) AS c JOIN sqld_t19 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- mid_block.resnets.0.norm1 (group_norm)
CREATE TEMP TABLE sqld_t24 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 4] AS FLOAT) + CAST(beta[k] - mean[k div 4] * gamma[k] * rstd[k div 4] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.mid_block.resnets.0.norm1`) AS gamma, (SELECT m[1] FROM `sqld_tiny.mid_block.resnets.0.norm1`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 64, sum(CAST(s1 AS DOUBLE)) OVER item / 64, sum(CAST(s2 AS DOUBLE)) OVER item / 64, sum(CAST(s3 AS DOUBLE)) OVER item / 64, sum(CAST(s4 AS DOUBLE)) OVER item / 64, sum(CAST(s5 AS DOUBLE)) OVER item / 64, sum(CAST(s6 AS DOUBLE)) OVER item / 64, sum(CAST(s7 AS DOUBLE)) OVER item / 64) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 64, sum(CAST(q1 AS DOUBLE)) OVER item / 64, sum(CAST(q2 AS DOUBLE)) OVER item / 64, sum(CAST(q3 AS DOUBLE)) OVER item / 64, sum(CAST(q4 AS DOUBLE)) OVER item / 64, sum(CAST(q5 AS DOUBLE)) OVER item / 64, sum(CAST(q6 AS DOUBLE)) OVER item / 64, sum(CAST(q7 AS DOUBLE)) OVER item / 64) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 4), array_repeat(1.0F, 4)) AS s0, vector_inner_product(slice(v, 5, 4), array_repeat(1.0F, 4)) AS s1, vector_inner_product(slice(v, 9, 4), array_repeat(1.0F, 4)) AS s2, vector_inner_product(slice(v, 13, 4), array_repeat(1.0F, 4)) AS s3, vector_inner_product(slice(v, 17, 4), array_repeat(1.0F, 4)) AS s4, vector_inner_product(slice(v, 21, 4), array_repeat(1.0F, 4)) AS s5, vector_inner_product(slice(v, 25, 4), array_repeat(1.0F, 4)) AS s6, vector_inner_product(slice(v, 29, 4), array_repeat(1.0F, 4)) AS s7, vector_inner_product(slice(v, 1, 4), slice(v, 1, 4)) AS q0, vector_inner_product(slice(v, 5, 4), slice(v, 5, 4)) AS q1, vector_inner_product(slice(v, 9, 4), slice(v, 9, 4)) AS q2, vector_inner_product(slice(v, 13, 4), slice(v, 13, 4)) AS q3, vector_inner_product(slice(v, 17, 4), slice(v, 17, 4)) AS q4, vector_inner_product(slice(v, 21, 4), slice(v, 21, 4)) AS q5, vector_inner_product(slice(v, 25, 4), slice(v, 25, 4)) AS q6, vector_inner_product(slice(v, 29, 4), slice(v, 29, 4)) AS q7 FROM sqld_t23) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- mid_block.resnets.0.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t25 AS
SELECT b, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.mid_block.resnets.0.time_emb_proj`) AS m FROM (SELECT b, concat(v, array(1.0F)) AS v FROM sqld_t5) AS g) AS gm;

-- mid_block.resnets.0.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t26 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.mid_block.resnets.0.conv1`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, v3, CASE WHEN y < 3 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 32) END, v, CASE WHEN x < 3 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 32) END) AS v3
    FROM sqld_t24 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm
) AS c JOIN sqld_t25 e ON e.b = c.b;

-- mid_block.resnets.0.norm2 (group_norm)
CREATE TEMP TABLE sqld_t27 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 4] AS FLOAT) + CAST(beta[k] - mean[k div 4] * gamma[k] * rstd[k div 4] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.mid_block.resnets.0.norm2`) AS gamma, (SELECT m[1] FROM `sqld_tiny.mid_block.resnets.0.norm2`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 64, sum(CAST(s1 AS DOUBLE)) OVER item / 64, sum(CAST(s2 AS DOUBLE)) OVER item / 64, sum(CAST(s3 AS DOUBLE)) OVER item / 64, sum(CAST(s4 AS DOUBLE)) OVER item / 64, sum(CAST(s5 AS DOUBLE)) OVER item / 64, sum(CAST(s6 AS DOUBLE)) OVER item / 64, sum(CAST(s7 AS DOUBLE)) OVER item / 64) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 64, sum(CAST(q1 AS DOUBLE)) OVER item / 64, sum(CAST(q2 AS DOUBLE)) OVER item / 64, sum(CAST(q3 AS DOUBLE)) OVER item / 64, sum(CAST(q4 AS DOUBLE)) OVER item / 64, sum(CAST(q5 AS DOUBLE)) OVER item / 64, sum(CAST(q6 AS DOUBLE)) OVER item / 64, sum(CAST(q7 AS DOUBLE)) OVER item / 64) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 4), array_repeat(1.0F, 4)) AS s0, vector_inner_product(slice(v, 5, 4), array_repeat(1.0F, 4)) AS s1, vector_inner_product(slice(v, 9, 4), array_repeat(1.0F, 4)) AS s2, vector_inner_product(slice(v, 13, 4), array_repeat(1.0F, 4)) AS s3, vector_inner_product(slice(v, 17, 4), array_repeat(1.0F, 4)) AS s4, vector_inner_product(slice(v, 21, 4), array_repeat(1.0F, 4)) AS s5, vector_inner_product(slice(v, 25, 4), array_repeat(1.0F, 4)) AS s6, vector_inner_product(slice(v, 29, 4), array_repeat(1.0F, 4)) AS s7, vector_inner_product(slice(v, 1, 4), slice(v, 1, 4)) AS q0, vector_inner_product(slice(v, 5, 4), slice(v, 5, 4)) AS q1, vector_inner_product(slice(v, 9, 4), slice(v, 9, 4)) AS q2, vector_inner_product(slice(v, 13, 4), slice(v, 13, 4)) AS q3, vector_inner_product(slice(v, 17, 4), slice(v, 17, 4)) AS q4, vector_inner_product(slice(v, 21, 4), slice(v, 21, 4)) AS q5, vector_inner_product(slice(v, 25, 4), slice(v, 25, 4)) AS q6, vector_inner_product(slice(v, 29, 4), slice(v, 29, 4)) AS q7 FROM sqld_t26) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- mid_block.resnets.0.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t28 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.mid_block.resnets.0.conv2`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, v3, CASE WHEN y < 3 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 32) END, v, CASE WHEN x < 3 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 32) END) AS v3
    FROM sqld_t27 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm
) AS c JOIN sqld_t23 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- mid_block.attentions.0.group_norm (group_norm)
CREATE TEMP TABLE sqld_t29 AS
SELECT b, y, x, transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 4] AS FLOAT) + CAST(beta[k] - mean[k div 4] * gamma[k] * rstd[k div 4] AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.mid_block.attentions.0.group_norm`) AS gamma, (SELECT m[1] FROM `sqld_tiny.mid_block.attentions.0.group_norm`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 64, sum(CAST(s1 AS DOUBLE)) OVER item / 64, sum(CAST(s2 AS DOUBLE)) OVER item / 64, sum(CAST(s3 AS DOUBLE)) OVER item / 64, sum(CAST(s4 AS DOUBLE)) OVER item / 64, sum(CAST(s5 AS DOUBLE)) OVER item / 64, sum(CAST(s6 AS DOUBLE)) OVER item / 64, sum(CAST(s7 AS DOUBLE)) OVER item / 64) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 64, sum(CAST(q1 AS DOUBLE)) OVER item / 64, sum(CAST(q2 AS DOUBLE)) OVER item / 64, sum(CAST(q3 AS DOUBLE)) OVER item / 64, sum(CAST(q4 AS DOUBLE)) OVER item / 64, sum(CAST(q5 AS DOUBLE)) OVER item / 64, sum(CAST(q6 AS DOUBLE)) OVER item / 64, sum(CAST(q7 AS DOUBLE)) OVER item / 64) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 4), array_repeat(1.0F, 4)) AS s0, vector_inner_product(slice(v, 5, 4), array_repeat(1.0F, 4)) AS s1, vector_inner_product(slice(v, 9, 4), array_repeat(1.0F, 4)) AS s2, vector_inner_product(slice(v, 13, 4), array_repeat(1.0F, 4)) AS s3, vector_inner_product(slice(v, 17, 4), array_repeat(1.0F, 4)) AS s4, vector_inner_product(slice(v, 21, 4), array_repeat(1.0F, 4)) AS s5, vector_inner_product(slice(v, 25, 4), array_repeat(1.0F, 4)) AS s6, vector_inner_product(slice(v, 29, 4), array_repeat(1.0F, 4)) AS s7, vector_inner_product(slice(v, 1, 4), slice(v, 1, 4)) AS q0, vector_inner_product(slice(v, 5, 4), slice(v, 5, 4)) AS q1, vector_inner_product(slice(v, 9, 4), slice(v, 9, 4)) AS q2, vector_inner_product(slice(v, 13, 4), slice(v, 13, 4)) AS q3, vector_inner_product(slice(v, 17, 4), slice(v, 17, 4)) AS q4, vector_inner_product(slice(v, 21, 4), slice(v, 21, 4)) AS q5, vector_inner_product(slice(v, 25, 4), slice(v, 25, 4)) AS q6, vector_inner_product(slice(v, 29, 4), slice(v, 29, 4)) AS q7 FROM sqld_t28) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- mid_block.attentions.0.qkv (attention)
CREATE TEMP TABLE sqld_t30 AS
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.mid_block.attentions.0.qkv`) AS m FROM (SELECT b, y, x, concat(v, array(1.0F)) AS v FROM sqld_t29) AS g) AS gm;

-- mid_block.attentions.0.attention (attention)
CREATE TEMP TABLE sqld_t31 AS
WITH hd AS (  -- one row per (pixel, head): its query, key and value slices
  SELECT /*+ BROADCAST(r_hh) */ b, y * 4 + x AS i, hh AS h, slice(v, hh * 16 + 1, 16) AS q,
         slice(v, 32 + hh * 16 + 1, 16) AS k, slice(v, 64 + hh * 16 + 1, 16) AS val
  FROM sqld_t30 CROSS JOIN (SELECT CAST(id AS INT) AS hh FROM range(2)) AS r_hh),
heads AS (  -- values transposed: one list over the pixels per channel
  SELECT b, h, qs, ks, transform(sequence(0, 15), ch -> transform(vals, r -> r[ch])) AS vt
  FROM (SELECT b, h, transform(array_sort(collect_list(struct(i AS k, q AS v))), s -> s.v) AS qs, transform(array_sort(collect_list(struct(i AS k, k AS v))), s -> s.v) AS ks, transform(array_sort(collect_list(struct(i AS k, val AS v))), s -> s.v) AS vals
        FROM hd GROUP BY b, h) AS gathered),
scores AS (
  SELECT b, i, h, vt, transform(ks, kk -> vector_inner_product(kk, q) * 0.25F) AS s
  FROM (SELECT b, h, posexplode(qs) AS (i, q), ks, vt FROM heads) AS e),
weights AS (SELECT b, i, h, vt, transform(s, z -> CAST(exp(z - m) AS FLOAT)) AS e
  FROM (SELECT b, i, h, vt, s, array_max(s) AS m FROM scores) AS sm),
o AS (SELECT b, i, h, transform(vt, col -> CAST(vector_inner_product(col, e) / total AS FLOAT)) AS o
  FROM (SELECT b, i, h, vt, e, aggregate(e, 0D, (acc, z) -> acc + z) AS total FROM weights) AS t)
SELECT b, i div 4 AS y, i % 4 AS x, flatten(transform(array_sort(collect_list(struct(h AS k, o AS v))), s -> s.v)) AS v FROM o GROUP BY b, i;

-- mid_block.attentions.0.to_out.0 (attention)
CREATE TEMP TABLE sqld_t32 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.mid_block.attentions.0.to_out.0`) AS m FROM (SELECT b, y, x, concat(v, array(1.0F)) AS v FROM sqld_t31) AS g) AS gm
) AS c JOIN sqld_t28 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- mid_block.resnets.1.norm1 (group_norm)
CREATE TEMP TABLE sqld_t33 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 4] AS FLOAT) + CAST(beta[k] - mean[k div 4] * gamma[k] * rstd[k div 4] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.mid_block.resnets.1.norm1`) AS gamma, (SELECT m[1] FROM `sqld_tiny.mid_block.resnets.1.norm1`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 64, sum(CAST(s1 AS DOUBLE)) OVER item / 64, sum(CAST(s2 AS DOUBLE)) OVER item / 64, sum(CAST(s3 AS DOUBLE)) OVER item / 64, sum(CAST(s4 AS DOUBLE)) OVER item / 64, sum(CAST(s5 AS DOUBLE)) OVER item / 64, sum(CAST(s6 AS DOUBLE)) OVER item / 64, sum(CAST(s7 AS DOUBLE)) OVER item / 64) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 64, sum(CAST(q1 AS DOUBLE)) OVER item / 64, sum(CAST(q2 AS DOUBLE)) OVER item / 64, sum(CAST(q3 AS DOUBLE)) OVER item / 64, sum(CAST(q4 AS DOUBLE)) OVER item / 64, sum(CAST(q5 AS DOUBLE)) OVER item / 64, sum(CAST(q6 AS DOUBLE)) OVER item / 64, sum(CAST(q7 AS DOUBLE)) OVER item / 64) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 4), array_repeat(1.0F, 4)) AS s0, vector_inner_product(slice(v, 5, 4), array_repeat(1.0F, 4)) AS s1, vector_inner_product(slice(v, 9, 4), array_repeat(1.0F, 4)) AS s2, vector_inner_product(slice(v, 13, 4), array_repeat(1.0F, 4)) AS s3, vector_inner_product(slice(v, 17, 4), array_repeat(1.0F, 4)) AS s4, vector_inner_product(slice(v, 21, 4), array_repeat(1.0F, 4)) AS s5, vector_inner_product(slice(v, 25, 4), array_repeat(1.0F, 4)) AS s6, vector_inner_product(slice(v, 29, 4), array_repeat(1.0F, 4)) AS s7, vector_inner_product(slice(v, 1, 4), slice(v, 1, 4)) AS q0, vector_inner_product(slice(v, 5, 4), slice(v, 5, 4)) AS q1, vector_inner_product(slice(v, 9, 4), slice(v, 9, 4)) AS q2, vector_inner_product(slice(v, 13, 4), slice(v, 13, 4)) AS q3, vector_inner_product(slice(v, 17, 4), slice(v, 17, 4)) AS q4, vector_inner_product(slice(v, 21, 4), slice(v, 21, 4)) AS q5, vector_inner_product(slice(v, 25, 4), slice(v, 25, 4)) AS q6, vector_inner_product(slice(v, 29, 4), slice(v, 29, 4)) AS q7 FROM sqld_t32) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- mid_block.resnets.1.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t34 AS
SELECT b, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.mid_block.resnets.1.time_emb_proj`) AS m FROM (SELECT b, concat(v, array(1.0F)) AS v FROM sqld_t5) AS g) AS gm;

-- mid_block.resnets.1.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t35 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.mid_block.resnets.1.conv1`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, v3, CASE WHEN y < 3 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 32) END, v, CASE WHEN x < 3 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 32) END) AS v3
    FROM sqld_t33 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm
) AS c JOIN sqld_t34 e ON e.b = c.b;

-- mid_block.resnets.1.norm2 (group_norm)
CREATE TEMP TABLE sqld_t36 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 4] AS FLOAT) + CAST(beta[k] - mean[k div 4] * gamma[k] * rstd[k div 4] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.mid_block.resnets.1.norm2`) AS gamma, (SELECT m[1] FROM `sqld_tiny.mid_block.resnets.1.norm2`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 64, sum(CAST(s1 AS DOUBLE)) OVER item / 64, sum(CAST(s2 AS DOUBLE)) OVER item / 64, sum(CAST(s3 AS DOUBLE)) OVER item / 64, sum(CAST(s4 AS DOUBLE)) OVER item / 64, sum(CAST(s5 AS DOUBLE)) OVER item / 64, sum(CAST(s6 AS DOUBLE)) OVER item / 64, sum(CAST(s7 AS DOUBLE)) OVER item / 64) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 64, sum(CAST(q1 AS DOUBLE)) OVER item / 64, sum(CAST(q2 AS DOUBLE)) OVER item / 64, sum(CAST(q3 AS DOUBLE)) OVER item / 64, sum(CAST(q4 AS DOUBLE)) OVER item / 64, sum(CAST(q5 AS DOUBLE)) OVER item / 64, sum(CAST(q6 AS DOUBLE)) OVER item / 64, sum(CAST(q7 AS DOUBLE)) OVER item / 64) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 4), array_repeat(1.0F, 4)) AS s0, vector_inner_product(slice(v, 5, 4), array_repeat(1.0F, 4)) AS s1, vector_inner_product(slice(v, 9, 4), array_repeat(1.0F, 4)) AS s2, vector_inner_product(slice(v, 13, 4), array_repeat(1.0F, 4)) AS s3, vector_inner_product(slice(v, 17, 4), array_repeat(1.0F, 4)) AS s4, vector_inner_product(slice(v, 21, 4), array_repeat(1.0F, 4)) AS s5, vector_inner_product(slice(v, 25, 4), array_repeat(1.0F, 4)) AS s6, vector_inner_product(slice(v, 29, 4), array_repeat(1.0F, 4)) AS s7, vector_inner_product(slice(v, 1, 4), slice(v, 1, 4)) AS q0, vector_inner_product(slice(v, 5, 4), slice(v, 5, 4)) AS q1, vector_inner_product(slice(v, 9, 4), slice(v, 9, 4)) AS q2, vector_inner_product(slice(v, 13, 4), slice(v, 13, 4)) AS q3, vector_inner_product(slice(v, 17, 4), slice(v, 17, 4)) AS q4, vector_inner_product(slice(v, 21, 4), slice(v, 21, 4)) AS q5, vector_inner_product(slice(v, 25, 4), slice(v, 25, 4)) AS q6, vector_inner_product(slice(v, 29, 4), slice(v, 29, 4)) AS q7 FROM sqld_t35) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- mid_block.resnets.1.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t37 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.mid_block.resnets.1.conv2`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, v3, CASE WHEN y < 3 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 32) END, v, CASE WHEN x < 3 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 32) END) AS v3
    FROM sqld_t36 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm
) AS c JOIN sqld_t32 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- up_blocks.0.resnets.0.concat (concat)
CREATE TEMP TABLE sqld_t38 AS
SELECT h.b, h.y, h.x, concat(h.v, s.v) AS v
FROM sqld_t37 h JOIN sqld_t23 s ON s.b = h.b AND s.y = h.y AND s.x = h.x;

-- up_blocks.0.resnets.0.norm1 (group_norm)
CREATE TEMP TABLE sqld_t39 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 8] AS FLOAT) + CAST(beta[k] - mean[k div 8] * gamma[k] * rstd[k div 8] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.up_blocks.0.resnets.0.norm1`) AS gamma, (SELECT m[1] FROM `sqld_tiny.up_blocks.0.resnets.0.norm1`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 128, sum(CAST(s1 AS DOUBLE)) OVER item / 128, sum(CAST(s2 AS DOUBLE)) OVER item / 128, sum(CAST(s3 AS DOUBLE)) OVER item / 128, sum(CAST(s4 AS DOUBLE)) OVER item / 128, sum(CAST(s5 AS DOUBLE)) OVER item / 128, sum(CAST(s6 AS DOUBLE)) OVER item / 128, sum(CAST(s7 AS DOUBLE)) OVER item / 128) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 128, sum(CAST(q1 AS DOUBLE)) OVER item / 128, sum(CAST(q2 AS DOUBLE)) OVER item / 128, sum(CAST(q3 AS DOUBLE)) OVER item / 128, sum(CAST(q4 AS DOUBLE)) OVER item / 128, sum(CAST(q5 AS DOUBLE)) OVER item / 128, sum(CAST(q6 AS DOUBLE)) OVER item / 128, sum(CAST(q7 AS DOUBLE)) OVER item / 128) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 8), array_repeat(1.0F, 8)) AS s0, vector_inner_product(slice(v, 9, 8), array_repeat(1.0F, 8)) AS s1, vector_inner_product(slice(v, 17, 8), array_repeat(1.0F, 8)) AS s2, vector_inner_product(slice(v, 25, 8), array_repeat(1.0F, 8)) AS s3, vector_inner_product(slice(v, 33, 8), array_repeat(1.0F, 8)) AS s4, vector_inner_product(slice(v, 41, 8), array_repeat(1.0F, 8)) AS s5, vector_inner_product(slice(v, 49, 8), array_repeat(1.0F, 8)) AS s6, vector_inner_product(slice(v, 57, 8), array_repeat(1.0F, 8)) AS s7, vector_inner_product(slice(v, 1, 8), slice(v, 1, 8)) AS q0, vector_inner_product(slice(v, 9, 8), slice(v, 9, 8)) AS q1, vector_inner_product(slice(v, 17, 8), slice(v, 17, 8)) AS q2, vector_inner_product(slice(v, 25, 8), slice(v, 25, 8)) AS q3, vector_inner_product(slice(v, 33, 8), slice(v, 33, 8)) AS q4, vector_inner_product(slice(v, 41, 8), slice(v, 41, 8)) AS q5, vector_inner_product(slice(v, 49, 8), slice(v, 49, 8)) AS q6, vector_inner_product(slice(v, 57, 8), slice(v, 57, 8)) AS q7 FROM sqld_t38) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- up_blocks.0.resnets.0.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t40 AS
SELECT b, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.0.resnets.0.time_emb_proj`) AS m FROM (SELECT b, concat(v, array(1.0F)) AS v FROM sqld_t5) AS g) AS gm;

-- up_blocks.0.resnets.0.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t41 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.0.resnets.0.conv1`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 192) END, v3, CASE WHEN y < 3 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 192) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 64) END, v, CASE WHEN x < 3 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 64) END) AS v3
    FROM sqld_t39 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm
) AS c JOIN sqld_t40 e ON e.b = c.b;

-- up_blocks.0.resnets.0.norm2 (group_norm)
CREATE TEMP TABLE sqld_t42 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 4] AS FLOAT) + CAST(beta[k] - mean[k div 4] * gamma[k] * rstd[k div 4] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.up_blocks.0.resnets.0.norm2`) AS gamma, (SELECT m[1] FROM `sqld_tiny.up_blocks.0.resnets.0.norm2`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 64, sum(CAST(s1 AS DOUBLE)) OVER item / 64, sum(CAST(s2 AS DOUBLE)) OVER item / 64, sum(CAST(s3 AS DOUBLE)) OVER item / 64, sum(CAST(s4 AS DOUBLE)) OVER item / 64, sum(CAST(s5 AS DOUBLE)) OVER item / 64, sum(CAST(s6 AS DOUBLE)) OVER item / 64, sum(CAST(s7 AS DOUBLE)) OVER item / 64) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 64, sum(CAST(q1 AS DOUBLE)) OVER item / 64, sum(CAST(q2 AS DOUBLE)) OVER item / 64, sum(CAST(q3 AS DOUBLE)) OVER item / 64, sum(CAST(q4 AS DOUBLE)) OVER item / 64, sum(CAST(q5 AS DOUBLE)) OVER item / 64, sum(CAST(q6 AS DOUBLE)) OVER item / 64, sum(CAST(q7 AS DOUBLE)) OVER item / 64) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 4), array_repeat(1.0F, 4)) AS s0, vector_inner_product(slice(v, 5, 4), array_repeat(1.0F, 4)) AS s1, vector_inner_product(slice(v, 9, 4), array_repeat(1.0F, 4)) AS s2, vector_inner_product(slice(v, 13, 4), array_repeat(1.0F, 4)) AS s3, vector_inner_product(slice(v, 17, 4), array_repeat(1.0F, 4)) AS s4, vector_inner_product(slice(v, 21, 4), array_repeat(1.0F, 4)) AS s5, vector_inner_product(slice(v, 25, 4), array_repeat(1.0F, 4)) AS s6, vector_inner_product(slice(v, 29, 4), array_repeat(1.0F, 4)) AS s7, vector_inner_product(slice(v, 1, 4), slice(v, 1, 4)) AS q0, vector_inner_product(slice(v, 5, 4), slice(v, 5, 4)) AS q1, vector_inner_product(slice(v, 9, 4), slice(v, 9, 4)) AS q2, vector_inner_product(slice(v, 13, 4), slice(v, 13, 4)) AS q3, vector_inner_product(slice(v, 17, 4), slice(v, 17, 4)) AS q4, vector_inner_product(slice(v, 21, 4), slice(v, 21, 4)) AS q5, vector_inner_product(slice(v, 25, 4), slice(v, 25, 4)) AS q6, vector_inner_product(slice(v, 29, 4), slice(v, 29, 4)) AS q7 FROM sqld_t41) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- up_blocks.0.resnets.0.conv_shortcut (dense)
CREATE TEMP TABLE sqld_t43 AS
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.0.resnets.0.conv_shortcut`) AS m FROM (SELECT b, y, x, concat(v, array(1.0F)) AS v FROM sqld_t38) AS g) AS gm;

-- up_blocks.0.resnets.0.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t44 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.0.resnets.0.conv2`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, v3, CASE WHEN y < 3 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 32) END, v, CASE WHEN x < 3 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 32) END) AS v3
    FROM sqld_t42 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm
) AS c JOIN sqld_t43 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- up_blocks.0.attentions.0.group_norm (group_norm)
CREATE TEMP TABLE sqld_t45 AS
SELECT b, y, x, transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 4] AS FLOAT) + CAST(beta[k] - mean[k div 4] * gamma[k] * rstd[k div 4] AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.up_blocks.0.attentions.0.group_norm`) AS gamma, (SELECT m[1] FROM `sqld_tiny.up_blocks.0.attentions.0.group_norm`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 64, sum(CAST(s1 AS DOUBLE)) OVER item / 64, sum(CAST(s2 AS DOUBLE)) OVER item / 64, sum(CAST(s3 AS DOUBLE)) OVER item / 64, sum(CAST(s4 AS DOUBLE)) OVER item / 64, sum(CAST(s5 AS DOUBLE)) OVER item / 64, sum(CAST(s6 AS DOUBLE)) OVER item / 64, sum(CAST(s7 AS DOUBLE)) OVER item / 64) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 64, sum(CAST(q1 AS DOUBLE)) OVER item / 64, sum(CAST(q2 AS DOUBLE)) OVER item / 64, sum(CAST(q3 AS DOUBLE)) OVER item / 64, sum(CAST(q4 AS DOUBLE)) OVER item / 64, sum(CAST(q5 AS DOUBLE)) OVER item / 64, sum(CAST(q6 AS DOUBLE)) OVER item / 64, sum(CAST(q7 AS DOUBLE)) OVER item / 64) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 4), array_repeat(1.0F, 4)) AS s0, vector_inner_product(slice(v, 5, 4), array_repeat(1.0F, 4)) AS s1, vector_inner_product(slice(v, 9, 4), array_repeat(1.0F, 4)) AS s2, vector_inner_product(slice(v, 13, 4), array_repeat(1.0F, 4)) AS s3, vector_inner_product(slice(v, 17, 4), array_repeat(1.0F, 4)) AS s4, vector_inner_product(slice(v, 21, 4), array_repeat(1.0F, 4)) AS s5, vector_inner_product(slice(v, 25, 4), array_repeat(1.0F, 4)) AS s6, vector_inner_product(slice(v, 29, 4), array_repeat(1.0F, 4)) AS s7, vector_inner_product(slice(v, 1, 4), slice(v, 1, 4)) AS q0, vector_inner_product(slice(v, 5, 4), slice(v, 5, 4)) AS q1, vector_inner_product(slice(v, 9, 4), slice(v, 9, 4)) AS q2, vector_inner_product(slice(v, 13, 4), slice(v, 13, 4)) AS q3, vector_inner_product(slice(v, 17, 4), slice(v, 17, 4)) AS q4, vector_inner_product(slice(v, 21, 4), slice(v, 21, 4)) AS q5, vector_inner_product(slice(v, 25, 4), slice(v, 25, 4)) AS q6, vector_inner_product(slice(v, 29, 4), slice(v, 29, 4)) AS q7 FROM sqld_t44) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- up_blocks.0.attentions.0.qkv (attention)
CREATE TEMP TABLE sqld_t46 AS
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.0.attentions.0.qkv`) AS m FROM (SELECT b, y, x, concat(v, array(1.0F)) AS v FROM sqld_t45) AS g) AS gm;

-- up_blocks.0.attentions.0.attention (attention)
CREATE TEMP TABLE sqld_t47 AS
WITH hd AS (  -- one row per (pixel, head): its query, key and value slices
  SELECT /*+ BROADCAST(r_hh) */ b, y * 4 + x AS i, hh AS h, slice(v, hh * 16 + 1, 16) AS q,
         slice(v, 32 + hh * 16 + 1, 16) AS k, slice(v, 64 + hh * 16 + 1, 16) AS val
  FROM sqld_t46 CROSS JOIN (SELECT CAST(id AS INT) AS hh FROM range(2)) AS r_hh),
heads AS (  -- values transposed: one list over the pixels per channel
  SELECT b, h, qs, ks, transform(sequence(0, 15), ch -> transform(vals, r -> r[ch])) AS vt
  FROM (SELECT b, h, transform(array_sort(collect_list(struct(i AS k, q AS v))), s -> s.v) AS qs, transform(array_sort(collect_list(struct(i AS k, k AS v))), s -> s.v) AS ks, transform(array_sort(collect_list(struct(i AS k, val AS v))), s -> s.v) AS vals
        FROM hd GROUP BY b, h) AS gathered),
scores AS (
  SELECT b, i, h, vt, transform(ks, kk -> vector_inner_product(kk, q) * 0.25F) AS s
  FROM (SELECT b, h, posexplode(qs) AS (i, q), ks, vt FROM heads) AS e),
weights AS (SELECT b, i, h, vt, transform(s, z -> CAST(exp(z - m) AS FLOAT)) AS e
  FROM (SELECT b, i, h, vt, s, array_max(s) AS m FROM scores) AS sm),
o AS (SELECT b, i, h, transform(vt, col -> CAST(vector_inner_product(col, e) / total AS FLOAT)) AS o
  FROM (SELECT b, i, h, vt, e, aggregate(e, 0D, (acc, z) -> acc + z) AS total FROM weights) AS t)
SELECT b, i div 4 AS y, i % 4 AS x, flatten(transform(array_sort(collect_list(struct(h AS k, o AS v))), s -> s.v)) AS v FROM o GROUP BY b, i;

-- up_blocks.0.attentions.0.to_out.0 (attention)
CREATE TEMP TABLE sqld_t48 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.0.attentions.0.to_out.0`) AS m FROM (SELECT b, y, x, concat(v, array(1.0F)) AS v FROM sqld_t47) AS g) AS gm
) AS c JOIN sqld_t44 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- up_blocks.0.resnets.1.concat (concat)
CREATE TEMP TABLE sqld_t49 AS
SELECT h.b, h.y, h.x, concat(h.v, s.v) AS v
FROM sqld_t48 h JOIN sqld_t13 s ON s.b = h.b AND s.y = h.y AND s.x = h.x;

-- up_blocks.0.resnets.1.norm1 (group_norm)
CREATE TEMP TABLE sqld_t50 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 6] AS FLOAT) + CAST(beta[k] - mean[k div 6] * gamma[k] * rstd[k div 6] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.up_blocks.0.resnets.1.norm1`) AS gamma, (SELECT m[1] FROM `sqld_tiny.up_blocks.0.resnets.1.norm1`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 96, sum(CAST(s1 AS DOUBLE)) OVER item / 96, sum(CAST(s2 AS DOUBLE)) OVER item / 96, sum(CAST(s3 AS DOUBLE)) OVER item / 96, sum(CAST(s4 AS DOUBLE)) OVER item / 96, sum(CAST(s5 AS DOUBLE)) OVER item / 96, sum(CAST(s6 AS DOUBLE)) OVER item / 96, sum(CAST(s7 AS DOUBLE)) OVER item / 96) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 96, sum(CAST(q1 AS DOUBLE)) OVER item / 96, sum(CAST(q2 AS DOUBLE)) OVER item / 96, sum(CAST(q3 AS DOUBLE)) OVER item / 96, sum(CAST(q4 AS DOUBLE)) OVER item / 96, sum(CAST(q5 AS DOUBLE)) OVER item / 96, sum(CAST(q6 AS DOUBLE)) OVER item / 96, sum(CAST(q7 AS DOUBLE)) OVER item / 96) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 6), array_repeat(1.0F, 6)) AS s0, vector_inner_product(slice(v, 7, 6), array_repeat(1.0F, 6)) AS s1, vector_inner_product(slice(v, 13, 6), array_repeat(1.0F, 6)) AS s2, vector_inner_product(slice(v, 19, 6), array_repeat(1.0F, 6)) AS s3, vector_inner_product(slice(v, 25, 6), array_repeat(1.0F, 6)) AS s4, vector_inner_product(slice(v, 31, 6), array_repeat(1.0F, 6)) AS s5, vector_inner_product(slice(v, 37, 6), array_repeat(1.0F, 6)) AS s6, vector_inner_product(slice(v, 43, 6), array_repeat(1.0F, 6)) AS s7, vector_inner_product(slice(v, 1, 6), slice(v, 1, 6)) AS q0, vector_inner_product(slice(v, 7, 6), slice(v, 7, 6)) AS q1, vector_inner_product(slice(v, 13, 6), slice(v, 13, 6)) AS q2, vector_inner_product(slice(v, 19, 6), slice(v, 19, 6)) AS q3, vector_inner_product(slice(v, 25, 6), slice(v, 25, 6)) AS q4, vector_inner_product(slice(v, 31, 6), slice(v, 31, 6)) AS q5, vector_inner_product(slice(v, 37, 6), slice(v, 37, 6)) AS q6, vector_inner_product(slice(v, 43, 6), slice(v, 43, 6)) AS q7 FROM sqld_t49) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- up_blocks.0.resnets.1.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t51 AS
SELECT b, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.0.resnets.1.time_emb_proj`) AS m FROM (SELECT b, concat(v, array(1.0F)) AS v FROM sqld_t5) AS g) AS gm;

-- up_blocks.0.resnets.1.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t52 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.0.resnets.1.conv1`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 144) END, v3, CASE WHEN y < 3 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 144) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 48) END, v, CASE WHEN x < 3 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 48) END) AS v3
    FROM sqld_t50 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm
) AS c JOIN sqld_t51 e ON e.b = c.b;

-- up_blocks.0.resnets.1.norm2 (group_norm)
CREATE TEMP TABLE sqld_t53 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 4] AS FLOAT) + CAST(beta[k] - mean[k div 4] * gamma[k] * rstd[k div 4] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.up_blocks.0.resnets.1.norm2`) AS gamma, (SELECT m[1] FROM `sqld_tiny.up_blocks.0.resnets.1.norm2`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 64, sum(CAST(s1 AS DOUBLE)) OVER item / 64, sum(CAST(s2 AS DOUBLE)) OVER item / 64, sum(CAST(s3 AS DOUBLE)) OVER item / 64, sum(CAST(s4 AS DOUBLE)) OVER item / 64, sum(CAST(s5 AS DOUBLE)) OVER item / 64, sum(CAST(s6 AS DOUBLE)) OVER item / 64, sum(CAST(s7 AS DOUBLE)) OVER item / 64) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 64, sum(CAST(q1 AS DOUBLE)) OVER item / 64, sum(CAST(q2 AS DOUBLE)) OVER item / 64, sum(CAST(q3 AS DOUBLE)) OVER item / 64, sum(CAST(q4 AS DOUBLE)) OVER item / 64, sum(CAST(q5 AS DOUBLE)) OVER item / 64, sum(CAST(q6 AS DOUBLE)) OVER item / 64, sum(CAST(q7 AS DOUBLE)) OVER item / 64) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 4), array_repeat(1.0F, 4)) AS s0, vector_inner_product(slice(v, 5, 4), array_repeat(1.0F, 4)) AS s1, vector_inner_product(slice(v, 9, 4), array_repeat(1.0F, 4)) AS s2, vector_inner_product(slice(v, 13, 4), array_repeat(1.0F, 4)) AS s3, vector_inner_product(slice(v, 17, 4), array_repeat(1.0F, 4)) AS s4, vector_inner_product(slice(v, 21, 4), array_repeat(1.0F, 4)) AS s5, vector_inner_product(slice(v, 25, 4), array_repeat(1.0F, 4)) AS s6, vector_inner_product(slice(v, 29, 4), array_repeat(1.0F, 4)) AS s7, vector_inner_product(slice(v, 1, 4), slice(v, 1, 4)) AS q0, vector_inner_product(slice(v, 5, 4), slice(v, 5, 4)) AS q1, vector_inner_product(slice(v, 9, 4), slice(v, 9, 4)) AS q2, vector_inner_product(slice(v, 13, 4), slice(v, 13, 4)) AS q3, vector_inner_product(slice(v, 17, 4), slice(v, 17, 4)) AS q4, vector_inner_product(slice(v, 21, 4), slice(v, 21, 4)) AS q5, vector_inner_product(slice(v, 25, 4), slice(v, 25, 4)) AS q6, vector_inner_product(slice(v, 29, 4), slice(v, 29, 4)) AS q7 FROM sqld_t52) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- up_blocks.0.resnets.1.conv_shortcut (dense)
CREATE TEMP TABLE sqld_t54 AS
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.0.resnets.1.conv_shortcut`) AS m FROM (SELECT b, y, x, concat(v, array(1.0F)) AS v FROM sqld_t49) AS g) AS gm;

-- up_blocks.0.resnets.1.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t55 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.0.resnets.1.conv2`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, v3, CASE WHEN y < 3 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 32) END, v, CASE WHEN x < 3 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 32) END) AS v3
    FROM sqld_t53 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm
) AS c JOIN sqld_t54 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- up_blocks.0.attentions.1.group_norm (group_norm)
CREATE TEMP TABLE sqld_t56 AS
SELECT b, y, x, transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 4] AS FLOAT) + CAST(beta[k] - mean[k div 4] * gamma[k] * rstd[k div 4] AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.up_blocks.0.attentions.1.group_norm`) AS gamma, (SELECT m[1] FROM `sqld_tiny.up_blocks.0.attentions.1.group_norm`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 64, sum(CAST(s1 AS DOUBLE)) OVER item / 64, sum(CAST(s2 AS DOUBLE)) OVER item / 64, sum(CAST(s3 AS DOUBLE)) OVER item / 64, sum(CAST(s4 AS DOUBLE)) OVER item / 64, sum(CAST(s5 AS DOUBLE)) OVER item / 64, sum(CAST(s6 AS DOUBLE)) OVER item / 64, sum(CAST(s7 AS DOUBLE)) OVER item / 64) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 64, sum(CAST(q1 AS DOUBLE)) OVER item / 64, sum(CAST(q2 AS DOUBLE)) OVER item / 64, sum(CAST(q3 AS DOUBLE)) OVER item / 64, sum(CAST(q4 AS DOUBLE)) OVER item / 64, sum(CAST(q5 AS DOUBLE)) OVER item / 64, sum(CAST(q6 AS DOUBLE)) OVER item / 64, sum(CAST(q7 AS DOUBLE)) OVER item / 64) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 4), array_repeat(1.0F, 4)) AS s0, vector_inner_product(slice(v, 5, 4), array_repeat(1.0F, 4)) AS s1, vector_inner_product(slice(v, 9, 4), array_repeat(1.0F, 4)) AS s2, vector_inner_product(slice(v, 13, 4), array_repeat(1.0F, 4)) AS s3, vector_inner_product(slice(v, 17, 4), array_repeat(1.0F, 4)) AS s4, vector_inner_product(slice(v, 21, 4), array_repeat(1.0F, 4)) AS s5, vector_inner_product(slice(v, 25, 4), array_repeat(1.0F, 4)) AS s6, vector_inner_product(slice(v, 29, 4), array_repeat(1.0F, 4)) AS s7, vector_inner_product(slice(v, 1, 4), slice(v, 1, 4)) AS q0, vector_inner_product(slice(v, 5, 4), slice(v, 5, 4)) AS q1, vector_inner_product(slice(v, 9, 4), slice(v, 9, 4)) AS q2, vector_inner_product(slice(v, 13, 4), slice(v, 13, 4)) AS q3, vector_inner_product(slice(v, 17, 4), slice(v, 17, 4)) AS q4, vector_inner_product(slice(v, 21, 4), slice(v, 21, 4)) AS q5, vector_inner_product(slice(v, 25, 4), slice(v, 25, 4)) AS q6, vector_inner_product(slice(v, 29, 4), slice(v, 29, 4)) AS q7 FROM sqld_t55) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- up_blocks.0.attentions.1.qkv (attention)
CREATE TEMP TABLE sqld_t57 AS
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.0.attentions.1.qkv`) AS m FROM (SELECT b, y, x, concat(v, array(1.0F)) AS v FROM sqld_t56) AS g) AS gm;

-- up_blocks.0.attentions.1.attention (attention)
CREATE TEMP TABLE sqld_t58 AS
WITH hd AS (  -- one row per (pixel, head): its query, key and value slices
  SELECT /*+ BROADCAST(r_hh) */ b, y * 4 + x AS i, hh AS h, slice(v, hh * 16 + 1, 16) AS q,
         slice(v, 32 + hh * 16 + 1, 16) AS k, slice(v, 64 + hh * 16 + 1, 16) AS val
  FROM sqld_t57 CROSS JOIN (SELECT CAST(id AS INT) AS hh FROM range(2)) AS r_hh),
heads AS (  -- values transposed: one list over the pixels per channel
  SELECT b, h, qs, ks, transform(sequence(0, 15), ch -> transform(vals, r -> r[ch])) AS vt
  FROM (SELECT b, h, transform(array_sort(collect_list(struct(i AS k, q AS v))), s -> s.v) AS qs, transform(array_sort(collect_list(struct(i AS k, k AS v))), s -> s.v) AS ks, transform(array_sort(collect_list(struct(i AS k, val AS v))), s -> s.v) AS vals
        FROM hd GROUP BY b, h) AS gathered),
scores AS (
  SELECT b, i, h, vt, transform(ks, kk -> vector_inner_product(kk, q) * 0.25F) AS s
  FROM (SELECT b, h, posexplode(qs) AS (i, q), ks, vt FROM heads) AS e),
weights AS (SELECT b, i, h, vt, transform(s, z -> CAST(exp(z - m) AS FLOAT)) AS e
  FROM (SELECT b, i, h, vt, s, array_max(s) AS m FROM scores) AS sm),
o AS (SELECT b, i, h, transform(vt, col -> CAST(vector_inner_product(col, e) / total AS FLOAT)) AS o
  FROM (SELECT b, i, h, vt, e, aggregate(e, 0D, (acc, z) -> acc + z) AS total FROM weights) AS t)
SELECT b, i div 4 AS y, i % 4 AS x, flatten(transform(array_sort(collect_list(struct(h AS k, o AS v))), s -> s.v)) AS v FROM o GROUP BY b, i;

-- up_blocks.0.attentions.1.to_out.0 (attention)
CREATE TEMP TABLE sqld_t59 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.0.attentions.1.to_out.0`) AS m FROM (SELECT b, y, x, concat(v, array(1.0F)) AS v FROM sqld_t58) AS g) AS gm
) AS c JOIN sqld_t55 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- up_blocks.0.upsamplers.0.conv (conv3x3)
CREATE TEMP TABLE sqld_t60 AS
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.0.upsamplers.0.conv`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, v3, CASE WHEN y < 7 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 32) END, v, CASE WHEN x < 7 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 32) END) AS v3
    FROM (SELECT s.b, 2 * s.y + u.dy AS y, 2 * s.x + u.dx AS x, s.v FROM sqld_t59 s CROSS JOIN (VALUES (0, 0), (0, 1), (1, 0), (1, 1)) AS u(dy, dx)) WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm;

-- up_blocks.1.resnets.0.concat (concat)
CREATE TEMP TABLE sqld_t61 AS
SELECT h.b, h.y, h.x, concat(h.v, s.v) AS v
FROM sqld_t60 h JOIN sqld_t12 s ON s.b = h.b AND s.y = h.y AND s.x = h.x;

-- up_blocks.1.resnets.0.norm1 (group_norm)
CREATE TEMP TABLE sqld_t62 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 6] AS FLOAT) + CAST(beta[k] - mean[k div 6] * gamma[k] * rstd[k div 6] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.up_blocks.1.resnets.0.norm1`) AS gamma, (SELECT m[1] FROM `sqld_tiny.up_blocks.1.resnets.0.norm1`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 384, sum(CAST(s1 AS DOUBLE)) OVER item / 384, sum(CAST(s2 AS DOUBLE)) OVER item / 384, sum(CAST(s3 AS DOUBLE)) OVER item / 384, sum(CAST(s4 AS DOUBLE)) OVER item / 384, sum(CAST(s5 AS DOUBLE)) OVER item / 384, sum(CAST(s6 AS DOUBLE)) OVER item / 384, sum(CAST(s7 AS DOUBLE)) OVER item / 384) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 384, sum(CAST(q1 AS DOUBLE)) OVER item / 384, sum(CAST(q2 AS DOUBLE)) OVER item / 384, sum(CAST(q3 AS DOUBLE)) OVER item / 384, sum(CAST(q4 AS DOUBLE)) OVER item / 384, sum(CAST(q5 AS DOUBLE)) OVER item / 384, sum(CAST(q6 AS DOUBLE)) OVER item / 384, sum(CAST(q7 AS DOUBLE)) OVER item / 384) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 6), array_repeat(1.0F, 6)) AS s0, vector_inner_product(slice(v, 7, 6), array_repeat(1.0F, 6)) AS s1, vector_inner_product(slice(v, 13, 6), array_repeat(1.0F, 6)) AS s2, vector_inner_product(slice(v, 19, 6), array_repeat(1.0F, 6)) AS s3, vector_inner_product(slice(v, 25, 6), array_repeat(1.0F, 6)) AS s4, vector_inner_product(slice(v, 31, 6), array_repeat(1.0F, 6)) AS s5, vector_inner_product(slice(v, 37, 6), array_repeat(1.0F, 6)) AS s6, vector_inner_product(slice(v, 43, 6), array_repeat(1.0F, 6)) AS s7, vector_inner_product(slice(v, 1, 6), slice(v, 1, 6)) AS q0, vector_inner_product(slice(v, 7, 6), slice(v, 7, 6)) AS q1, vector_inner_product(slice(v, 13, 6), slice(v, 13, 6)) AS q2, vector_inner_product(slice(v, 19, 6), slice(v, 19, 6)) AS q3, vector_inner_product(slice(v, 25, 6), slice(v, 25, 6)) AS q4, vector_inner_product(slice(v, 31, 6), slice(v, 31, 6)) AS q5, vector_inner_product(slice(v, 37, 6), slice(v, 37, 6)) AS q6, vector_inner_product(slice(v, 43, 6), slice(v, 43, 6)) AS q7 FROM sqld_t61) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- up_blocks.1.resnets.0.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t63 AS
SELECT b, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.1.resnets.0.time_emb_proj`) AS m FROM (SELECT b, concat(v, array(1.0F)) AS v FROM sqld_t5) AS g) AS gm;

-- up_blocks.1.resnets.0.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t64 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.1.resnets.0.conv1`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 144) END, v3, CASE WHEN y < 7 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 144) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 48) END, v, CASE WHEN x < 7 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 48) END) AS v3
    FROM sqld_t62 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm
) AS c JOIN sqld_t63 e ON e.b = c.b;

-- up_blocks.1.resnets.0.norm2 (group_norm)
CREATE TEMP TABLE sqld_t65 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 2] AS FLOAT) + CAST(beta[k] - mean[k div 2] * gamma[k] * rstd[k div 2] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.up_blocks.1.resnets.0.norm2`) AS gamma, (SELECT m[1] FROM `sqld_tiny.up_blocks.1.resnets.0.norm2`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 128, sum(CAST(s1 AS DOUBLE)) OVER item / 128, sum(CAST(s2 AS DOUBLE)) OVER item / 128, sum(CAST(s3 AS DOUBLE)) OVER item / 128, sum(CAST(s4 AS DOUBLE)) OVER item / 128, sum(CAST(s5 AS DOUBLE)) OVER item / 128, sum(CAST(s6 AS DOUBLE)) OVER item / 128, sum(CAST(s7 AS DOUBLE)) OVER item / 128) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 128, sum(CAST(q1 AS DOUBLE)) OVER item / 128, sum(CAST(q2 AS DOUBLE)) OVER item / 128, sum(CAST(q3 AS DOUBLE)) OVER item / 128, sum(CAST(q4 AS DOUBLE)) OVER item / 128, sum(CAST(q5 AS DOUBLE)) OVER item / 128, sum(CAST(q6 AS DOUBLE)) OVER item / 128, sum(CAST(q7 AS DOUBLE)) OVER item / 128) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 2), array_repeat(1.0F, 2)) AS s0, vector_inner_product(slice(v, 3, 2), array_repeat(1.0F, 2)) AS s1, vector_inner_product(slice(v, 5, 2), array_repeat(1.0F, 2)) AS s2, vector_inner_product(slice(v, 7, 2), array_repeat(1.0F, 2)) AS s3, vector_inner_product(slice(v, 9, 2), array_repeat(1.0F, 2)) AS s4, vector_inner_product(slice(v, 11, 2), array_repeat(1.0F, 2)) AS s5, vector_inner_product(slice(v, 13, 2), array_repeat(1.0F, 2)) AS s6, vector_inner_product(slice(v, 15, 2), array_repeat(1.0F, 2)) AS s7, vector_inner_product(slice(v, 1, 2), slice(v, 1, 2)) AS q0, vector_inner_product(slice(v, 3, 2), slice(v, 3, 2)) AS q1, vector_inner_product(slice(v, 5, 2), slice(v, 5, 2)) AS q2, vector_inner_product(slice(v, 7, 2), slice(v, 7, 2)) AS q3, vector_inner_product(slice(v, 9, 2), slice(v, 9, 2)) AS q4, vector_inner_product(slice(v, 11, 2), slice(v, 11, 2)) AS q5, vector_inner_product(slice(v, 13, 2), slice(v, 13, 2)) AS q6, vector_inner_product(slice(v, 15, 2), slice(v, 15, 2)) AS q7 FROM sqld_t64) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- up_blocks.1.resnets.0.conv_shortcut (dense)
CREATE TEMP TABLE sqld_t66 AS
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.1.resnets.0.conv_shortcut`) AS m FROM (SELECT b, y, x, concat(v, array(1.0F)) AS v FROM sqld_t61) AS g) AS gm;

-- up_blocks.1.resnets.0.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t67 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.1.resnets.0.conv2`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 48) END, v3, CASE WHEN y < 7 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 48) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 16) END, v, CASE WHEN x < 7 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 16) END) AS v3
    FROM sqld_t65 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm
) AS c JOIN sqld_t66 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- up_blocks.1.resnets.1.concat (concat)
CREATE TEMP TABLE sqld_t68 AS
SELECT h.b, h.y, h.x, concat(h.v, s.v) AS v
FROM sqld_t67 h JOIN sqld_t7 s ON s.b = h.b AND s.y = h.y AND s.x = h.x;

-- up_blocks.1.resnets.1.norm1 (group_norm)
CREATE TEMP TABLE sqld_t69 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 4] AS FLOAT) + CAST(beta[k] - mean[k div 4] * gamma[k] * rstd[k div 4] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.up_blocks.1.resnets.1.norm1`) AS gamma, (SELECT m[1] FROM `sqld_tiny.up_blocks.1.resnets.1.norm1`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 256, sum(CAST(s1 AS DOUBLE)) OVER item / 256, sum(CAST(s2 AS DOUBLE)) OVER item / 256, sum(CAST(s3 AS DOUBLE)) OVER item / 256, sum(CAST(s4 AS DOUBLE)) OVER item / 256, sum(CAST(s5 AS DOUBLE)) OVER item / 256, sum(CAST(s6 AS DOUBLE)) OVER item / 256, sum(CAST(s7 AS DOUBLE)) OVER item / 256) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 256, sum(CAST(q1 AS DOUBLE)) OVER item / 256, sum(CAST(q2 AS DOUBLE)) OVER item / 256, sum(CAST(q3 AS DOUBLE)) OVER item / 256, sum(CAST(q4 AS DOUBLE)) OVER item / 256, sum(CAST(q5 AS DOUBLE)) OVER item / 256, sum(CAST(q6 AS DOUBLE)) OVER item / 256, sum(CAST(q7 AS DOUBLE)) OVER item / 256) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 4), array_repeat(1.0F, 4)) AS s0, vector_inner_product(slice(v, 5, 4), array_repeat(1.0F, 4)) AS s1, vector_inner_product(slice(v, 9, 4), array_repeat(1.0F, 4)) AS s2, vector_inner_product(slice(v, 13, 4), array_repeat(1.0F, 4)) AS s3, vector_inner_product(slice(v, 17, 4), array_repeat(1.0F, 4)) AS s4, vector_inner_product(slice(v, 21, 4), array_repeat(1.0F, 4)) AS s5, vector_inner_product(slice(v, 25, 4), array_repeat(1.0F, 4)) AS s6, vector_inner_product(slice(v, 29, 4), array_repeat(1.0F, 4)) AS s7, vector_inner_product(slice(v, 1, 4), slice(v, 1, 4)) AS q0, vector_inner_product(slice(v, 5, 4), slice(v, 5, 4)) AS q1, vector_inner_product(slice(v, 9, 4), slice(v, 9, 4)) AS q2, vector_inner_product(slice(v, 13, 4), slice(v, 13, 4)) AS q3, vector_inner_product(slice(v, 17, 4), slice(v, 17, 4)) AS q4, vector_inner_product(slice(v, 21, 4), slice(v, 21, 4)) AS q5, vector_inner_product(slice(v, 25, 4), slice(v, 25, 4)) AS q6, vector_inner_product(slice(v, 29, 4), slice(v, 29, 4)) AS q7 FROM sqld_t68) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- up_blocks.1.resnets.1.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t70 AS
SELECT b, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.1.resnets.1.time_emb_proj`) AS m FROM (SELECT b, concat(v, array(1.0F)) AS v FROM sqld_t5) AS g) AS gm;

-- up_blocks.1.resnets.1.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t71 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.1.resnets.1.conv1`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, v3, CASE WHEN y < 7 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 96) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 32) END, v, CASE WHEN x < 7 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 32) END) AS v3
    FROM sqld_t69 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm
) AS c JOIN sqld_t70 e ON e.b = c.b;

-- up_blocks.1.resnets.1.norm2 (group_norm)
CREATE TEMP TABLE sqld_t72 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 2] AS FLOAT) + CAST(beta[k] - mean[k div 2] * gamma[k] * rstd[k div 2] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.up_blocks.1.resnets.1.norm2`) AS gamma, (SELECT m[1] FROM `sqld_tiny.up_blocks.1.resnets.1.norm2`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 128, sum(CAST(s1 AS DOUBLE)) OVER item / 128, sum(CAST(s2 AS DOUBLE)) OVER item / 128, sum(CAST(s3 AS DOUBLE)) OVER item / 128, sum(CAST(s4 AS DOUBLE)) OVER item / 128, sum(CAST(s5 AS DOUBLE)) OVER item / 128, sum(CAST(s6 AS DOUBLE)) OVER item / 128, sum(CAST(s7 AS DOUBLE)) OVER item / 128) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 128, sum(CAST(q1 AS DOUBLE)) OVER item / 128, sum(CAST(q2 AS DOUBLE)) OVER item / 128, sum(CAST(q3 AS DOUBLE)) OVER item / 128, sum(CAST(q4 AS DOUBLE)) OVER item / 128, sum(CAST(q5 AS DOUBLE)) OVER item / 128, sum(CAST(q6 AS DOUBLE)) OVER item / 128, sum(CAST(q7 AS DOUBLE)) OVER item / 128) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 2), array_repeat(1.0F, 2)) AS s0, vector_inner_product(slice(v, 3, 2), array_repeat(1.0F, 2)) AS s1, vector_inner_product(slice(v, 5, 2), array_repeat(1.0F, 2)) AS s2, vector_inner_product(slice(v, 7, 2), array_repeat(1.0F, 2)) AS s3, vector_inner_product(slice(v, 9, 2), array_repeat(1.0F, 2)) AS s4, vector_inner_product(slice(v, 11, 2), array_repeat(1.0F, 2)) AS s5, vector_inner_product(slice(v, 13, 2), array_repeat(1.0F, 2)) AS s6, vector_inner_product(slice(v, 15, 2), array_repeat(1.0F, 2)) AS s7, vector_inner_product(slice(v, 1, 2), slice(v, 1, 2)) AS q0, vector_inner_product(slice(v, 3, 2), slice(v, 3, 2)) AS q1, vector_inner_product(slice(v, 5, 2), slice(v, 5, 2)) AS q2, vector_inner_product(slice(v, 7, 2), slice(v, 7, 2)) AS q3, vector_inner_product(slice(v, 9, 2), slice(v, 9, 2)) AS q4, vector_inner_product(slice(v, 11, 2), slice(v, 11, 2)) AS q5, vector_inner_product(slice(v, 13, 2), slice(v, 13, 2)) AS q6, vector_inner_product(slice(v, 15, 2), slice(v, 15, 2)) AS q7 FROM sqld_t71) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- up_blocks.1.resnets.1.conv_shortcut (dense)
CREATE TEMP TABLE sqld_t73 AS
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.1.resnets.1.conv_shortcut`) AS m FROM (SELECT b, y, x, concat(v, array(1.0F)) AS v FROM sqld_t68) AS g) AS gm;

-- up_blocks.1.resnets.1.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t74 AS
SELECT c.b, c.y, c.x, transform(c.v, (a, k) -> CAST(a + e.v[k] AS FLOAT)) AS v
FROM (
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.up_blocks.1.resnets.1.conv2`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 48) END, v3, CASE WHEN y < 7 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 48) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 16) END, v, CASE WHEN x < 7 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 16) END) AS v3
    FROM sqld_t72 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm
) AS c JOIN sqld_t73 e ON e.b = c.b AND e.y = c.y AND e.x = c.x;

-- conv_norm_out (group_norm)
CREATE TEMP TABLE sqld_t75 AS
SELECT b, y, x, transform(transform(v, (a, k) -> a * CAST(gamma[k] * rstd[k div 2] AS FLOAT) + CAST(beta[k] - mean[k div 2] * gamma[k] * rstd[k div 2] AS FLOAT)), z -> CAST(z / (1 + exp(-z)) AS FLOAT)) AS v FROM (
  SELECT b, y, x, v, mean, zip_with(msq, mean, (q, m) -> 1 / sqrt(greatest(q - m * m, 0) + 1e-05)) AS rstd,
         (SELECT m[0] FROM `sqld_tiny.conv_norm_out`) AS gamma, (SELECT m[1] FROM `sqld_tiny.conv_norm_out`) AS beta FROM (
    SELECT b, y, x, v, array(sum(CAST(s0 AS DOUBLE)) OVER item / 128, sum(CAST(s1 AS DOUBLE)) OVER item / 128, sum(CAST(s2 AS DOUBLE)) OVER item / 128, sum(CAST(s3 AS DOUBLE)) OVER item / 128, sum(CAST(s4 AS DOUBLE)) OVER item / 128, sum(CAST(s5 AS DOUBLE)) OVER item / 128, sum(CAST(s6 AS DOUBLE)) OVER item / 128, sum(CAST(s7 AS DOUBLE)) OVER item / 128) AS mean, array(sum(CAST(q0 AS DOUBLE)) OVER item / 128, sum(CAST(q1 AS DOUBLE)) OVER item / 128, sum(CAST(q2 AS DOUBLE)) OVER item / 128, sum(CAST(q3 AS DOUBLE)) OVER item / 128, sum(CAST(q4 AS DOUBLE)) OVER item / 128, sum(CAST(q5 AS DOUBLE)) OVER item / 128, sum(CAST(q6 AS DOUBLE)) OVER item / 128, sum(CAST(q7 AS DOUBLE)) OVER item / 128) AS msq FROM (
      SELECT b, y, x, v, vector_inner_product(slice(v, 1, 2), array_repeat(1.0F, 2)) AS s0, vector_inner_product(slice(v, 3, 2), array_repeat(1.0F, 2)) AS s1, vector_inner_product(slice(v, 5, 2), array_repeat(1.0F, 2)) AS s2, vector_inner_product(slice(v, 7, 2), array_repeat(1.0F, 2)) AS s3, vector_inner_product(slice(v, 9, 2), array_repeat(1.0F, 2)) AS s4, vector_inner_product(slice(v, 11, 2), array_repeat(1.0F, 2)) AS s5, vector_inner_product(slice(v, 13, 2), array_repeat(1.0F, 2)) AS s6, vector_inner_product(slice(v, 15, 2), array_repeat(1.0F, 2)) AS s7, vector_inner_product(slice(v, 1, 2), slice(v, 1, 2)) AS q0, vector_inner_product(slice(v, 3, 2), slice(v, 3, 2)) AS q1, vector_inner_product(slice(v, 5, 2), slice(v, 5, 2)) AS q2, vector_inner_product(slice(v, 7, 2), slice(v, 7, 2)) AS q3, vector_inner_product(slice(v, 9, 2), slice(v, 9, 2)) AS q4, vector_inner_product(slice(v, 11, 2), slice(v, 11, 2)) AS q5, vector_inner_product(slice(v, 13, 2), slice(v, 13, 2)) AS q6, vector_inner_product(slice(v, 15, 2), slice(v, 15, 2)) AS q7 FROM sqld_t74) AS p
    WINDOW item AS (PARTITION BY b)) AS t) AS u;

-- conv_out (conv3x3)
CREATE TEMP TABLE sqld_t76 AS
SELECT b, y, x, transform(m, r -> vector_inner_product(r, v)) AS v FROM (SELECT g.*, (SELECT m FROM `sqld_tiny.conv_out`) AS m FROM (SELECT b, y, x, concat(CASE WHEN y > 0 THEN lag(v3, 1) OVER c ELSE array_repeat(0.0F, 48) END, v3, CASE WHEN y < 7 THEN lead(v3, 1) OVER c ELSE array_repeat(0.0F, 48) END, array(1.0F)) AS v
  FROM (SELECT b, y, x, concat(CASE WHEN x > 0 THEN lag(v, 1) OVER r ELSE array_repeat(0.0F, 16) END, v, CASE WHEN x < 7 THEN lead(v, 1) OVER r ELSE array_repeat(0.0F, 16) END) AS v3
    FROM sqld_t75 WINDOW r AS (PARTITION BY b, y ORDER BY x)) AS across WINDOW c AS (PARTITION BY b, x ORDER BY y)) AS g) AS gm;

-- the timesteps relation
SELECT b, t FROM (VALUES (0, 9.0D), (1, 4.5D)) AS v(b, t);

-- the schedule
SELECT s::INTEGER AS t, (exp(sum(ln((1 - (CASE WHEN s < 5 THEN 0.0001::FLOAT::DOUBLE + ((0.02::FLOAT - 0.0001::FLOAT)::FLOAT / 9)::FLOAT::DOUBLE * s ELSE 0.02::FLOAT::DOUBLE - ((0.02::FLOAT - 0.0001::FLOAT)::FLOAT / 9)::FLOAT::DOUBLE * (9 - s) END)::FLOAT)::FLOAT)) OVER (ORDER BY s))::FLOAT)::DOUBLE AS alpha_bar
FROM (SELECT CAST(id AS INT) AS s FROM range(10)) AS r_s;

-- x_T: noise of seed 7, stream 0
SELECT (bb)::INTEGER AS b, (yy)::INTEGER AS y, (xx)::INTEGER AS x, transform(transform(sequence(0, 2), ch -> xxhash64(7L, ((bb::BIGINT * 65536 + 0) * 64 + yy * 8 + xx) * 3 + ch)),
          hb -> CAST(sqrt(-2 * ln(((shiftrightunsigned(hb, 32) + 1) / 4294967296.0D))) * cos(2 * pi() * ((hb & 4294967295L) / 4294967296.0D)) AS FLOAT)) AS v
FROM (SELECT CAST(id AS INT) AS bb FROM range(2)) AS r_bb, (SELECT CAST(id AS INT) AS yy FROM range(8)) AS r_yy, (SELECT CAST(id AS INT) AS xx FROM range(8)) AS r_xx;

-- a DDPM step's coefficients, 9 -> 4
SELECT sqrt(abar_t) AS sa, sqrt(1 - abar_t) AS sb, sqrt(abar_p) * (1 - abar_t / abar_p) / (1 - abar_t) AS p, sqrt(abar_t / abar_p) * (1 - abar_p) / (1 - abar_t) AS q, 0.0 AS r, sqrt(greatest((1 - abar_p) / (1 - abar_t) * (1 - abar_t / abar_p), 1e-20)) AS sigma
FROM (SELECT (SELECT alpha_bar FROM sqld_schedule WHERE t = 9) AS abar_t,
       COALESCE((SELECT alpha_bar FROM sqld_schedule WHERE t = 4), 1.0) AS abar_p) AS a;

-- the sampler step
SELECT s.b, s.y, s.x, transform(s.v, (a, k) -> CAST(c.p * greatest(-1.0, least(1.0, (a - c.sb * e.v[k]) / c.sa)) + c.q * a + c.r * e.v[k] + c.sigma * n.v[k] AS FLOAT)) AS v
FROM sqld_sample s JOIN sqld_eps e ON e.b = s.b AND e.y = s.y AND e.x = s.x
JOIN sqld_noise n ON n.b = s.b AND n.y = s.y AND n.x = s.x
CROSS JOIN sqld_step c;

-- a picture noised (image-to-image, RePaint's undo)
SELECT x.b, x.y, x.x, transform(x.v, (a, k) -> CAST(c.sa * a + c.sb * n.v[k] AS FLOAT)) AS v
FROM sqld_image x JOIN sqld_noise n ON n.b = x.b AND n.y = x.y AND n.x = x.x
CROSS JOIN sqld_step c;

-- a RePaint step
SELECT s.b, s.y, s.x, transform(s.v, (a, k) -> CAST(m.v[k] * (c.ka * o.v[k] + c.kb * n.v[k]) + (1 - m.v[k]) * (c.p * greatest(-1.0, least(1.0, (a - c.sb * e.v[k]) / c.sa)) + c.q * a + c.r * e.v[k] + c.sigma * n.v[k]) AS FLOAT)) AS v
FROM sqld_sample s JOIN sqld_eps e ON e.b = s.b AND e.y = s.y AND e.x = s.x
JOIN sqld_noise n ON n.b = s.b AND n.y = s.y AND n.x = s.x
JOIN sqld_image o ON o.b = s.b AND o.y = s.y AND o.x = s.x
JOIN sqld_mask m ON m.b = s.b AND m.y = s.y AND m.x = s.x
CROSS JOIN sqld_step c;

-- two noises interpolated on the sphere
WITH s AS (SELECT sum(aggregate(zip_with(za.v, zb.v, (p, q) -> CAST(p AS DOUBLE) * q), 0D, (acc, z) -> acc + z)) AS ab, sum(aggregate(zip_with(za.v, za.v, (p, q) -> CAST(p AS DOUBLE) * q), 0D, (acc, z) -> acc + z)) AS aa, sum(aggregate(zip_with(zb.v, zb.v, (p, q) -> CAST(p AS DOUBLE) * q), 0D, (acc, z) -> acc + z)) AS bb
  FROM sqld_from za JOIN sqld_to zb ON zb.b = za.b AND zb.y = za.y AND zb.x = za.x),
a AS (SELECT acos(greatest(-1.0, least(1.0, ab / sqrt(aa * bb)))) AS theta FROM s),
w AS (SELECT f, CASE WHEN theta < 1e-6 THEN 1 - ((f)::DOUBLE / 3) ELSE sin((1 - ((f)::DOUBLE / 3)) * theta) / sin(theta) END AS ca,
             CASE WHEN theta < 1e-6 THEN ((f)::DOUBLE / 3) ELSE sin(((f)::DOUBLE / 3) * theta) / sin(theta) END AS cb
      FROM a, (SELECT CAST(id AS INT) AS f FROM range(4)) AS r_f)
SELECT (w.f)::INTEGER AS b, za.y, za.x, transform(za.v, (a, k) -> CAST(w.ca * a + w.cb * zb.v[k] AS FLOAT)) AS v
FROM sqld_from za JOIN sqld_to zb ON zb.b = za.b AND zb.y = za.y AND zb.x = za.x CROSS JOIN w;
