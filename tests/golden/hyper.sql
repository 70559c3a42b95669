-- hyper: one UNet pass of the tiny test model at 8x8, then the sampler's SQL

-- time_proj (time_proj)
CREATE TEMP TABLE sqld_t1 AS
SELECT b, array[cos((t::REAL * exp(((-9.210340371976184::REAL * 0::REAL)::REAL / 8::REAL)::REAL)::REAL)::REAL)::REAL, cos((t::REAL * exp(((-9.210340371976184::REAL * 1::REAL)::REAL / 8::REAL)::REAL)::REAL)::REAL)::REAL, cos((t::REAL * exp(((-9.210340371976184::REAL * 2::REAL)::REAL / 8::REAL)::REAL)::REAL)::REAL)::REAL, cos((t::REAL * exp(((-9.210340371976184::REAL * 3::REAL)::REAL / 8::REAL)::REAL)::REAL)::REAL)::REAL, cos((t::REAL * exp(((-9.210340371976184::REAL * 4::REAL)::REAL / 8::REAL)::REAL)::REAL)::REAL)::REAL, cos((t::REAL * exp(((-9.210340371976184::REAL * 5::REAL)::REAL / 8::REAL)::REAL)::REAL)::REAL)::REAL, cos((t::REAL * exp(((-9.210340371976184::REAL * 6::REAL)::REAL / 8::REAL)::REAL)::REAL)::REAL)::REAL, cos((t::REAL * exp(((-9.210340371976184::REAL * 7::REAL)::REAL / 8::REAL)::REAL)::REAL)::REAL)::REAL, sin((t::REAL * exp(((-9.210340371976184::REAL * 0::REAL)::REAL / 8::REAL)::REAL)::REAL)::REAL)::REAL, sin((t::REAL * exp(((-9.210340371976184::REAL * 1::REAL)::REAL / 8::REAL)::REAL)::REAL)::REAL)::REAL, sin((t::REAL * exp(((-9.210340371976184::REAL * 2::REAL)::REAL / 8::REAL)::REAL)::REAL)::REAL)::REAL, sin((t::REAL * exp(((-9.210340371976184::REAL * 3::REAL)::REAL / 8::REAL)::REAL)::REAL)::REAL)::REAL, sin((t::REAL * exp(((-9.210340371976184::REAL * 4::REAL)::REAL / 8::REAL)::REAL)::REAL)::REAL)::REAL, sin((t::REAL * exp(((-9.210340371976184::REAL * 5::REAL)::REAL / 8::REAL)::REAL)::REAL)::REAL)::REAL, sin((t::REAL * exp(((-9.210340371976184::REAL * 6::REAL)::REAL / 8::REAL)::REAL)::REAL)::REAL)::REAL, sin((t::REAL * exp(((-9.210340371976184::REAL * 7::REAL)::REAL / 8::REAL)::REAL)::REAL)::REAL)::REAL] AS v FROM sqld_timesteps;

-- time_embedding.linear_1 (dense)
CREATE TEMP TABLE sqld_t2 AS
SELECT p.b, array_agg(a ORDER BY p.o, t) AS v
FROM (
SELECT g.b, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL, dot_product(g.v, w.w16)::REAL, dot_product(g.v, w.w17)::REAL, dot_product(g.v, w.w18)::REAL, dot_product(g.v, w.w19)::REAL, dot_product(g.v, w.w20)::REAL, dot_product(g.v, w.w21)::REAL, dot_product(g.v, w.w22)::REAL, dot_product(g.v, w.w23)::REAL, dot_product(g.v, w.w24)::REAL, dot_product(g.v, w.w25)::REAL, dot_product(g.v, w.w26)::REAL, dot_product(g.v, w.w27)::REAL, dot_product(g.v, w.w28)::REAL, dot_product(g.v, w.w29)::REAL, dot_product(g.v, w.w30)::REAL, dot_product(g.v, w.w31)::REAL] AS v
FROM (SELECT b, v || array[1::REAL] AS v FROM sqld_t1) AS g CROSS JOIN "sqld_tiny.time_embedding.linear_1" AS w
) AS p, unnest(p.v) WITH ORDINALITY AS u(a, t)
GROUP BY p.b;

-- time_embedding.act (silu)
CREATE TEMP TABLE sqld_t3 AS
SELECT x.b, array[(((x.v[1]) / (1 + exp(-(x.v[1]))))::REAL), (((x.v[2]) / (1 + exp(-(x.v[2]))))::REAL), (((x.v[3]) / (1 + exp(-(x.v[3]))))::REAL), (((x.v[4]) / (1 + exp(-(x.v[4]))))::REAL), (((x.v[5]) / (1 + exp(-(x.v[5]))))::REAL), (((x.v[6]) / (1 + exp(-(x.v[6]))))::REAL), (((x.v[7]) / (1 + exp(-(x.v[7]))))::REAL), (((x.v[8]) / (1 + exp(-(x.v[8]))))::REAL), (((x.v[9]) / (1 + exp(-(x.v[9]))))::REAL), (((x.v[10]) / (1 + exp(-(x.v[10]))))::REAL), (((x.v[11]) / (1 + exp(-(x.v[11]))))::REAL), (((x.v[12]) / (1 + exp(-(x.v[12]))))::REAL), (((x.v[13]) / (1 + exp(-(x.v[13]))))::REAL), (((x.v[14]) / (1 + exp(-(x.v[14]))))::REAL), (((x.v[15]) / (1 + exp(-(x.v[15]))))::REAL), (((x.v[16]) / (1 + exp(-(x.v[16]))))::REAL), (((x.v[17]) / (1 + exp(-(x.v[17]))))::REAL), (((x.v[18]) / (1 + exp(-(x.v[18]))))::REAL), (((x.v[19]) / (1 + exp(-(x.v[19]))))::REAL), (((x.v[20]) / (1 + exp(-(x.v[20]))))::REAL), (((x.v[21]) / (1 + exp(-(x.v[21]))))::REAL), (((x.v[22]) / (1 + exp(-(x.v[22]))))::REAL), (((x.v[23]) / (1 + exp(-(x.v[23]))))::REAL), (((x.v[24]) / (1 + exp(-(x.v[24]))))::REAL), (((x.v[25]) / (1 + exp(-(x.v[25]))))::REAL), (((x.v[26]) / (1 + exp(-(x.v[26]))))::REAL), (((x.v[27]) / (1 + exp(-(x.v[27]))))::REAL), (((x.v[28]) / (1 + exp(-(x.v[28]))))::REAL), (((x.v[29]) / (1 + exp(-(x.v[29]))))::REAL), (((x.v[30]) / (1 + exp(-(x.v[30]))))::REAL), (((x.v[31]) / (1 + exp(-(x.v[31]))))::REAL), (((x.v[32]) / (1 + exp(-(x.v[32]))))::REAL), (((x.v[33]) / (1 + exp(-(x.v[33]))))::REAL), (((x.v[34]) / (1 + exp(-(x.v[34]))))::REAL), (((x.v[35]) / (1 + exp(-(x.v[35]))))::REAL), (((x.v[36]) / (1 + exp(-(x.v[36]))))::REAL), (((x.v[37]) / (1 + exp(-(x.v[37]))))::REAL), (((x.v[38]) / (1 + exp(-(x.v[38]))))::REAL), (((x.v[39]) / (1 + exp(-(x.v[39]))))::REAL), (((x.v[40]) / (1 + exp(-(x.v[40]))))::REAL), (((x.v[41]) / (1 + exp(-(x.v[41]))))::REAL), (((x.v[42]) / (1 + exp(-(x.v[42]))))::REAL), (((x.v[43]) / (1 + exp(-(x.v[43]))))::REAL), (((x.v[44]) / (1 + exp(-(x.v[44]))))::REAL), (((x.v[45]) / (1 + exp(-(x.v[45]))))::REAL), (((x.v[46]) / (1 + exp(-(x.v[46]))))::REAL), (((x.v[47]) / (1 + exp(-(x.v[47]))))::REAL), (((x.v[48]) / (1 + exp(-(x.v[48]))))::REAL), (((x.v[49]) / (1 + exp(-(x.v[49]))))::REAL), (((x.v[50]) / (1 + exp(-(x.v[50]))))::REAL), (((x.v[51]) / (1 + exp(-(x.v[51]))))::REAL), (((x.v[52]) / (1 + exp(-(x.v[52]))))::REAL), (((x.v[53]) / (1 + exp(-(x.v[53]))))::REAL), (((x.v[54]) / (1 + exp(-(x.v[54]))))::REAL), (((x.v[55]) / (1 + exp(-(x.v[55]))))::REAL), (((x.v[56]) / (1 + exp(-(x.v[56]))))::REAL), (((x.v[57]) / (1 + exp(-(x.v[57]))))::REAL), (((x.v[58]) / (1 + exp(-(x.v[58]))))::REAL), (((x.v[59]) / (1 + exp(-(x.v[59]))))::REAL), (((x.v[60]) / (1 + exp(-(x.v[60]))))::REAL), (((x.v[61]) / (1 + exp(-(x.v[61]))))::REAL), (((x.v[62]) / (1 + exp(-(x.v[62]))))::REAL), (((x.v[63]) / (1 + exp(-(x.v[63]))))::REAL), (((x.v[64]) / (1 + exp(-(x.v[64]))))::REAL)] AS v FROM sqld_t2 x;

-- time_embedding.linear_2 (dense)
CREATE TEMP TABLE sqld_t4 AS
SELECT p.b, array_agg(a ORDER BY p.o, t) AS v
FROM (
SELECT g.b, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL, dot_product(g.v, w.w16)::REAL, dot_product(g.v, w.w17)::REAL, dot_product(g.v, w.w18)::REAL, dot_product(g.v, w.w19)::REAL, dot_product(g.v, w.w20)::REAL, dot_product(g.v, w.w21)::REAL, dot_product(g.v, w.w22)::REAL, dot_product(g.v, w.w23)::REAL, dot_product(g.v, w.w24)::REAL, dot_product(g.v, w.w25)::REAL, dot_product(g.v, w.w26)::REAL, dot_product(g.v, w.w27)::REAL, dot_product(g.v, w.w28)::REAL, dot_product(g.v, w.w29)::REAL, dot_product(g.v, w.w30)::REAL, dot_product(g.v, w.w31)::REAL] AS v
FROM (SELECT b, v || array[1::REAL] AS v FROM sqld_t3) AS g CROSS JOIN "sqld_tiny.time_embedding.linear_2" AS w
) AS p, unnest(p.v) WITH ORDINALITY AS u(a, t)
GROUP BY p.b;

-- time_embedding.silu (silu)
CREATE TEMP TABLE sqld_t5 AS
SELECT x.b, array[(((x.v[1]) / (1 + exp(-(x.v[1]))))::REAL), (((x.v[2]) / (1 + exp(-(x.v[2]))))::REAL), (((x.v[3]) / (1 + exp(-(x.v[3]))))::REAL), (((x.v[4]) / (1 + exp(-(x.v[4]))))::REAL), (((x.v[5]) / (1 + exp(-(x.v[5]))))::REAL), (((x.v[6]) / (1 + exp(-(x.v[6]))))::REAL), (((x.v[7]) / (1 + exp(-(x.v[7]))))::REAL), (((x.v[8]) / (1 + exp(-(x.v[8]))))::REAL), (((x.v[9]) / (1 + exp(-(x.v[9]))))::REAL), (((x.v[10]) / (1 + exp(-(x.v[10]))))::REAL), (((x.v[11]) / (1 + exp(-(x.v[11]))))::REAL), (((x.v[12]) / (1 + exp(-(x.v[12]))))::REAL), (((x.v[13]) / (1 + exp(-(x.v[13]))))::REAL), (((x.v[14]) / (1 + exp(-(x.v[14]))))::REAL), (((x.v[15]) / (1 + exp(-(x.v[15]))))::REAL), (((x.v[16]) / (1 + exp(-(x.v[16]))))::REAL), (((x.v[17]) / (1 + exp(-(x.v[17]))))::REAL), (((x.v[18]) / (1 + exp(-(x.v[18]))))::REAL), (((x.v[19]) / (1 + exp(-(x.v[19]))))::REAL), (((x.v[20]) / (1 + exp(-(x.v[20]))))::REAL), (((x.v[21]) / (1 + exp(-(x.v[21]))))::REAL), (((x.v[22]) / (1 + exp(-(x.v[22]))))::REAL), (((x.v[23]) / (1 + exp(-(x.v[23]))))::REAL), (((x.v[24]) / (1 + exp(-(x.v[24]))))::REAL), (((x.v[25]) / (1 + exp(-(x.v[25]))))::REAL), (((x.v[26]) / (1 + exp(-(x.v[26]))))::REAL), (((x.v[27]) / (1 + exp(-(x.v[27]))))::REAL), (((x.v[28]) / (1 + exp(-(x.v[28]))))::REAL), (((x.v[29]) / (1 + exp(-(x.v[29]))))::REAL), (((x.v[30]) / (1 + exp(-(x.v[30]))))::REAL), (((x.v[31]) / (1 + exp(-(x.v[31]))))::REAL), (((x.v[32]) / (1 + exp(-(x.v[32]))))::REAL), (((x.v[33]) / (1 + exp(-(x.v[33]))))::REAL), (((x.v[34]) / (1 + exp(-(x.v[34]))))::REAL), (((x.v[35]) / (1 + exp(-(x.v[35]))))::REAL), (((x.v[36]) / (1 + exp(-(x.v[36]))))::REAL), (((x.v[37]) / (1 + exp(-(x.v[37]))))::REAL), (((x.v[38]) / (1 + exp(-(x.v[38]))))::REAL), (((x.v[39]) / (1 + exp(-(x.v[39]))))::REAL), (((x.v[40]) / (1 + exp(-(x.v[40]))))::REAL), (((x.v[41]) / (1 + exp(-(x.v[41]))))::REAL), (((x.v[42]) / (1 + exp(-(x.v[42]))))::REAL), (((x.v[43]) / (1 + exp(-(x.v[43]))))::REAL), (((x.v[44]) / (1 + exp(-(x.v[44]))))::REAL), (((x.v[45]) / (1 + exp(-(x.v[45]))))::REAL), (((x.v[46]) / (1 + exp(-(x.v[46]))))::REAL), (((x.v[47]) / (1 + exp(-(x.v[47]))))::REAL), (((x.v[48]) / (1 + exp(-(x.v[48]))))::REAL), (((x.v[49]) / (1 + exp(-(x.v[49]))))::REAL), (((x.v[50]) / (1 + exp(-(x.v[50]))))::REAL), (((x.v[51]) / (1 + exp(-(x.v[51]))))::REAL), (((x.v[52]) / (1 + exp(-(x.v[52]))))::REAL), (((x.v[53]) / (1 + exp(-(x.v[53]))))::REAL), (((x.v[54]) / (1 + exp(-(x.v[54]))))::REAL), (((x.v[55]) / (1 + exp(-(x.v[55]))))::REAL), (((x.v[56]) / (1 + exp(-(x.v[56]))))::REAL), (((x.v[57]) / (1 + exp(-(x.v[57]))))::REAL), (((x.v[58]) / (1 + exp(-(x.v[58]))))::REAL), (((x.v[59]) / (1 + exp(-(x.v[59]))))::REAL), (((x.v[60]) / (1 + exp(-(x.v[60]))))::REAL), (((x.v[61]) / (1 + exp(-(x.v[61]))))::REAL), (((x.v[62]) / (1 + exp(-(x.v[62]))))::REAL), (((x.v[63]) / (1 + exp(-(x.v[63]))))::REAL), (((x.v[64]) / (1 + exp(-(x.v[64]))))::REAL)] AS v FROM sqld_t4 x;

-- conv_in (conv3x3)
CREATE TEMP TABLE sqld_t7 AS
SELECT g.b, g.y, g.x, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 9) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 7 THEN lag(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 7 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x > 0 THEN lead(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 THEN lead(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x < 7 THEN lead(s.v, 9) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_sample AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 2) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g CROSS JOIN "sqld_tiny.conv_in" AS w;

-- down_blocks.0.resnets.0.norm1 (group_norm)
CREATE TEMP TABLE sqld_t8 AS
WITH sl AS (SELECT s.b, g, s.v[g * 2 + 1 : g * 2 + 2] AS sl
            FROM sqld_t7 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL])::DOUBLE PRECISION) / 128 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 128 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.down_blocks.0.resnets.0.norm1" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.down_blocks.0.resnets.0.norm1" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 2 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t7 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- down_blocks.0.resnets.0.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t9 AS
SELECT g.b, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL] AS v
FROM (SELECT b, v || array[1::REAL] AS v FROM sqld_t5) AS g CROSS JOIN "sqld_tiny.down_blocks.0.resnets.0.time_emb_proj" AS w;

-- down_blocks.0.resnets.0.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t10 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 16 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 16 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 16 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 16 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 16 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 16 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 16 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 16 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 16 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 16 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 16 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 16 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 16 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 16 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 16 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 16 + 16])::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 9) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 7 THEN lag(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 7 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x > 0 THEN lead(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 THEN lead(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x < 7 THEN lead(s.v, 9) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t8 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 15) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g JOIN sqld_t9 AS e ON e.b = g.b CROSS JOIN "sqld_tiny.down_blocks.0.resnets.0.conv1" AS w;

-- down_blocks.0.resnets.0.norm2 (group_norm)
CREATE TEMP TABLE sqld_t11 AS
WITH sl AS (SELECT s.b, g, s.v[g * 2 + 1 : g * 2 + 2] AS sl
            FROM sqld_t10 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL])::DOUBLE PRECISION) / 128 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 128 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.down_blocks.0.resnets.0.norm2" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.down_blocks.0.resnets.0.norm2" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 2 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t10 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- down_blocks.0.resnets.0.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t12 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 16 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 16 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 16 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 16 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 16 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 16 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 16 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 16 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 16 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 16 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 16 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 16 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 16 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 16 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 16 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 16 + 16])::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 9) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 7 THEN lag(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 7 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x > 0 THEN lead(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 THEN lead(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x < 7 THEN lead(s.v, 9) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t11 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 15) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g JOIN sqld_t7 AS e ON e.b = g.b AND e.y = g.y AND e.x = g.x CROSS JOIN "sqld_tiny.down_blocks.0.resnets.0.conv2" AS w;

-- down_blocks.0.downsamplers.0.conv (conv3x3)
CREATE TEMP TABLE sqld_t13 AS
SELECT g.b, g.y, g.x, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL] AS v
FROM (SELECT b, y / 2 AS y, x / 2 AS x, v FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 9) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 7 THEN lag(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 7 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x > 0 THEN lead(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 THEN lead(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x < 7 THEN lead(s.v, 9) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t12 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 15) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g WHERE y % 2 = 0 AND x % 2 = 0) AS g CROSS JOIN "sqld_tiny.down_blocks.0.downsamplers.0.conv" AS w;

-- down_blocks.1.resnets.0.norm1 (group_norm)
CREATE TEMP TABLE sqld_t14 AS
WITH sl AS (SELECT s.b, g, s.v[g * 2 + 1 : g * 2 + 2] AS sl
            FROM sqld_t13 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL])::DOUBLE PRECISION) / 32 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 32 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.down_blocks.1.resnets.0.norm1" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.down_blocks.1.resnets.0.norm1" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 2 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t13 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- down_blocks.1.resnets.0.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t15 AS
SELECT g.b, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL, dot_product(g.v, w.w16)::REAL, dot_product(g.v, w.w17)::REAL, dot_product(g.v, w.w18)::REAL, dot_product(g.v, w.w19)::REAL, dot_product(g.v, w.w20)::REAL, dot_product(g.v, w.w21)::REAL, dot_product(g.v, w.w22)::REAL, dot_product(g.v, w.w23)::REAL, dot_product(g.v, w.w24)::REAL, dot_product(g.v, w.w25)::REAL, dot_product(g.v, w.w26)::REAL, dot_product(g.v, w.w27)::REAL, dot_product(g.v, w.w28)::REAL, dot_product(g.v, w.w29)::REAL, dot_product(g.v, w.w30)::REAL, dot_product(g.v, w.w31)::REAL] AS v
FROM (SELECT b, v || array[1::REAL] AS v FROM sqld_t5) AS g CROSS JOIN "sqld_tiny.down_blocks.1.resnets.0.time_emb_proj" AS w;

-- down_blocks.1.resnets.0.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t16 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 32 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 32 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 32 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 32 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 32 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 32 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 32 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 32 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 32 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 32 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 32 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 32 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 32 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 32 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 32 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 32 + 16])::REAL, (dot_product(g.v, w.w16)::REAL + e.v[w.o * 32 + 17])::REAL, (dot_product(g.v, w.w17)::REAL + e.v[w.o * 32 + 18])::REAL, (dot_product(g.v, w.w18)::REAL + e.v[w.o * 32 + 19])::REAL, (dot_product(g.v, w.w19)::REAL + e.v[w.o * 32 + 20])::REAL, (dot_product(g.v, w.w20)::REAL + e.v[w.o * 32 + 21])::REAL, (dot_product(g.v, w.w21)::REAL + e.v[w.o * 32 + 22])::REAL, (dot_product(g.v, w.w22)::REAL + e.v[w.o * 32 + 23])::REAL, (dot_product(g.v, w.w23)::REAL + e.v[w.o * 32 + 24])::REAL, (dot_product(g.v, w.w24)::REAL + e.v[w.o * 32 + 25])::REAL, (dot_product(g.v, w.w25)::REAL + e.v[w.o * 32 + 26])::REAL, (dot_product(g.v, w.w26)::REAL + e.v[w.o * 32 + 27])::REAL, (dot_product(g.v, w.w27)::REAL + e.v[w.o * 32 + 28])::REAL, (dot_product(g.v, w.w28)::REAL + e.v[w.o * 32 + 29])::REAL, (dot_product(g.v, w.w29)::REAL + e.v[w.o * 32 + 30])::REAL, (dot_product(g.v, w.w30)::REAL + e.v[w.o * 32 + 31])::REAL, (dot_product(g.v, w.w31)::REAL + e.v[w.o * 32 + 32])::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 5) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 3 THEN lag(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 3 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x > 0 THEN lead(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 THEN lead(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x < 3 THEN lead(s.v, 5) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t14 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 15) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g JOIN sqld_t15 AS e ON e.b = g.b CROSS JOIN "sqld_tiny.down_blocks.1.resnets.0.conv1" AS w;

-- down_blocks.1.resnets.0.norm2 (group_norm)
CREATE TEMP TABLE sqld_t17 AS
WITH sl AS (SELECT s.b, g, s.v[g * 4 + 1 : g * 4 + 4] AS sl
            FROM sqld_t16 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL, 1::REAL, 1::REAL])::DOUBLE PRECISION) / 64 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 64 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.down_blocks.1.resnets.0.norm2" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.down_blocks.1.resnets.0.norm2" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 4 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t16 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- down_blocks.1.resnets.0.conv_shortcut (dense)
CREATE TEMP TABLE sqld_t18 AS
SELECT g.b, g.y, g.x, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL, dot_product(g.v, w.w16)::REAL, dot_product(g.v, w.w17)::REAL, dot_product(g.v, w.w18)::REAL, dot_product(g.v, w.w19)::REAL, dot_product(g.v, w.w20)::REAL, dot_product(g.v, w.w21)::REAL, dot_product(g.v, w.w22)::REAL, dot_product(g.v, w.w23)::REAL, dot_product(g.v, w.w24)::REAL, dot_product(g.v, w.w25)::REAL, dot_product(g.v, w.w26)::REAL, dot_product(g.v, w.w27)::REAL, dot_product(g.v, w.w28)::REAL, dot_product(g.v, w.w29)::REAL, dot_product(g.v, w.w30)::REAL, dot_product(g.v, w.w31)::REAL] AS v
FROM (SELECT b, y, x, v || array[1::REAL] AS v FROM sqld_t13) AS g CROSS JOIN "sqld_tiny.down_blocks.1.resnets.0.conv_shortcut" AS w;

-- down_blocks.1.resnets.0.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t19 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 32 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 32 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 32 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 32 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 32 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 32 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 32 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 32 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 32 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 32 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 32 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 32 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 32 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 32 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 32 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 32 + 16])::REAL, (dot_product(g.v, w.w16)::REAL + e.v[w.o * 32 + 17])::REAL, (dot_product(g.v, w.w17)::REAL + e.v[w.o * 32 + 18])::REAL, (dot_product(g.v, w.w18)::REAL + e.v[w.o * 32 + 19])::REAL, (dot_product(g.v, w.w19)::REAL + e.v[w.o * 32 + 20])::REAL, (dot_product(g.v, w.w20)::REAL + e.v[w.o * 32 + 21])::REAL, (dot_product(g.v, w.w21)::REAL + e.v[w.o * 32 + 22])::REAL, (dot_product(g.v, w.w22)::REAL + e.v[w.o * 32 + 23])::REAL, (dot_product(g.v, w.w23)::REAL + e.v[w.o * 32 + 24])::REAL, (dot_product(g.v, w.w24)::REAL + e.v[w.o * 32 + 25])::REAL, (dot_product(g.v, w.w25)::REAL + e.v[w.o * 32 + 26])::REAL, (dot_product(g.v, w.w26)::REAL + e.v[w.o * 32 + 27])::REAL, (dot_product(g.v, w.w27)::REAL + e.v[w.o * 32 + 28])::REAL, (dot_product(g.v, w.w28)::REAL + e.v[w.o * 32 + 29])::REAL, (dot_product(g.v, w.w29)::REAL + e.v[w.o * 32 + 30])::REAL, (dot_product(g.v, w.w30)::REAL + e.v[w.o * 32 + 31])::REAL, (dot_product(g.v, w.w31)::REAL + e.v[w.o * 32 + 32])::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 5) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 3 THEN lag(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 3 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x > 0 THEN lead(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 THEN lead(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x < 3 THEN lead(s.v, 5) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t17 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 31) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g JOIN sqld_t18 AS e ON e.b = g.b AND e.y = g.y AND e.x = g.x CROSS JOIN "sqld_tiny.down_blocks.1.resnets.0.conv2" AS w;

-- down_blocks.1.attentions.0.group_norm (group_norm)
CREATE TEMP TABLE sqld_t20 AS
WITH sl AS (SELECT s.b, g, s.v[g * 4 + 1 : g * 4 + 4] AS sl
            FROM sqld_t19 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL, 1::REAL, 1::REAL])::DOUBLE PRECISION) / 64 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 64 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.down_blocks.1.attentions.0.group_norm" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.down_blocks.1.attentions.0.group_norm" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 4 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg((u.a * u.sc + u.sh)::REAL ORDER BY u.k) AS v
FROM sqld_t19 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- down_blocks.1.attentions.0.qkv (attention)
CREATE TEMP TABLE sqld_t21 AS
SELECT p.b, p.y, p.x, array_agg(a ORDER BY p.o, t) AS v
FROM (
SELECT g.b, g.y, g.x, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL, dot_product(g.v, w.w16)::REAL, dot_product(g.v, w.w17)::REAL, dot_product(g.v, w.w18)::REAL, dot_product(g.v, w.w19)::REAL, dot_product(g.v, w.w20)::REAL, dot_product(g.v, w.w21)::REAL, dot_product(g.v, w.w22)::REAL, dot_product(g.v, w.w23)::REAL, dot_product(g.v, w.w24)::REAL, dot_product(g.v, w.w25)::REAL, dot_product(g.v, w.w26)::REAL, dot_product(g.v, w.w27)::REAL, dot_product(g.v, w.w28)::REAL, dot_product(g.v, w.w29)::REAL, dot_product(g.v, w.w30)::REAL, dot_product(g.v, w.w31)::REAL] AS v
FROM (SELECT b, y, x, v || array[1::REAL] AS v FROM sqld_t20) AS g CROSS JOIN "sqld_tiny.down_blocks.1.attentions.0.qkv" AS w
) AS p, unnest(p.v) WITH ORDINALITY AS u(a, t)
GROUP BY p.b, p.y, p.x;

-- down_blocks.1.attentions.0.attention (attention)
CREATE TEMP TABLE sqld_t22 AS
WITH hd AS (SELECT b, y * 4 + x AS i, h, v[h * 16 + 1 : h * 16 + 16] AS q,
                   v[32 + h * 16 + 1 : 32 + h * 16 + 16] AS k,
                   v[64 + h * 16 + 1 : 64 + h * 16 + 16] AS val
            FROM sqld_t21 AS s CROSS JOIN generate_series(0, 1) AS r_h(h)),
sc AS (SELECT q.b, q.i, q.h, k.i AS j, (dot_product(q.q, k.k) * 0.25::REAL)::REAL AS s
       FROM hd AS q JOIN hd AS k ON k.b = q.b AND k.h = q.h),
mx AS (SELECT b, i, h, max(s) AS m FROM sc GROUP BY b, i, h),
ex AS (SELECT sc.b, sc.i, sc.h, sc.j, exp(sc.s - mx.m)::REAL AS e FROM sc JOIN mx ON mx.b = sc.b AND mx.i = sc.i AND mx.h = sc.h),
e AS (SELECT b, i, h, array_agg(e ORDER BY j) AS e, sum(e::DOUBLE PRECISION) AS total FROM ex GROUP BY b, i, h),
vt AS (SELECT b, h, array_agg(val[1] ORDER BY i) AS t0, array_agg(val[2] ORDER BY i) AS t1, array_agg(val[3] ORDER BY i) AS t2, array_agg(val[4] ORDER BY i) AS t3, array_agg(val[5] ORDER BY i) AS t4, array_agg(val[6] ORDER BY i) AS t5, array_agg(val[7] ORDER BY i) AS t6, array_agg(val[8] ORDER BY i) AS t7, array_agg(val[9] ORDER BY i) AS t8, array_agg(val[10] ORDER BY i) AS t9, array_agg(val[11] ORDER BY i) AS t10, array_agg(val[12] ORDER BY i) AS t11, array_agg(val[13] ORDER BY i) AS t12, array_agg(val[14] ORDER BY i) AS t13, array_agg(val[15] ORDER BY i) AS t14, array_agg(val[16] ORDER BY i) AS t15 FROM hd GROUP BY b, h),
o AS (SELECT e.b, e.i / 4 AS y, e.i % 4 AS x, e.h, array[(dot_product(e.e, vt.t0) / e.total)::REAL, (dot_product(e.e, vt.t1) / e.total)::REAL, (dot_product(e.e, vt.t2) / e.total)::REAL, (dot_product(e.e, vt.t3) / e.total)::REAL, (dot_product(e.e, vt.t4) / e.total)::REAL, (dot_product(e.e, vt.t5) / e.total)::REAL, (dot_product(e.e, vt.t6) / e.total)::REAL, (dot_product(e.e, vt.t7) / e.total)::REAL, (dot_product(e.e, vt.t8) / e.total)::REAL, (dot_product(e.e, vt.t9) / e.total)::REAL, (dot_product(e.e, vt.t10) / e.total)::REAL, (dot_product(e.e, vt.t11) / e.total)::REAL, (dot_product(e.e, vt.t12) / e.total)::REAL, (dot_product(e.e, vt.t13) / e.total)::REAL, (dot_product(e.e, vt.t14) / e.total)::REAL, (dot_product(e.e, vt.t15) / e.total)::REAL] AS v
      FROM e JOIN vt ON vt.b = e.b AND vt.h = e.h)
SELECT p.b, p.y, p.x, array_agg(a ORDER BY p.h, t) AS v
FROM o AS p, unnest(p.v) WITH ORDINALITY AS u(a, t)
GROUP BY p.b, p.y, p.x;

-- down_blocks.1.attentions.0.to_out.0 (attention)
CREATE TEMP TABLE sqld_t23 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 32 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 32 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 32 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 32 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 32 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 32 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 32 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 32 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 32 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 32 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 32 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 32 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 32 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 32 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 32 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 32 + 16])::REAL, (dot_product(g.v, w.w16)::REAL + e.v[w.o * 32 + 17])::REAL, (dot_product(g.v, w.w17)::REAL + e.v[w.o * 32 + 18])::REAL, (dot_product(g.v, w.w18)::REAL + e.v[w.o * 32 + 19])::REAL, (dot_product(g.v, w.w19)::REAL + e.v[w.o * 32 + 20])::REAL, (dot_product(g.v, w.w20)::REAL + e.v[w.o * 32 + 21])::REAL, (dot_product(g.v, w.w21)::REAL + e.v[w.o * 32 + 22])::REAL, (dot_product(g.v, w.w22)::REAL + e.v[w.o * 32 + 23])::REAL, (dot_product(g.v, w.w23)::REAL + e.v[w.o * 32 + 24])::REAL, (dot_product(g.v, w.w24)::REAL + e.v[w.o * 32 + 25])::REAL, (dot_product(g.v, w.w25)::REAL + e.v[w.o * 32 + 26])::REAL, (dot_product(g.v, w.w26)::REAL + e.v[w.o * 32 + 27])::REAL, (dot_product(g.v, w.w27)::REAL + e.v[w.o * 32 + 28])::REAL, (dot_product(g.v, w.w28)::REAL + e.v[w.o * 32 + 29])::REAL, (dot_product(g.v, w.w29)::REAL + e.v[w.o * 32 + 30])::REAL, (dot_product(g.v, w.w30)::REAL + e.v[w.o * 32 + 31])::REAL, (dot_product(g.v, w.w31)::REAL + e.v[w.o * 32 + 32])::REAL] AS v
FROM (SELECT b, y, x, v || array[1::REAL] AS v FROM sqld_t22) AS g JOIN sqld_t19 AS e ON e.b = g.b AND e.y = g.y AND e.x = g.x CROSS JOIN "sqld_tiny.down_blocks.1.attentions.0.to_out.0" AS w;

-- mid_block.resnets.0.norm1 (group_norm)
CREATE TEMP TABLE sqld_t24 AS
WITH sl AS (SELECT s.b, g, s.v[g * 4 + 1 : g * 4 + 4] AS sl
            FROM sqld_t23 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL, 1::REAL, 1::REAL])::DOUBLE PRECISION) / 64 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 64 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.mid_block.resnets.0.norm1" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.mid_block.resnets.0.norm1" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 4 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t23 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- mid_block.resnets.0.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t25 AS
SELECT g.b, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL, dot_product(g.v, w.w16)::REAL, dot_product(g.v, w.w17)::REAL, dot_product(g.v, w.w18)::REAL, dot_product(g.v, w.w19)::REAL, dot_product(g.v, w.w20)::REAL, dot_product(g.v, w.w21)::REAL, dot_product(g.v, w.w22)::REAL, dot_product(g.v, w.w23)::REAL, dot_product(g.v, w.w24)::REAL, dot_product(g.v, w.w25)::REAL, dot_product(g.v, w.w26)::REAL, dot_product(g.v, w.w27)::REAL, dot_product(g.v, w.w28)::REAL, dot_product(g.v, w.w29)::REAL, dot_product(g.v, w.w30)::REAL, dot_product(g.v, w.w31)::REAL] AS v
FROM (SELECT b, v || array[1::REAL] AS v FROM sqld_t5) AS g CROSS JOIN "sqld_tiny.mid_block.resnets.0.time_emb_proj" AS w;

-- mid_block.resnets.0.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t26 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 32 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 32 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 32 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 32 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 32 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 32 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 32 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 32 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 32 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 32 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 32 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 32 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 32 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 32 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 32 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 32 + 16])::REAL, (dot_product(g.v, w.w16)::REAL + e.v[w.o * 32 + 17])::REAL, (dot_product(g.v, w.w17)::REAL + e.v[w.o * 32 + 18])::REAL, (dot_product(g.v, w.w18)::REAL + e.v[w.o * 32 + 19])::REAL, (dot_product(g.v, w.w19)::REAL + e.v[w.o * 32 + 20])::REAL, (dot_product(g.v, w.w20)::REAL + e.v[w.o * 32 + 21])::REAL, (dot_product(g.v, w.w21)::REAL + e.v[w.o * 32 + 22])::REAL, (dot_product(g.v, w.w22)::REAL + e.v[w.o * 32 + 23])::REAL, (dot_product(g.v, w.w23)::REAL + e.v[w.o * 32 + 24])::REAL, (dot_product(g.v, w.w24)::REAL + e.v[w.o * 32 + 25])::REAL, (dot_product(g.v, w.w25)::REAL + e.v[w.o * 32 + 26])::REAL, (dot_product(g.v, w.w26)::REAL + e.v[w.o * 32 + 27])::REAL, (dot_product(g.v, w.w27)::REAL + e.v[w.o * 32 + 28])::REAL, (dot_product(g.v, w.w28)::REAL + e.v[w.o * 32 + 29])::REAL, (dot_product(g.v, w.w29)::REAL + e.v[w.o * 32 + 30])::REAL, (dot_product(g.v, w.w30)::REAL + e.v[w.o * 32 + 31])::REAL, (dot_product(g.v, w.w31)::REAL + e.v[w.o * 32 + 32])::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 5) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 3 THEN lag(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 3 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x > 0 THEN lead(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 THEN lead(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x < 3 THEN lead(s.v, 5) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t24 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 31) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g JOIN sqld_t25 AS e ON e.b = g.b CROSS JOIN "sqld_tiny.mid_block.resnets.0.conv1" AS w;

-- mid_block.resnets.0.norm2 (group_norm)
CREATE TEMP TABLE sqld_t27 AS
WITH sl AS (SELECT s.b, g, s.v[g * 4 + 1 : g * 4 + 4] AS sl
            FROM sqld_t26 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL, 1::REAL, 1::REAL])::DOUBLE PRECISION) / 64 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 64 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.mid_block.resnets.0.norm2" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.mid_block.resnets.0.norm2" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 4 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t26 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- mid_block.resnets.0.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t28 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 32 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 32 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 32 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 32 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 32 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 32 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 32 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 32 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 32 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 32 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 32 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 32 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 32 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 32 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 32 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 32 + 16])::REAL, (dot_product(g.v, w.w16)::REAL + e.v[w.o * 32 + 17])::REAL, (dot_product(g.v, w.w17)::REAL + e.v[w.o * 32 + 18])::REAL, (dot_product(g.v, w.w18)::REAL + e.v[w.o * 32 + 19])::REAL, (dot_product(g.v, w.w19)::REAL + e.v[w.o * 32 + 20])::REAL, (dot_product(g.v, w.w20)::REAL + e.v[w.o * 32 + 21])::REAL, (dot_product(g.v, w.w21)::REAL + e.v[w.o * 32 + 22])::REAL, (dot_product(g.v, w.w22)::REAL + e.v[w.o * 32 + 23])::REAL, (dot_product(g.v, w.w23)::REAL + e.v[w.o * 32 + 24])::REAL, (dot_product(g.v, w.w24)::REAL + e.v[w.o * 32 + 25])::REAL, (dot_product(g.v, w.w25)::REAL + e.v[w.o * 32 + 26])::REAL, (dot_product(g.v, w.w26)::REAL + e.v[w.o * 32 + 27])::REAL, (dot_product(g.v, w.w27)::REAL + e.v[w.o * 32 + 28])::REAL, (dot_product(g.v, w.w28)::REAL + e.v[w.o * 32 + 29])::REAL, (dot_product(g.v, w.w29)::REAL + e.v[w.o * 32 + 30])::REAL, (dot_product(g.v, w.w30)::REAL + e.v[w.o * 32 + 31])::REAL, (dot_product(g.v, w.w31)::REAL + e.v[w.o * 32 + 32])::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 5) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 3 THEN lag(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 3 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x > 0 THEN lead(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 THEN lead(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x < 3 THEN lead(s.v, 5) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t27 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 31) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g JOIN sqld_t23 AS e ON e.b = g.b AND e.y = g.y AND e.x = g.x CROSS JOIN "sqld_tiny.mid_block.resnets.0.conv2" AS w;

-- mid_block.attentions.0.group_norm (group_norm)
CREATE TEMP TABLE sqld_t29 AS
WITH sl AS (SELECT s.b, g, s.v[g * 4 + 1 : g * 4 + 4] AS sl
            FROM sqld_t28 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL, 1::REAL, 1::REAL])::DOUBLE PRECISION) / 64 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 64 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.mid_block.attentions.0.group_norm" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.mid_block.attentions.0.group_norm" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 4 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg((u.a * u.sc + u.sh)::REAL ORDER BY u.k) AS v
FROM sqld_t28 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- mid_block.attentions.0.qkv (attention)
CREATE TEMP TABLE sqld_t30 AS
SELECT p.b, p.y, p.x, array_agg(a ORDER BY p.o, t) AS v
FROM (
SELECT g.b, g.y, g.x, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL, dot_product(g.v, w.w16)::REAL, dot_product(g.v, w.w17)::REAL, dot_product(g.v, w.w18)::REAL, dot_product(g.v, w.w19)::REAL, dot_product(g.v, w.w20)::REAL, dot_product(g.v, w.w21)::REAL, dot_product(g.v, w.w22)::REAL, dot_product(g.v, w.w23)::REAL, dot_product(g.v, w.w24)::REAL, dot_product(g.v, w.w25)::REAL, dot_product(g.v, w.w26)::REAL, dot_product(g.v, w.w27)::REAL, dot_product(g.v, w.w28)::REAL, dot_product(g.v, w.w29)::REAL, dot_product(g.v, w.w30)::REAL, dot_product(g.v, w.w31)::REAL] AS v
FROM (SELECT b, y, x, v || array[1::REAL] AS v FROM sqld_t29) AS g CROSS JOIN "sqld_tiny.mid_block.attentions.0.qkv" AS w
) AS p, unnest(p.v) WITH ORDINALITY AS u(a, t)
GROUP BY p.b, p.y, p.x;

-- mid_block.attentions.0.attention (attention)
CREATE TEMP TABLE sqld_t31 AS
WITH hd AS (SELECT b, y * 4 + x AS i, h, v[h * 16 + 1 : h * 16 + 16] AS q,
                   v[32 + h * 16 + 1 : 32 + h * 16 + 16] AS k,
                   v[64 + h * 16 + 1 : 64 + h * 16 + 16] AS val
            FROM sqld_t30 AS s CROSS JOIN generate_series(0, 1) AS r_h(h)),
sc AS (SELECT q.b, q.i, q.h, k.i AS j, (dot_product(q.q, k.k) * 0.25::REAL)::REAL AS s
       FROM hd AS q JOIN hd AS k ON k.b = q.b AND k.h = q.h),
mx AS (SELECT b, i, h, max(s) AS m FROM sc GROUP BY b, i, h),
ex AS (SELECT sc.b, sc.i, sc.h, sc.j, exp(sc.s - mx.m)::REAL AS e FROM sc JOIN mx ON mx.b = sc.b AND mx.i = sc.i AND mx.h = sc.h),
e AS (SELECT b, i, h, array_agg(e ORDER BY j) AS e, sum(e::DOUBLE PRECISION) AS total FROM ex GROUP BY b, i, h),
vt AS (SELECT b, h, array_agg(val[1] ORDER BY i) AS t0, array_agg(val[2] ORDER BY i) AS t1, array_agg(val[3] ORDER BY i) AS t2, array_agg(val[4] ORDER BY i) AS t3, array_agg(val[5] ORDER BY i) AS t4, array_agg(val[6] ORDER BY i) AS t5, array_agg(val[7] ORDER BY i) AS t6, array_agg(val[8] ORDER BY i) AS t7, array_agg(val[9] ORDER BY i) AS t8, array_agg(val[10] ORDER BY i) AS t9, array_agg(val[11] ORDER BY i) AS t10, array_agg(val[12] ORDER BY i) AS t11, array_agg(val[13] ORDER BY i) AS t12, array_agg(val[14] ORDER BY i) AS t13, array_agg(val[15] ORDER BY i) AS t14, array_agg(val[16] ORDER BY i) AS t15 FROM hd GROUP BY b, h),
o AS (SELECT e.b, e.i / 4 AS y, e.i % 4 AS x, e.h, array[(dot_product(e.e, vt.t0) / e.total)::REAL, (dot_product(e.e, vt.t1) / e.total)::REAL, (dot_product(e.e, vt.t2) / e.total)::REAL, (dot_product(e.e, vt.t3) / e.total)::REAL, (dot_product(e.e, vt.t4) / e.total)::REAL, (dot_product(e.e, vt.t5) / e.total)::REAL, (dot_product(e.e, vt.t6) / e.total)::REAL, (dot_product(e.e, vt.t7) / e.total)::REAL, (dot_product(e.e, vt.t8) / e.total)::REAL, (dot_product(e.e, vt.t9) / e.total)::REAL, (dot_product(e.e, vt.t10) / e.total)::REAL, (dot_product(e.e, vt.t11) / e.total)::REAL, (dot_product(e.e, vt.t12) / e.total)::REAL, (dot_product(e.e, vt.t13) / e.total)::REAL, (dot_product(e.e, vt.t14) / e.total)::REAL, (dot_product(e.e, vt.t15) / e.total)::REAL] AS v
      FROM e JOIN vt ON vt.b = e.b AND vt.h = e.h)
SELECT p.b, p.y, p.x, array_agg(a ORDER BY p.h, t) AS v
FROM o AS p, unnest(p.v) WITH ORDINALITY AS u(a, t)
GROUP BY p.b, p.y, p.x;

-- mid_block.attentions.0.to_out.0 (attention)
CREATE TEMP TABLE sqld_t32 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 32 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 32 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 32 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 32 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 32 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 32 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 32 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 32 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 32 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 32 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 32 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 32 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 32 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 32 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 32 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 32 + 16])::REAL, (dot_product(g.v, w.w16)::REAL + e.v[w.o * 32 + 17])::REAL, (dot_product(g.v, w.w17)::REAL + e.v[w.o * 32 + 18])::REAL, (dot_product(g.v, w.w18)::REAL + e.v[w.o * 32 + 19])::REAL, (dot_product(g.v, w.w19)::REAL + e.v[w.o * 32 + 20])::REAL, (dot_product(g.v, w.w20)::REAL + e.v[w.o * 32 + 21])::REAL, (dot_product(g.v, w.w21)::REAL + e.v[w.o * 32 + 22])::REAL, (dot_product(g.v, w.w22)::REAL + e.v[w.o * 32 + 23])::REAL, (dot_product(g.v, w.w23)::REAL + e.v[w.o * 32 + 24])::REAL, (dot_product(g.v, w.w24)::REAL + e.v[w.o * 32 + 25])::REAL, (dot_product(g.v, w.w25)::REAL + e.v[w.o * 32 + 26])::REAL, (dot_product(g.v, w.w26)::REAL + e.v[w.o * 32 + 27])::REAL, (dot_product(g.v, w.w27)::REAL + e.v[w.o * 32 + 28])::REAL, (dot_product(g.v, w.w28)::REAL + e.v[w.o * 32 + 29])::REAL, (dot_product(g.v, w.w29)::REAL + e.v[w.o * 32 + 30])::REAL, (dot_product(g.v, w.w30)::REAL + e.v[w.o * 32 + 31])::REAL, (dot_product(g.v, w.w31)::REAL + e.v[w.o * 32 + 32])::REAL] AS v
FROM (SELECT b, y, x, v || array[1::REAL] AS v FROM sqld_t31) AS g JOIN sqld_t28 AS e ON e.b = g.b AND e.y = g.y AND e.x = g.x CROSS JOIN "sqld_tiny.mid_block.attentions.0.to_out.0" AS w;

-- mid_block.resnets.1.norm1 (group_norm)
CREATE TEMP TABLE sqld_t33 AS
WITH sl AS (SELECT s.b, g, s.v[g * 4 + 1 : g * 4 + 4] AS sl
            FROM sqld_t32 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL, 1::REAL, 1::REAL])::DOUBLE PRECISION) / 64 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 64 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.mid_block.resnets.1.norm1" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.mid_block.resnets.1.norm1" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 4 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t32 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- mid_block.resnets.1.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t34 AS
SELECT g.b, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL, dot_product(g.v, w.w16)::REAL, dot_product(g.v, w.w17)::REAL, dot_product(g.v, w.w18)::REAL, dot_product(g.v, w.w19)::REAL, dot_product(g.v, w.w20)::REAL, dot_product(g.v, w.w21)::REAL, dot_product(g.v, w.w22)::REAL, dot_product(g.v, w.w23)::REAL, dot_product(g.v, w.w24)::REAL, dot_product(g.v, w.w25)::REAL, dot_product(g.v, w.w26)::REAL, dot_product(g.v, w.w27)::REAL, dot_product(g.v, w.w28)::REAL, dot_product(g.v, w.w29)::REAL, dot_product(g.v, w.w30)::REAL, dot_product(g.v, w.w31)::REAL] AS v
FROM (SELECT b, v || array[1::REAL] AS v FROM sqld_t5) AS g CROSS JOIN "sqld_tiny.mid_block.resnets.1.time_emb_proj" AS w;

-- mid_block.resnets.1.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t35 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 32 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 32 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 32 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 32 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 32 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 32 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 32 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 32 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 32 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 32 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 32 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 32 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 32 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 32 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 32 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 32 + 16])::REAL, (dot_product(g.v, w.w16)::REAL + e.v[w.o * 32 + 17])::REAL, (dot_product(g.v, w.w17)::REAL + e.v[w.o * 32 + 18])::REAL, (dot_product(g.v, w.w18)::REAL + e.v[w.o * 32 + 19])::REAL, (dot_product(g.v, w.w19)::REAL + e.v[w.o * 32 + 20])::REAL, (dot_product(g.v, w.w20)::REAL + e.v[w.o * 32 + 21])::REAL, (dot_product(g.v, w.w21)::REAL + e.v[w.o * 32 + 22])::REAL, (dot_product(g.v, w.w22)::REAL + e.v[w.o * 32 + 23])::REAL, (dot_product(g.v, w.w23)::REAL + e.v[w.o * 32 + 24])::REAL, (dot_product(g.v, w.w24)::REAL + e.v[w.o * 32 + 25])::REAL, (dot_product(g.v, w.w25)::REAL + e.v[w.o * 32 + 26])::REAL, (dot_product(g.v, w.w26)::REAL + e.v[w.o * 32 + 27])::REAL, (dot_product(g.v, w.w27)::REAL + e.v[w.o * 32 + 28])::REAL, (dot_product(g.v, w.w28)::REAL + e.v[w.o * 32 + 29])::REAL, (dot_product(g.v, w.w29)::REAL + e.v[w.o * 32 + 30])::REAL, (dot_product(g.v, w.w30)::REAL + e.v[w.o * 32 + 31])::REAL, (dot_product(g.v, w.w31)::REAL + e.v[w.o * 32 + 32])::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 5) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 3 THEN lag(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 3 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x > 0 THEN lead(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 THEN lead(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x < 3 THEN lead(s.v, 5) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t33 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 31) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g JOIN sqld_t34 AS e ON e.b = g.b CROSS JOIN "sqld_tiny.mid_block.resnets.1.conv1" AS w;

-- mid_block.resnets.1.norm2 (group_norm)
CREATE TEMP TABLE sqld_t36 AS
WITH sl AS (SELECT s.b, g, s.v[g * 4 + 1 : g * 4 + 4] AS sl
            FROM sqld_t35 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL, 1::REAL, 1::REAL])::DOUBLE PRECISION) / 64 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 64 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.mid_block.resnets.1.norm2" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.mid_block.resnets.1.norm2" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 4 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t35 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- mid_block.resnets.1.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t37 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 32 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 32 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 32 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 32 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 32 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 32 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 32 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 32 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 32 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 32 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 32 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 32 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 32 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 32 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 32 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 32 + 16])::REAL, (dot_product(g.v, w.w16)::REAL + e.v[w.o * 32 + 17])::REAL, (dot_product(g.v, w.w17)::REAL + e.v[w.o * 32 + 18])::REAL, (dot_product(g.v, w.w18)::REAL + e.v[w.o * 32 + 19])::REAL, (dot_product(g.v, w.w19)::REAL + e.v[w.o * 32 + 20])::REAL, (dot_product(g.v, w.w20)::REAL + e.v[w.o * 32 + 21])::REAL, (dot_product(g.v, w.w21)::REAL + e.v[w.o * 32 + 22])::REAL, (dot_product(g.v, w.w22)::REAL + e.v[w.o * 32 + 23])::REAL, (dot_product(g.v, w.w23)::REAL + e.v[w.o * 32 + 24])::REAL, (dot_product(g.v, w.w24)::REAL + e.v[w.o * 32 + 25])::REAL, (dot_product(g.v, w.w25)::REAL + e.v[w.o * 32 + 26])::REAL, (dot_product(g.v, w.w26)::REAL + e.v[w.o * 32 + 27])::REAL, (dot_product(g.v, w.w27)::REAL + e.v[w.o * 32 + 28])::REAL, (dot_product(g.v, w.w28)::REAL + e.v[w.o * 32 + 29])::REAL, (dot_product(g.v, w.w29)::REAL + e.v[w.o * 32 + 30])::REAL, (dot_product(g.v, w.w30)::REAL + e.v[w.o * 32 + 31])::REAL, (dot_product(g.v, w.w31)::REAL + e.v[w.o * 32 + 32])::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 5) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 3 THEN lag(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 3 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x > 0 THEN lead(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 THEN lead(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x < 3 THEN lead(s.v, 5) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t36 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 31) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g JOIN sqld_t32 AS e ON e.b = g.b AND e.y = g.y AND e.x = g.x CROSS JOIN "sqld_tiny.mid_block.resnets.1.conv2" AS w;

-- up_blocks.0.resnets.0.concat (concat)
CREATE TEMP TABLE sqld_t38 AS
SELECT h.b, h.y, h.x, h.v || s.v AS v
FROM sqld_t37 h JOIN sqld_t23 s ON s.b = h.b AND s.y = h.y AND s.x = h.x;

-- up_blocks.0.resnets.0.norm1 (group_norm)
CREATE TEMP TABLE sqld_t39 AS
WITH sl AS (SELECT s.b, g, s.v[g * 8 + 1 : g * 8 + 8] AS sl
            FROM sqld_t38 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL, 1::REAL, 1::REAL, 1::REAL, 1::REAL, 1::REAL, 1::REAL])::DOUBLE PRECISION) / 128 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 128 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.up_blocks.0.resnets.0.norm1" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.up_blocks.0.resnets.0.norm1" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 8 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t38 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- up_blocks.0.resnets.0.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t40 AS
SELECT g.b, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL, dot_product(g.v, w.w16)::REAL, dot_product(g.v, w.w17)::REAL, dot_product(g.v, w.w18)::REAL, dot_product(g.v, w.w19)::REAL, dot_product(g.v, w.w20)::REAL, dot_product(g.v, w.w21)::REAL, dot_product(g.v, w.w22)::REAL, dot_product(g.v, w.w23)::REAL, dot_product(g.v, w.w24)::REAL, dot_product(g.v, w.w25)::REAL, dot_product(g.v, w.w26)::REAL, dot_product(g.v, w.w27)::REAL, dot_product(g.v, w.w28)::REAL, dot_product(g.v, w.w29)::REAL, dot_product(g.v, w.w30)::REAL, dot_product(g.v, w.w31)::REAL] AS v
FROM (SELECT b, v || array[1::REAL] AS v FROM sqld_t5) AS g CROSS JOIN "sqld_tiny.up_blocks.0.resnets.0.time_emb_proj" AS w;

-- up_blocks.0.resnets.0.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t41 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 32 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 32 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 32 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 32 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 32 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 32 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 32 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 32 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 32 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 32 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 32 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 32 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 32 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 32 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 32 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 32 + 16])::REAL, (dot_product(g.v, w.w16)::REAL + e.v[w.o * 32 + 17])::REAL, (dot_product(g.v, w.w17)::REAL + e.v[w.o * 32 + 18])::REAL, (dot_product(g.v, w.w18)::REAL + e.v[w.o * 32 + 19])::REAL, (dot_product(g.v, w.w19)::REAL + e.v[w.o * 32 + 20])::REAL, (dot_product(g.v, w.w20)::REAL + e.v[w.o * 32 + 21])::REAL, (dot_product(g.v, w.w21)::REAL + e.v[w.o * 32 + 22])::REAL, (dot_product(g.v, w.w22)::REAL + e.v[w.o * 32 + 23])::REAL, (dot_product(g.v, w.w23)::REAL + e.v[w.o * 32 + 24])::REAL, (dot_product(g.v, w.w24)::REAL + e.v[w.o * 32 + 25])::REAL, (dot_product(g.v, w.w25)::REAL + e.v[w.o * 32 + 26])::REAL, (dot_product(g.v, w.w26)::REAL + e.v[w.o * 32 + 27])::REAL, (dot_product(g.v, w.w27)::REAL + e.v[w.o * 32 + 28])::REAL, (dot_product(g.v, w.w28)::REAL + e.v[w.o * 32 + 29])::REAL, (dot_product(g.v, w.w29)::REAL + e.v[w.o * 32 + 30])::REAL, (dot_product(g.v, w.w30)::REAL + e.v[w.o * 32 + 31])::REAL, (dot_product(g.v, w.w31)::REAL + e.v[w.o * 32 + 32])::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 5) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 3 THEN lag(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 3 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x > 0 THEN lead(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 THEN lead(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x < 3 THEN lead(s.v, 5) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t39 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 63) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g JOIN sqld_t40 AS e ON e.b = g.b CROSS JOIN "sqld_tiny.up_blocks.0.resnets.0.conv1" AS w;

-- up_blocks.0.resnets.0.norm2 (group_norm)
CREATE TEMP TABLE sqld_t42 AS
WITH sl AS (SELECT s.b, g, s.v[g * 4 + 1 : g * 4 + 4] AS sl
            FROM sqld_t41 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL, 1::REAL, 1::REAL])::DOUBLE PRECISION) / 64 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 64 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.up_blocks.0.resnets.0.norm2" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.up_blocks.0.resnets.0.norm2" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 4 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t41 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- up_blocks.0.resnets.0.conv_shortcut (dense)
CREATE TEMP TABLE sqld_t43 AS
SELECT g.b, g.y, g.x, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL, dot_product(g.v, w.w16)::REAL, dot_product(g.v, w.w17)::REAL, dot_product(g.v, w.w18)::REAL, dot_product(g.v, w.w19)::REAL, dot_product(g.v, w.w20)::REAL, dot_product(g.v, w.w21)::REAL, dot_product(g.v, w.w22)::REAL, dot_product(g.v, w.w23)::REAL, dot_product(g.v, w.w24)::REAL, dot_product(g.v, w.w25)::REAL, dot_product(g.v, w.w26)::REAL, dot_product(g.v, w.w27)::REAL, dot_product(g.v, w.w28)::REAL, dot_product(g.v, w.w29)::REAL, dot_product(g.v, w.w30)::REAL, dot_product(g.v, w.w31)::REAL] AS v
FROM (SELECT b, y, x, v || array[1::REAL] AS v FROM sqld_t38) AS g CROSS JOIN "sqld_tiny.up_blocks.0.resnets.0.conv_shortcut" AS w;

-- up_blocks.0.resnets.0.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t44 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 32 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 32 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 32 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 32 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 32 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 32 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 32 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 32 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 32 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 32 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 32 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 32 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 32 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 32 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 32 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 32 + 16])::REAL, (dot_product(g.v, w.w16)::REAL + e.v[w.o * 32 + 17])::REAL, (dot_product(g.v, w.w17)::REAL + e.v[w.o * 32 + 18])::REAL, (dot_product(g.v, w.w18)::REAL + e.v[w.o * 32 + 19])::REAL, (dot_product(g.v, w.w19)::REAL + e.v[w.o * 32 + 20])::REAL, (dot_product(g.v, w.w20)::REAL + e.v[w.o * 32 + 21])::REAL, (dot_product(g.v, w.w21)::REAL + e.v[w.o * 32 + 22])::REAL, (dot_product(g.v, w.w22)::REAL + e.v[w.o * 32 + 23])::REAL, (dot_product(g.v, w.w23)::REAL + e.v[w.o * 32 + 24])::REAL, (dot_product(g.v, w.w24)::REAL + e.v[w.o * 32 + 25])::REAL, (dot_product(g.v, w.w25)::REAL + e.v[w.o * 32 + 26])::REAL, (dot_product(g.v, w.w26)::REAL + e.v[w.o * 32 + 27])::REAL, (dot_product(g.v, w.w27)::REAL + e.v[w.o * 32 + 28])::REAL, (dot_product(g.v, w.w28)::REAL + e.v[w.o * 32 + 29])::REAL, (dot_product(g.v, w.w29)::REAL + e.v[w.o * 32 + 30])::REAL, (dot_product(g.v, w.w30)::REAL + e.v[w.o * 32 + 31])::REAL, (dot_product(g.v, w.w31)::REAL + e.v[w.o * 32 + 32])::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 5) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 3 THEN lag(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 3 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x > 0 THEN lead(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 THEN lead(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x < 3 THEN lead(s.v, 5) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t42 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 31) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g JOIN sqld_t43 AS e ON e.b = g.b AND e.y = g.y AND e.x = g.x CROSS JOIN "sqld_tiny.up_blocks.0.resnets.0.conv2" AS w;

-- up_blocks.0.attentions.0.group_norm (group_norm)
CREATE TEMP TABLE sqld_t45 AS
WITH sl AS (SELECT s.b, g, s.v[g * 4 + 1 : g * 4 + 4] AS sl
            FROM sqld_t44 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL, 1::REAL, 1::REAL])::DOUBLE PRECISION) / 64 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 64 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.up_blocks.0.attentions.0.group_norm" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.up_blocks.0.attentions.0.group_norm" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 4 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg((u.a * u.sc + u.sh)::REAL ORDER BY u.k) AS v
FROM sqld_t44 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- up_blocks.0.attentions.0.qkv (attention)
CREATE TEMP TABLE sqld_t46 AS
SELECT p.b, p.y, p.x, array_agg(a ORDER BY p.o, t) AS v
FROM (
SELECT g.b, g.y, g.x, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL, dot_product(g.v, w.w16)::REAL, dot_product(g.v, w.w17)::REAL, dot_product(g.v, w.w18)::REAL, dot_product(g.v, w.w19)::REAL, dot_product(g.v, w.w20)::REAL, dot_product(g.v, w.w21)::REAL, dot_product(g.v, w.w22)::REAL, dot_product(g.v, w.w23)::REAL, dot_product(g.v, w.w24)::REAL, dot_product(g.v, w.w25)::REAL, dot_product(g.v, w.w26)::REAL, dot_product(g.v, w.w27)::REAL, dot_product(g.v, w.w28)::REAL, dot_product(g.v, w.w29)::REAL, dot_product(g.v, w.w30)::REAL, dot_product(g.v, w.w31)::REAL] AS v
FROM (SELECT b, y, x, v || array[1::REAL] AS v FROM sqld_t45) AS g CROSS JOIN "sqld_tiny.up_blocks.0.attentions.0.qkv" AS w
) AS p, unnest(p.v) WITH ORDINALITY AS u(a, t)
GROUP BY p.b, p.y, p.x;

-- up_blocks.0.attentions.0.attention (attention)
CREATE TEMP TABLE sqld_t47 AS
WITH hd AS (SELECT b, y * 4 + x AS i, h, v[h * 16 + 1 : h * 16 + 16] AS q,
                   v[32 + h * 16 + 1 : 32 + h * 16 + 16] AS k,
                   v[64 + h * 16 + 1 : 64 + h * 16 + 16] AS val
            FROM sqld_t46 AS s CROSS JOIN generate_series(0, 1) AS r_h(h)),
sc AS (SELECT q.b, q.i, q.h, k.i AS j, (dot_product(q.q, k.k) * 0.25::REAL)::REAL AS s
       FROM hd AS q JOIN hd AS k ON k.b = q.b AND k.h = q.h),
mx AS (SELECT b, i, h, max(s) AS m FROM sc GROUP BY b, i, h),
ex AS (SELECT sc.b, sc.i, sc.h, sc.j, exp(sc.s - mx.m)::REAL AS e FROM sc JOIN mx ON mx.b = sc.b AND mx.i = sc.i AND mx.h = sc.h),
e AS (SELECT b, i, h, array_agg(e ORDER BY j) AS e, sum(e::DOUBLE PRECISION) AS total FROM ex GROUP BY b, i, h),
vt AS (SELECT b, h, array_agg(val[1] ORDER BY i) AS t0, array_agg(val[2] ORDER BY i) AS t1, array_agg(val[3] ORDER BY i) AS t2, array_agg(val[4] ORDER BY i) AS t3, array_agg(val[5] ORDER BY i) AS t4, array_agg(val[6] ORDER BY i) AS t5, array_agg(val[7] ORDER BY i) AS t6, array_agg(val[8] ORDER BY i) AS t7, array_agg(val[9] ORDER BY i) AS t8, array_agg(val[10] ORDER BY i) AS t9, array_agg(val[11] ORDER BY i) AS t10, array_agg(val[12] ORDER BY i) AS t11, array_agg(val[13] ORDER BY i) AS t12, array_agg(val[14] ORDER BY i) AS t13, array_agg(val[15] ORDER BY i) AS t14, array_agg(val[16] ORDER BY i) AS t15 FROM hd GROUP BY b, h),
o AS (SELECT e.b, e.i / 4 AS y, e.i % 4 AS x, e.h, array[(dot_product(e.e, vt.t0) / e.total)::REAL, (dot_product(e.e, vt.t1) / e.total)::REAL, (dot_product(e.e, vt.t2) / e.total)::REAL, (dot_product(e.e, vt.t3) / e.total)::REAL, (dot_product(e.e, vt.t4) / e.total)::REAL, (dot_product(e.e, vt.t5) / e.total)::REAL, (dot_product(e.e, vt.t6) / e.total)::REAL, (dot_product(e.e, vt.t7) / e.total)::REAL, (dot_product(e.e, vt.t8) / e.total)::REAL, (dot_product(e.e, vt.t9) / e.total)::REAL, (dot_product(e.e, vt.t10) / e.total)::REAL, (dot_product(e.e, vt.t11) / e.total)::REAL, (dot_product(e.e, vt.t12) / e.total)::REAL, (dot_product(e.e, vt.t13) / e.total)::REAL, (dot_product(e.e, vt.t14) / e.total)::REAL, (dot_product(e.e, vt.t15) / e.total)::REAL] AS v
      FROM e JOIN vt ON vt.b = e.b AND vt.h = e.h)
SELECT p.b, p.y, p.x, array_agg(a ORDER BY p.h, t) AS v
FROM o AS p, unnest(p.v) WITH ORDINALITY AS u(a, t)
GROUP BY p.b, p.y, p.x;

-- up_blocks.0.attentions.0.to_out.0 (attention)
CREATE TEMP TABLE sqld_t48 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 32 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 32 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 32 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 32 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 32 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 32 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 32 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 32 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 32 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 32 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 32 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 32 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 32 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 32 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 32 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 32 + 16])::REAL, (dot_product(g.v, w.w16)::REAL + e.v[w.o * 32 + 17])::REAL, (dot_product(g.v, w.w17)::REAL + e.v[w.o * 32 + 18])::REAL, (dot_product(g.v, w.w18)::REAL + e.v[w.o * 32 + 19])::REAL, (dot_product(g.v, w.w19)::REAL + e.v[w.o * 32 + 20])::REAL, (dot_product(g.v, w.w20)::REAL + e.v[w.o * 32 + 21])::REAL, (dot_product(g.v, w.w21)::REAL + e.v[w.o * 32 + 22])::REAL, (dot_product(g.v, w.w22)::REAL + e.v[w.o * 32 + 23])::REAL, (dot_product(g.v, w.w23)::REAL + e.v[w.o * 32 + 24])::REAL, (dot_product(g.v, w.w24)::REAL + e.v[w.o * 32 + 25])::REAL, (dot_product(g.v, w.w25)::REAL + e.v[w.o * 32 + 26])::REAL, (dot_product(g.v, w.w26)::REAL + e.v[w.o * 32 + 27])::REAL, (dot_product(g.v, w.w27)::REAL + e.v[w.o * 32 + 28])::REAL, (dot_product(g.v, w.w28)::REAL + e.v[w.o * 32 + 29])::REAL, (dot_product(g.v, w.w29)::REAL + e.v[w.o * 32 + 30])::REAL, (dot_product(g.v, w.w30)::REAL + e.v[w.o * 32 + 31])::REAL, (dot_product(g.v, w.w31)::REAL + e.v[w.o * 32 + 32])::REAL] AS v
FROM (SELECT b, y, x, v || array[1::REAL] AS v FROM sqld_t47) AS g JOIN sqld_t44 AS e ON e.b = g.b AND e.y = g.y AND e.x = g.x CROSS JOIN "sqld_tiny.up_blocks.0.attentions.0.to_out.0" AS w;

-- up_blocks.0.resnets.1.concat (concat)
CREATE TEMP TABLE sqld_t49 AS
SELECT h.b, h.y, h.x, h.v || s.v AS v
FROM sqld_t48 h JOIN sqld_t13 s ON s.b = h.b AND s.y = h.y AND s.x = h.x;

-- up_blocks.0.resnets.1.norm1 (group_norm)
CREATE TEMP TABLE sqld_t50 AS
WITH sl AS (SELECT s.b, g, s.v[g * 6 + 1 : g * 6 + 6] AS sl
            FROM sqld_t49 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL, 1::REAL, 1::REAL, 1::REAL, 1::REAL])::DOUBLE PRECISION) / 96 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 96 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.up_blocks.0.resnets.1.norm1" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.up_blocks.0.resnets.1.norm1" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 6 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t49 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- up_blocks.0.resnets.1.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t51 AS
SELECT g.b, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL, dot_product(g.v, w.w16)::REAL, dot_product(g.v, w.w17)::REAL, dot_product(g.v, w.w18)::REAL, dot_product(g.v, w.w19)::REAL, dot_product(g.v, w.w20)::REAL, dot_product(g.v, w.w21)::REAL, dot_product(g.v, w.w22)::REAL, dot_product(g.v, w.w23)::REAL, dot_product(g.v, w.w24)::REAL, dot_product(g.v, w.w25)::REAL, dot_product(g.v, w.w26)::REAL, dot_product(g.v, w.w27)::REAL, dot_product(g.v, w.w28)::REAL, dot_product(g.v, w.w29)::REAL, dot_product(g.v, w.w30)::REAL, dot_product(g.v, w.w31)::REAL] AS v
FROM (SELECT b, v || array[1::REAL] AS v FROM sqld_t5) AS g CROSS JOIN "sqld_tiny.up_blocks.0.resnets.1.time_emb_proj" AS w;

-- up_blocks.0.resnets.1.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t52 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 32 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 32 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 32 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 32 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 32 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 32 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 32 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 32 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 32 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 32 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 32 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 32 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 32 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 32 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 32 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 32 + 16])::REAL, (dot_product(g.v, w.w16)::REAL + e.v[w.o * 32 + 17])::REAL, (dot_product(g.v, w.w17)::REAL + e.v[w.o * 32 + 18])::REAL, (dot_product(g.v, w.w18)::REAL + e.v[w.o * 32 + 19])::REAL, (dot_product(g.v, w.w19)::REAL + e.v[w.o * 32 + 20])::REAL, (dot_product(g.v, w.w20)::REAL + e.v[w.o * 32 + 21])::REAL, (dot_product(g.v, w.w21)::REAL + e.v[w.o * 32 + 22])::REAL, (dot_product(g.v, w.w22)::REAL + e.v[w.o * 32 + 23])::REAL, (dot_product(g.v, w.w23)::REAL + e.v[w.o * 32 + 24])::REAL, (dot_product(g.v, w.w24)::REAL + e.v[w.o * 32 + 25])::REAL, (dot_product(g.v, w.w25)::REAL + e.v[w.o * 32 + 26])::REAL, (dot_product(g.v, w.w26)::REAL + e.v[w.o * 32 + 27])::REAL, (dot_product(g.v, w.w27)::REAL + e.v[w.o * 32 + 28])::REAL, (dot_product(g.v, w.w28)::REAL + e.v[w.o * 32 + 29])::REAL, (dot_product(g.v, w.w29)::REAL + e.v[w.o * 32 + 30])::REAL, (dot_product(g.v, w.w30)::REAL + e.v[w.o * 32 + 31])::REAL, (dot_product(g.v, w.w31)::REAL + e.v[w.o * 32 + 32])::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 5) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 3 THEN lag(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 3 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x > 0 THEN lead(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 THEN lead(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x < 3 THEN lead(s.v, 5) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t50 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 47) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g JOIN sqld_t51 AS e ON e.b = g.b CROSS JOIN "sqld_tiny.up_blocks.0.resnets.1.conv1" AS w;

-- up_blocks.0.resnets.1.norm2 (group_norm)
CREATE TEMP TABLE sqld_t53 AS
WITH sl AS (SELECT s.b, g, s.v[g * 4 + 1 : g * 4 + 4] AS sl
            FROM sqld_t52 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL, 1::REAL, 1::REAL])::DOUBLE PRECISION) / 64 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 64 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.up_blocks.0.resnets.1.norm2" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.up_blocks.0.resnets.1.norm2" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 4 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t52 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- up_blocks.0.resnets.1.conv_shortcut (dense)
CREATE TEMP TABLE sqld_t54 AS
SELECT g.b, g.y, g.x, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL, dot_product(g.v, w.w16)::REAL, dot_product(g.v, w.w17)::REAL, dot_product(g.v, w.w18)::REAL, dot_product(g.v, w.w19)::REAL, dot_product(g.v, w.w20)::REAL, dot_product(g.v, w.w21)::REAL, dot_product(g.v, w.w22)::REAL, dot_product(g.v, w.w23)::REAL, dot_product(g.v, w.w24)::REAL, dot_product(g.v, w.w25)::REAL, dot_product(g.v, w.w26)::REAL, dot_product(g.v, w.w27)::REAL, dot_product(g.v, w.w28)::REAL, dot_product(g.v, w.w29)::REAL, dot_product(g.v, w.w30)::REAL, dot_product(g.v, w.w31)::REAL] AS v
FROM (SELECT b, y, x, v || array[1::REAL] AS v FROM sqld_t49) AS g CROSS JOIN "sqld_tiny.up_blocks.0.resnets.1.conv_shortcut" AS w;

-- up_blocks.0.resnets.1.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t55 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 32 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 32 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 32 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 32 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 32 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 32 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 32 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 32 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 32 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 32 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 32 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 32 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 32 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 32 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 32 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 32 + 16])::REAL, (dot_product(g.v, w.w16)::REAL + e.v[w.o * 32 + 17])::REAL, (dot_product(g.v, w.w17)::REAL + e.v[w.o * 32 + 18])::REAL, (dot_product(g.v, w.w18)::REAL + e.v[w.o * 32 + 19])::REAL, (dot_product(g.v, w.w19)::REAL + e.v[w.o * 32 + 20])::REAL, (dot_product(g.v, w.w20)::REAL + e.v[w.o * 32 + 21])::REAL, (dot_product(g.v, w.w21)::REAL + e.v[w.o * 32 + 22])::REAL, (dot_product(g.v, w.w22)::REAL + e.v[w.o * 32 + 23])::REAL, (dot_product(g.v, w.w23)::REAL + e.v[w.o * 32 + 24])::REAL, (dot_product(g.v, w.w24)::REAL + e.v[w.o * 32 + 25])::REAL, (dot_product(g.v, w.w25)::REAL + e.v[w.o * 32 + 26])::REAL, (dot_product(g.v, w.w26)::REAL + e.v[w.o * 32 + 27])::REAL, (dot_product(g.v, w.w27)::REAL + e.v[w.o * 32 + 28])::REAL, (dot_product(g.v, w.w28)::REAL + e.v[w.o * 32 + 29])::REAL, (dot_product(g.v, w.w29)::REAL + e.v[w.o * 32 + 30])::REAL, (dot_product(g.v, w.w30)::REAL + e.v[w.o * 32 + 31])::REAL, (dot_product(g.v, w.w31)::REAL + e.v[w.o * 32 + 32])::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 5) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 3 THEN lag(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 3 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x > 0 THEN lead(s.v, 3) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 THEN lead(s.v, 4) OVER win ELSE z.z END) || (CASE WHEN s.y < 3 AND s.x < 3 THEN lead(s.v, 5) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t53 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 31) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g JOIN sqld_t54 AS e ON e.b = g.b AND e.y = g.y AND e.x = g.x CROSS JOIN "sqld_tiny.up_blocks.0.resnets.1.conv2" AS w;

-- up_blocks.0.attentions.1.group_norm (group_norm)
CREATE TEMP TABLE sqld_t56 AS
WITH sl AS (SELECT s.b, g, s.v[g * 4 + 1 : g * 4 + 4] AS sl
            FROM sqld_t55 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL, 1::REAL, 1::REAL])::DOUBLE PRECISION) / 64 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 64 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.up_blocks.0.attentions.1.group_norm" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.up_blocks.0.attentions.1.group_norm" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 4 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg((u.a * u.sc + u.sh)::REAL ORDER BY u.k) AS v
FROM sqld_t55 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- up_blocks.0.attentions.1.qkv (attention)
CREATE TEMP TABLE sqld_t57 AS
SELECT p.b, p.y, p.x, array_agg(a ORDER BY p.o, t) AS v
FROM (
SELECT g.b, g.y, g.x, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL, dot_product(g.v, w.w16)::REAL, dot_product(g.v, w.w17)::REAL, dot_product(g.v, w.w18)::REAL, dot_product(g.v, w.w19)::REAL, dot_product(g.v, w.w20)::REAL, dot_product(g.v, w.w21)::REAL, dot_product(g.v, w.w22)::REAL, dot_product(g.v, w.w23)::REAL, dot_product(g.v, w.w24)::REAL, dot_product(g.v, w.w25)::REAL, dot_product(g.v, w.w26)::REAL, dot_product(g.v, w.w27)::REAL, dot_product(g.v, w.w28)::REAL, dot_product(g.v, w.w29)::REAL, dot_product(g.v, w.w30)::REAL, dot_product(g.v, w.w31)::REAL] AS v
FROM (SELECT b, y, x, v || array[1::REAL] AS v FROM sqld_t56) AS g CROSS JOIN "sqld_tiny.up_blocks.0.attentions.1.qkv" AS w
) AS p, unnest(p.v) WITH ORDINALITY AS u(a, t)
GROUP BY p.b, p.y, p.x;

-- up_blocks.0.attentions.1.attention (attention)
CREATE TEMP TABLE sqld_t58 AS
WITH hd AS (SELECT b, y * 4 + x AS i, h, v[h * 16 + 1 : h * 16 + 16] AS q,
                   v[32 + h * 16 + 1 : 32 + h * 16 + 16] AS k,
                   v[64 + h * 16 + 1 : 64 + h * 16 + 16] AS val
            FROM sqld_t57 AS s CROSS JOIN generate_series(0, 1) AS r_h(h)),
sc AS (SELECT q.b, q.i, q.h, k.i AS j, (dot_product(q.q, k.k) * 0.25::REAL)::REAL AS s
       FROM hd AS q JOIN hd AS k ON k.b = q.b AND k.h = q.h),
mx AS (SELECT b, i, h, max(s) AS m FROM sc GROUP BY b, i, h),
ex AS (SELECT sc.b, sc.i, sc.h, sc.j, exp(sc.s - mx.m)::REAL AS e FROM sc JOIN mx ON mx.b = sc.b AND mx.i = sc.i AND mx.h = sc.h),
e AS (SELECT b, i, h, array_agg(e ORDER BY j) AS e, sum(e::DOUBLE PRECISION) AS total FROM ex GROUP BY b, i, h),
vt AS (SELECT b, h, array_agg(val[1] ORDER BY i) AS t0, array_agg(val[2] ORDER BY i) AS t1, array_agg(val[3] ORDER BY i) AS t2, array_agg(val[4] ORDER BY i) AS t3, array_agg(val[5] ORDER BY i) AS t4, array_agg(val[6] ORDER BY i) AS t5, array_agg(val[7] ORDER BY i) AS t6, array_agg(val[8] ORDER BY i) AS t7, array_agg(val[9] ORDER BY i) AS t8, array_agg(val[10] ORDER BY i) AS t9, array_agg(val[11] ORDER BY i) AS t10, array_agg(val[12] ORDER BY i) AS t11, array_agg(val[13] ORDER BY i) AS t12, array_agg(val[14] ORDER BY i) AS t13, array_agg(val[15] ORDER BY i) AS t14, array_agg(val[16] ORDER BY i) AS t15 FROM hd GROUP BY b, h),
o AS (SELECT e.b, e.i / 4 AS y, e.i % 4 AS x, e.h, array[(dot_product(e.e, vt.t0) / e.total)::REAL, (dot_product(e.e, vt.t1) / e.total)::REAL, (dot_product(e.e, vt.t2) / e.total)::REAL, (dot_product(e.e, vt.t3) / e.total)::REAL, (dot_product(e.e, vt.t4) / e.total)::REAL, (dot_product(e.e, vt.t5) / e.total)::REAL, (dot_product(e.e, vt.t6) / e.total)::REAL, (dot_product(e.e, vt.t7) / e.total)::REAL, (dot_product(e.e, vt.t8) / e.total)::REAL, (dot_product(e.e, vt.t9) / e.total)::REAL, (dot_product(e.e, vt.t10) / e.total)::REAL, (dot_product(e.e, vt.t11) / e.total)::REAL, (dot_product(e.e, vt.t12) / e.total)::REAL, (dot_product(e.e, vt.t13) / e.total)::REAL, (dot_product(e.e, vt.t14) / e.total)::REAL, (dot_product(e.e, vt.t15) / e.total)::REAL] AS v
      FROM e JOIN vt ON vt.b = e.b AND vt.h = e.h)
SELECT p.b, p.y, p.x, array_agg(a ORDER BY p.h, t) AS v
FROM o AS p, unnest(p.v) WITH ORDINALITY AS u(a, t)
GROUP BY p.b, p.y, p.x;

-- up_blocks.0.attentions.1.to_out.0 (attention)
CREATE TEMP TABLE sqld_t59 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 32 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 32 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 32 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 32 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 32 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 32 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 32 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 32 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 32 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 32 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 32 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 32 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 32 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 32 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 32 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 32 + 16])::REAL, (dot_product(g.v, w.w16)::REAL + e.v[w.o * 32 + 17])::REAL, (dot_product(g.v, w.w17)::REAL + e.v[w.o * 32 + 18])::REAL, (dot_product(g.v, w.w18)::REAL + e.v[w.o * 32 + 19])::REAL, (dot_product(g.v, w.w19)::REAL + e.v[w.o * 32 + 20])::REAL, (dot_product(g.v, w.w20)::REAL + e.v[w.o * 32 + 21])::REAL, (dot_product(g.v, w.w21)::REAL + e.v[w.o * 32 + 22])::REAL, (dot_product(g.v, w.w22)::REAL + e.v[w.o * 32 + 23])::REAL, (dot_product(g.v, w.w23)::REAL + e.v[w.o * 32 + 24])::REAL, (dot_product(g.v, w.w24)::REAL + e.v[w.o * 32 + 25])::REAL, (dot_product(g.v, w.w25)::REAL + e.v[w.o * 32 + 26])::REAL, (dot_product(g.v, w.w26)::REAL + e.v[w.o * 32 + 27])::REAL, (dot_product(g.v, w.w27)::REAL + e.v[w.o * 32 + 28])::REAL, (dot_product(g.v, w.w28)::REAL + e.v[w.o * 32 + 29])::REAL, (dot_product(g.v, w.w29)::REAL + e.v[w.o * 32 + 30])::REAL, (dot_product(g.v, w.w30)::REAL + e.v[w.o * 32 + 31])::REAL, (dot_product(g.v, w.w31)::REAL + e.v[w.o * 32 + 32])::REAL] AS v
FROM (SELECT b, y, x, v || array[1::REAL] AS v FROM sqld_t58) AS g JOIN sqld_t55 AS e ON e.b = g.b AND e.y = g.y AND e.x = g.x CROSS JOIN "sqld_tiny.up_blocks.0.attentions.1.to_out.0" AS w;

-- up_blocks.0.upsamplers.0.conv (conv3x3)
CREATE TEMP TABLE sqld_t60 AS
SELECT g.b, g.y, g.x, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL, dot_product(g.v, w.w16)::REAL, dot_product(g.v, w.w17)::REAL, dot_product(g.v, w.w18)::REAL, dot_product(g.v, w.w19)::REAL, dot_product(g.v, w.w20)::REAL, dot_product(g.v, w.w21)::REAL, dot_product(g.v, w.w22)::REAL, dot_product(g.v, w.w23)::REAL, dot_product(g.v, w.w24)::REAL, dot_product(g.v, w.w25)::REAL, dot_product(g.v, w.w26)::REAL, dot_product(g.v, w.w27)::REAL, dot_product(g.v, w.w28)::REAL, dot_product(g.v, w.w29)::REAL, dot_product(g.v, w.w30)::REAL, dot_product(g.v, w.w31)::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 9) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 7 THEN lag(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 7 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x > 0 THEN lead(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 THEN lead(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x < 7 THEN lead(s.v, 9) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM (SELECT s.b, 2 * s.y + u.dy AS y, 2 * s.x + u.dx AS x, s.v FROM sqld_t59 s CROSS JOIN (VALUES (0, 0), (0, 1), (1, 0), (1, 1)) AS u(dy, dx)) AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 31) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g CROSS JOIN "sqld_tiny.up_blocks.0.upsamplers.0.conv" AS w;

-- up_blocks.1.resnets.0.concat (concat)
CREATE TEMP TABLE sqld_t61 AS
SELECT h.b, h.y, h.x, h.v || s.v AS v
FROM sqld_t60 h JOIN sqld_t12 s ON s.b = h.b AND s.y = h.y AND s.x = h.x;

-- up_blocks.1.resnets.0.norm1 (group_norm)
CREATE TEMP TABLE sqld_t62 AS
WITH sl AS (SELECT s.b, g, s.v[g * 6 + 1 : g * 6 + 6] AS sl
            FROM sqld_t61 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL, 1::REAL, 1::REAL, 1::REAL, 1::REAL])::DOUBLE PRECISION) / 384 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 384 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.up_blocks.1.resnets.0.norm1" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.up_blocks.1.resnets.0.norm1" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 6 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t61 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- up_blocks.1.resnets.0.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t63 AS
SELECT g.b, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL] AS v
FROM (SELECT b, v || array[1::REAL] AS v FROM sqld_t5) AS g CROSS JOIN "sqld_tiny.up_blocks.1.resnets.0.time_emb_proj" AS w;

-- up_blocks.1.resnets.0.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t64 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 16 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 16 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 16 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 16 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 16 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 16 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 16 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 16 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 16 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 16 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 16 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 16 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 16 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 16 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 16 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 16 + 16])::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 9) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 7 THEN lag(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 7 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x > 0 THEN lead(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 THEN lead(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x < 7 THEN lead(s.v, 9) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t62 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 47) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g JOIN sqld_t63 AS e ON e.b = g.b CROSS JOIN "sqld_tiny.up_blocks.1.resnets.0.conv1" AS w;

-- up_blocks.1.resnets.0.norm2 (group_norm)
CREATE TEMP TABLE sqld_t65 AS
WITH sl AS (SELECT s.b, g, s.v[g * 2 + 1 : g * 2 + 2] AS sl
            FROM sqld_t64 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL])::DOUBLE PRECISION) / 128 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 128 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.up_blocks.1.resnets.0.norm2" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.up_blocks.1.resnets.0.norm2" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 2 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t64 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- up_blocks.1.resnets.0.conv_shortcut (dense)
CREATE TEMP TABLE sqld_t66 AS
SELECT g.b, g.y, g.x, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL] AS v
FROM (SELECT b, y, x, v || array[1::REAL] AS v FROM sqld_t61) AS g CROSS JOIN "sqld_tiny.up_blocks.1.resnets.0.conv_shortcut" AS w;

-- up_blocks.1.resnets.0.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t67 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 16 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 16 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 16 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 16 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 16 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 16 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 16 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 16 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 16 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 16 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 16 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 16 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 16 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 16 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 16 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 16 + 16])::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 9) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 7 THEN lag(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 7 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x > 0 THEN lead(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 THEN lead(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x < 7 THEN lead(s.v, 9) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t65 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 15) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g JOIN sqld_t66 AS e ON e.b = g.b AND e.y = g.y AND e.x = g.x CROSS JOIN "sqld_tiny.up_blocks.1.resnets.0.conv2" AS w;

-- up_blocks.1.resnets.1.concat (concat)
CREATE TEMP TABLE sqld_t68 AS
SELECT h.b, h.y, h.x, h.v || s.v AS v
FROM sqld_t67 h JOIN sqld_t7 s ON s.b = h.b AND s.y = h.y AND s.x = h.x;

-- up_blocks.1.resnets.1.norm1 (group_norm)
CREATE TEMP TABLE sqld_t69 AS
WITH sl AS (SELECT s.b, g, s.v[g * 4 + 1 : g * 4 + 4] AS sl
            FROM sqld_t68 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL, 1::REAL, 1::REAL])::DOUBLE PRECISION) / 256 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 256 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.up_blocks.1.resnets.1.norm1" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.up_blocks.1.resnets.1.norm1" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 4 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t68 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- up_blocks.1.resnets.1.time_emb_proj (dense)
CREATE TEMP TABLE sqld_t70 AS
SELECT g.b, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL] AS v
FROM (SELECT b, v || array[1::REAL] AS v FROM sqld_t5) AS g CROSS JOIN "sqld_tiny.up_blocks.1.resnets.1.time_emb_proj" AS w;

-- up_blocks.1.resnets.1.conv1 (conv3x3)
CREATE TEMP TABLE sqld_t71 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 16 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 16 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 16 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 16 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 16 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 16 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 16 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 16 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 16 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 16 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 16 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 16 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 16 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 16 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 16 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 16 + 16])::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 9) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 7 THEN lag(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 7 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x > 0 THEN lead(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 THEN lead(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x < 7 THEN lead(s.v, 9) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t69 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 31) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g JOIN sqld_t70 AS e ON e.b = g.b CROSS JOIN "sqld_tiny.up_blocks.1.resnets.1.conv1" AS w;

-- up_blocks.1.resnets.1.norm2 (group_norm)
CREATE TEMP TABLE sqld_t72 AS
WITH sl AS (SELECT s.b, g, s.v[g * 2 + 1 : g * 2 + 2] AS sl
            FROM sqld_t71 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL])::DOUBLE PRECISION) / 128 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 128 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.up_blocks.1.resnets.1.norm2" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.up_blocks.1.resnets.1.norm2" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 2 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t71 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- up_blocks.1.resnets.1.conv_shortcut (dense)
CREATE TEMP TABLE sqld_t73 AS
SELECT g.b, g.y, g.x, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL, dot_product(g.v, w.w3)::REAL, dot_product(g.v, w.w4)::REAL, dot_product(g.v, w.w5)::REAL, dot_product(g.v, w.w6)::REAL, dot_product(g.v, w.w7)::REAL, dot_product(g.v, w.w8)::REAL, dot_product(g.v, w.w9)::REAL, dot_product(g.v, w.w10)::REAL, dot_product(g.v, w.w11)::REAL, dot_product(g.v, w.w12)::REAL, dot_product(g.v, w.w13)::REAL, dot_product(g.v, w.w14)::REAL, dot_product(g.v, w.w15)::REAL] AS v
FROM (SELECT b, y, x, v || array[1::REAL] AS v FROM sqld_t68) AS g CROSS JOIN "sqld_tiny.up_blocks.1.resnets.1.conv_shortcut" AS w;

-- up_blocks.1.resnets.1.conv2 (conv3x3)
CREATE TEMP TABLE sqld_t74 AS
SELECT g.b, g.y, g.x, w.o, array[(dot_product(g.v, w.w0)::REAL + e.v[w.o * 16 + 1])::REAL, (dot_product(g.v, w.w1)::REAL + e.v[w.o * 16 + 2])::REAL, (dot_product(g.v, w.w2)::REAL + e.v[w.o * 16 + 3])::REAL, (dot_product(g.v, w.w3)::REAL + e.v[w.o * 16 + 4])::REAL, (dot_product(g.v, w.w4)::REAL + e.v[w.o * 16 + 5])::REAL, (dot_product(g.v, w.w5)::REAL + e.v[w.o * 16 + 6])::REAL, (dot_product(g.v, w.w6)::REAL + e.v[w.o * 16 + 7])::REAL, (dot_product(g.v, w.w7)::REAL + e.v[w.o * 16 + 8])::REAL, (dot_product(g.v, w.w8)::REAL + e.v[w.o * 16 + 9])::REAL, (dot_product(g.v, w.w9)::REAL + e.v[w.o * 16 + 10])::REAL, (dot_product(g.v, w.w10)::REAL + e.v[w.o * 16 + 11])::REAL, (dot_product(g.v, w.w11)::REAL + e.v[w.o * 16 + 12])::REAL, (dot_product(g.v, w.w12)::REAL + e.v[w.o * 16 + 13])::REAL, (dot_product(g.v, w.w13)::REAL + e.v[w.o * 16 + 14])::REAL, (dot_product(g.v, w.w14)::REAL + e.v[w.o * 16 + 15])::REAL, (dot_product(g.v, w.w15)::REAL + e.v[w.o * 16 + 16])::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 9) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 7 THEN lag(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 7 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x > 0 THEN lead(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 THEN lead(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x < 7 THEN lead(s.v, 9) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t72 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 15) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g JOIN sqld_t73 AS e ON e.b = g.b AND e.y = g.y AND e.x = g.x CROSS JOIN "sqld_tiny.up_blocks.1.resnets.1.conv2" AS w;

-- conv_norm_out (group_norm)
CREATE TEMP TABLE sqld_t75 AS
WITH sl AS (SELECT s.b, g, s.v[g * 2 + 1 : g * 2 + 2] AS sl
            FROM sqld_t74 AS s CROSS JOIN generate_series(0, 7) AS r_g(g)),
st AS (SELECT b, g, sum(dot_product(sl, array[1::REAL, 1::REAL])::DOUBLE PRECISION) / 128 AS mean,
              sum(dot_product(sl, sl)::DOUBLE PRECISION) / 128 AS sq FROM sl GROUP BY b, g),
mr AS (SELECT b, g, mean, 1 / sqrt(greatest(sq - mean * mean, 0) + 1e-05) AS rstd FROM st),
pk AS (SELECT gm, bt, k FROM (SELECT w0 AS gamma FROM "sqld_tiny.conv_norm_out" WHERE o = 0) AS ga
       CROSS JOIN (SELECT w0 AS beta FROM "sqld_tiny.conv_norm_out" WHERE o = 1) AS be,
       unnest(ga.gamma, be.beta) WITH ORDINALITY AS u(gm, bt, k)),
ss AS (SELECT mr.b, array_agg((pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS scale,
              array_agg((pk.bt - mr.mean * pk.gm * mr.rstd)::REAL ORDER BY pk.k) AS shift
       FROM pk JOIN mr ON mr.g = (pk.k - 1) / 2 GROUP BY mr.b)
SELECT s.b, s.y, s.x, array_agg(((u.a * u.sc + u.sh) / (1 + exp(-(u.a * u.sc + u.sh))))::REAL ORDER BY u.k) AS v
FROM sqld_t74 AS s JOIN ss ON ss.b = s.b, unnest(s.v, ss.scale, ss.shift) WITH ORDINALITY AS u(a, sc, sh, k)
GROUP BY s.b, s.y, s.x;

-- conv_out (conv3x3)
CREATE TEMP TABLE sqld_t76 AS
SELECT g.b, g.y, g.x, w.o, array[dot_product(g.v, w.w0)::REAL, dot_product(g.v, w.w1)::REAL, dot_product(g.v, w.w2)::REAL] AS v
FROM (SELECT s.b, s.y, s.x, (CASE WHEN s.y > 0 AND s.x > 0 THEN lag(s.v, 9) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 THEN lag(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y > 0 AND s.x < 7 THEN lag(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.x > 0 THEN lag(s.v, 1) OVER win ELSE z.z END) || (s.v) || (CASE WHEN s.x < 7 THEN lead(s.v, 1) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x > 0 THEN lead(s.v, 7) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 THEN lead(s.v, 8) OVER win ELSE z.z END) || (CASE WHEN s.y < 7 AND s.x < 7 THEN lead(s.v, 9) OVER win ELSE z.z END) || array[1::REAL] AS v
  FROM sqld_t75 AS s CROSS JOIN (SELECT array_agg(0::REAL) AS z FROM generate_series(0, 15) AS r_zz(zz)) AS z
  WINDOW win AS (PARTITION BY s.b ORDER BY s.y, s.x)) AS g CROSS JOIN "sqld_tiny.conv_out" AS w;

-- the timesteps relation
SELECT b, (t)::DOUBLE PRECISION AS t FROM (VALUES (0, 9.0), (1, 4.5)) AS v(b, t);

-- the schedule
SELECT s::INTEGER AS t, (exp(sum(ln((1 - (CASE WHEN s < 5 THEN 0.0001::REAL::DOUBLE PRECISION + ((0.02::REAL - 0.0001::REAL)::REAL / 9)::REAL::DOUBLE PRECISION * s ELSE 0.02::REAL::DOUBLE PRECISION - ((0.02::REAL - 0.0001::REAL)::REAL / 9)::REAL::DOUBLE PRECISION * (9 - s) END)::REAL)::REAL)) OVER (ORDER BY s))::REAL)::DOUBLE PRECISION AS alpha_bar
FROM generate_series(0, 9) AS r_s(s);

-- x_T: noise of seed 7, stream 0
SELECT (bb)::INTEGER AS b, (yy)::INTEGER AS y, (xx)::INTEGER AS x, array[(sqrt(-2 * ln(((((h0 >> 32) & 4294967295) + 1)::DOUBLE PRECISION / 4294967296.0))) * cos(2 * pi() * ((h0 & 4294967295)::DOUBLE PRECISION / 4294967296.0)))::REAL, (sqrt(-2 * ln(((((h1 >> 32) & 4294967295) + 1)::DOUBLE PRECISION / 4294967296.0))) * cos(2 * pi() * ((h1 & 4294967295)::DOUBLE PRECISION / 4294967296.0)))::REAL, (sqrt(-2 * ln(((((h2 >> 32) & 4294967295) + 1)::DOUBLE PRECISION / 4294967296.0))) * cos(2 * pi() * ((h2 & 4294967295)::DOUBLE PRECISION / 4294967296.0)))::REAL] AS v FROM (
  SELECT bb, yy, xx, ((((((((((((((l0 # 2654435769)::BIGINT) >> 16) # ((l0 # 2654435769)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((l0 # 2654435769)::BIGINT) >> 16) # ((l0 # 2654435769)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # ((((((((((l0 # 2654435769)::BIGINT) >> 16) # ((l0 # 2654435769)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((l0 # 2654435769)::BIGINT) >> 16) # ((l0 # 2654435769)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295))) << 32) | l0 AS h0, ((((((((((((((l1 # 2654435769)::BIGINT) >> 16) # ((l1 # 2654435769)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((l1 # 2654435769)::BIGINT) >> 16) # ((l1 # 2654435769)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # ((((((((((l1 # 2654435769)::BIGINT) >> 16) # ((l1 # 2654435769)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((l1 # 2654435769)::BIGINT) >> 16) # ((l1 # 2654435769)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295))) << 32) | l1 AS h1, ((((((((((((((l2 # 2654435769)::BIGINT) >> 16) # ((l2 # 2654435769)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((l2 # 2654435769)::BIGINT) >> 16) # ((l2 # 2654435769)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # ((((((((((l2 # 2654435769)::BIGINT) >> 16) # ((l2 # 2654435769)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((l2 # 2654435769)::BIGINT) >> 16) # ((l2 # 2654435769)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295))) << 32) | l2 AS h2 FROM (
    SELECT bb, yy, xx, ((((((((((((lo0 # hi0)::BIGINT) >> 16) # ((lo0 # hi0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((lo0 # hi0)::BIGINT) >> 16) # ((lo0 # hi0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # ((((((((((lo0 # hi0)::BIGINT) >> 16) # ((lo0 # hi0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((lo0 # hi0)::BIGINT) >> 16) # ((lo0 # hi0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295)) AS l0, ((((((((((((lo1 # hi1)::BIGINT) >> 16) # ((lo1 # hi1)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((lo1 # hi1)::BIGINT) >> 16) # ((lo1 # hi1)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # ((((((((((lo1 # hi1)::BIGINT) >> 16) # ((lo1 # hi1)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((lo1 # hi1)::BIGINT) >> 16) # ((lo1 # hi1)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295)) AS l1, ((((((((((((lo2 # hi2)::BIGINT) >> 16) # ((lo2 # hi2)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((lo2 # hi2)::BIGINT) >> 16) # ((lo2 # hi2)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # ((((((((((lo2 # hi2)::BIGINT) >> 16) # ((lo2 # hi2)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((lo2 # hi2)::BIGINT) >> 16) # ((lo2 # hi2)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295)) AS l2 FROM (
      SELECT bb, yy, xx, n0 & 4294967295 AS lo0, (((((((((((((n0 >> 32) # k)::BIGINT) >> 16) # (((n0 >> 32) # k)::BIGINT)) * 73244475) & 4294967295) >> 16) # (((((((n0 >> 32) # k)::BIGINT) >> 16) # (((n0 >> 32) # k)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # (((((((((((n0 >> 32) # k)::BIGINT) >> 16) # (((n0 >> 32) # k)::BIGINT)) * 73244475) & 4294967295) >> 16) # (((((((n0 >> 32) # k)::BIGINT) >> 16) # (((n0 >> 32) # k)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295)) AS hi0, n1 & 4294967295 AS lo1, (((((((((((((n1 >> 32) # k)::BIGINT) >> 16) # (((n1 >> 32) # k)::BIGINT)) * 73244475) & 4294967295) >> 16) # (((((((n1 >> 32) # k)::BIGINT) >> 16) # (((n1 >> 32) # k)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # (((((((((((n1 >> 32) # k)::BIGINT) >> 16) # (((n1 >> 32) # k)::BIGINT)) * 73244475) & 4294967295) >> 16) # (((((((n1 >> 32) # k)::BIGINT) >> 16) # (((n1 >> 32) # k)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295)) AS hi1, n2 & 4294967295 AS lo2, (((((((((((((n2 >> 32) # k)::BIGINT) >> 16) # (((n2 >> 32) # k)::BIGINT)) * 73244475) & 4294967295) >> 16) # (((((((n2 >> 32) # k)::BIGINT) >> 16) # (((n2 >> 32) # k)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # (((((((((((n2 >> 32) # k)::BIGINT) >> 16) # (((n2 >> 32) # k)::BIGINT)) * 73244475) & 4294967295) >> 16) # (((((((n2 >> 32) # k)::BIGINT) >> 16) # (((n2 >> 32) # k)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295)) AS hi2 FROM (
        SELECT bb, yy, xx, ((bb::BIGINT * 65536 + 0) * 64 + yy * 8 + xx) * 3 + 0 AS n0, ((bb::BIGINT * 65536 + 0) * 64 + yy * 8 + xx) * 3 + 1 AS n1, ((bb::BIGINT * 65536 + 0) * 64 + yy * 8 + xx) * 3 + 2 AS n2, ((((((((((((7 # ((((((((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # ((((((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295)))::BIGINT) >> 16) # ((7 # ((((((((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # ((((((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295)))::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((7 # ((((((((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # ((((((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295)))::BIGINT) >> 16) # ((7 # ((((((((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # ((((((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295)))::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # ((((((((((7 # ((((((((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # ((((((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295)))::BIGINT) >> 16) # ((7 # ((((((((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # ((((((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295)))::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((7 # ((((((((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # ((((((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295)))::BIGINT) >> 16) # ((7 # ((((((((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295) >> 16) # ((((((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295) >> 16) # ((((((0)::BIGINT) >> 16) # ((0)::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295)))::BIGINT)) * 73244475) & 4294967295)) * 73244475) & 4294967295)) AS k
        FROM generate_series(0, 1) AS r_bb(bb), generate_series(0, 7) AS r_yy(yy), generate_series(0, 7) AS r_xx(xx)) n) s) l) g;

-- a DDPM step's coefficients, 9 -> 4
SELECT sqrt(abar_t) AS sa, sqrt(1 - abar_t) AS sb, sqrt(abar_p) * (1 - abar_t / abar_p) / (1 - abar_t) AS p, sqrt(abar_t / abar_p) * (1 - abar_p) / (1 - abar_t) AS q, 0.0 AS r, sqrt(greatest((1 - abar_p) / (1 - abar_t) * (1 - abar_t / abar_p), 1e-20)) AS sigma
FROM (SELECT (SELECT alpha_bar FROM sqld_schedule WHERE t = 9) AS abar_t,
       COALESCE((SELECT alpha_bar FROM sqld_schedule WHERE t = 4), 1.0) AS abar_p) AS a;

-- the sampler step
SELECT s.b, s.y, s.x, array[(c.p * greatest(-1.0, least(1.0, (s.v[1] - c.sb * e.v[1]) / c.sa)) + c.q * s.v[1] + c.r * e.v[1] + c.sigma * n.v[1])::REAL, (c.p * greatest(-1.0, least(1.0, (s.v[2] - c.sb * e.v[2]) / c.sa)) + c.q * s.v[2] + c.r * e.v[2] + c.sigma * n.v[2])::REAL, (c.p * greatest(-1.0, least(1.0, (s.v[3] - c.sb * e.v[3]) / c.sa)) + c.q * s.v[3] + c.r * e.v[3] + c.sigma * n.v[3])::REAL] AS v
FROM sqld_sample s JOIN sqld_eps e ON e.b = s.b AND e.y = s.y AND e.x = s.x
JOIN sqld_noise n ON n.b = s.b AND n.y = s.y AND n.x = s.x
CROSS JOIN sqld_step c;

-- a picture noised (image-to-image, RePaint's undo)
SELECT x.b, x.y, x.x, array[(c.sa * x.v[1] + c.sb * n.v[1])::REAL, (c.sa * x.v[2] + c.sb * n.v[2])::REAL, (c.sa * x.v[3] + c.sb * n.v[3])::REAL] AS v
FROM sqld_image x JOIN sqld_noise n ON n.b = x.b AND n.y = x.y AND n.x = x.x
CROSS JOIN sqld_step c;

-- a RePaint step
SELECT s.b, s.y, s.x, array[(m.v[1] * (c.ka * o.v[1] + c.kb * n.v[1]) + (1 - m.v[1]) * (c.p * greatest(-1.0, least(1.0, (s.v[1] - c.sb * e.v[1]) / c.sa)) + c.q * s.v[1] + c.r * e.v[1] + c.sigma * n.v[1]))::REAL, (m.v[2] * (c.ka * o.v[2] + c.kb * n.v[2]) + (1 - m.v[2]) * (c.p * greatest(-1.0, least(1.0, (s.v[2] - c.sb * e.v[2]) / c.sa)) + c.q * s.v[2] + c.r * e.v[2] + c.sigma * n.v[2]))::REAL, (m.v[3] * (c.ka * o.v[3] + c.kb * n.v[3]) + (1 - m.v[3]) * (c.p * greatest(-1.0, least(1.0, (s.v[3] - c.sb * e.v[3]) / c.sa)) + c.q * s.v[3] + c.r * e.v[3] + c.sigma * n.v[3]))::REAL] AS v
FROM sqld_sample s JOIN sqld_eps e ON e.b = s.b AND e.y = s.y AND e.x = s.x
JOIN sqld_noise n ON n.b = s.b AND n.y = s.y AND n.x = s.x
JOIN sqld_image o ON o.b = s.b AND o.y = s.y AND o.x = s.x
JOIN sqld_mask m ON m.b = s.b AND m.y = s.y AND m.x = s.x
CROSS JOIN sqld_step c;

-- two noises interpolated on the sphere
WITH s AS (SELECT sum((za.v[1]::DOUBLE PRECISION * zb.v[1] + za.v[2]::DOUBLE PRECISION * zb.v[2] + za.v[3]::DOUBLE PRECISION * zb.v[3])) AS ab, sum((za.v[1]::DOUBLE PRECISION * za.v[1] + za.v[2]::DOUBLE PRECISION * za.v[2] + za.v[3]::DOUBLE PRECISION * za.v[3])) AS aa, sum((zb.v[1]::DOUBLE PRECISION * zb.v[1] + zb.v[2]::DOUBLE PRECISION * zb.v[2] + zb.v[3]::DOUBLE PRECISION * zb.v[3])) AS bb
  FROM sqld_from za JOIN sqld_to zb ON zb.b = za.b AND zb.y = za.y AND zb.x = za.x),
a AS (SELECT acos(greatest(-1.0, least(1.0, ab / sqrt(aa * bb)))) AS theta FROM s),
w AS (SELECT f, CASE WHEN theta < 1e-6 THEN 1 - ((f)::DOUBLE PRECISION / 3) ELSE sin((1 - ((f)::DOUBLE PRECISION / 3)) * theta) / sin(theta) END AS ca,
             CASE WHEN theta < 1e-6 THEN ((f)::DOUBLE PRECISION / 3) ELSE sin(((f)::DOUBLE PRECISION / 3) * theta) / sin(theta) END AS cb
      FROM a, generate_series(0, 3) AS r_f(f))
SELECT (w.f)::INTEGER AS b, za.y, za.x, array[(w.ca * za.v[1] + w.cb * zb.v[1])::REAL, (w.ca * za.v[2] + w.cb * zb.v[2])::REAL, (w.ca * za.v[3] + w.cb * zb.v[3])::REAL] AS v
FROM sqld_from za JOIN sqld_to zb ON zb.b = za.b AND zb.y = za.y AND zb.x = za.x CROSS JOIN w;
