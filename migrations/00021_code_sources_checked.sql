-- +goose Up
-- The code dictionary against the texts that could be reached (issue 12, point 7; continues
-- migration 00019, whose notes stand where this one does not revise them). For each list: the
-- standard that governs it, what was compared, what changed, what is still unverified. Every
-- source below is a secondary copy found with the platform's search tools; no official text of
-- GB/T 26424-2010, GB/T 21010-2017, GB/T 24708-2009 or a national tree-species code table could be
-- read past its title page (35410.com/guifan/108218.html holds GB/T 26424-2010's cover and
-- contents only). "Corroborated" below means independent code tables agree, not that the
-- standard was read. seeds/policy/README.md ("Code sources") lists the same.
--
-- Sources compared:
--   [A] m.wenku365.com/p-44791928 (also 17tex.com/tex/3/451538.html): a county's 森林二类调查因子
--       分类及代码一览 — 权属 国有1 集体2 个人3 其它4; 林种 水源涵养林111 护岸林115 护路林116
--       速生丰产用材林132 一般用材林133 薪炭林141 果树林151 药用林154 其它经济林155; 起源 天然1
--       人工2; 龄组 幼龄林1 … 过熟林5; 公益林事权 国家级1 省级2 市级3 县级4.
--   [B] m.31doc.com/p-12058144 (因子代码表): 地类 乔木林0111 竹林0113 疏林地0120 国家特别规定灌木
--       林地0131 其他灌木林地0132 未成林造林地0141 未成林封育地0142 苗圃地0150 采伐迹地0161 火烧
--       迹地0162 …; 森林(林地)类别 重点公益林11 一般公益林12 重点商品林21 一般商品林22; 公益林事权
--       国家公益林10 地方公益林20.
--   [C] a Xinjiang county's field app (public source in the search index, file id 35871184453):
--       起源 11 纯天然 12 人工促进 13 天然萌生 21 植苗 22 直播 23 飞播 24 人工萌生; 林种 113 防风
--       固沙林 114 农田牧场防护林 115 护岸林 116 护路林 124 环境保护林 251 果树林; 地类 0111
--       0120 0131 0141 0150 0161 0163 0171 0172 as in [B]; 树种 460000 榆树, 530000 杨树, 7xx000
--       fruit and other economic species.
--   [D] a county "一张图" processing script (index file id 55292341304) reading the 2020-scheme
--       fields DI_LEI, LIN_ZHONG, BH_DJ, SEN_LIN_LB, GJGYL_BHDJ: 林种 111–117 防护林, 121–127 特用林,
--       231–233 用材林 (短轮伐期工业原料用材林, 速生丰产用材林, 一般用材林), 240 能源林, 251–255 经济林
--       (果树林, 食用原料林, 林化工业原料林, 药用林, 其他经济林); 地类 030100 乔木林地, 030200 竹林地,
--       030301 特殊灌木林地, 030302 一般灌木林地, 030401 疏林地, 030402 and 030403 未成林地,
--       030404 苗圃地, 030405 采伐迹地, 030406 火烧迹地; 事权等级 11 国家级 21 省级 23 市级 24 县级.
--   [E] GB/T 21010-2017 林地 second-level codes as several public code tables give them (0301 乔木
--       林地, 0302 竹林地, 0303 红树林地, 0304 森林沼泽, 0305 灌木林地, 0306 灌丛沼泽, 0307 其他林地),
--       and a mapping to the land-and-sea use classification (用地用海分类) where 0303 is 灌木林地
--       and 0304 其他林地 (index file id 40191303710).
--   [F] the five 林种 and their sub-kinds as the 1984/2019 Forest Law and secondary pages word them
--       (m.fx361.cc/news/2013/0815/13533821.html, m.neibaike.com/changshi/yeAaqJ6A3E.html).
--
-- LIN_ZHONG 林种 — FIXED. [A], [C] and [D] number economic forest 25x (果树林 251/151, 药用林
--   254/154, 其他经济林 255/155) and energy (fuel) forest 240/141; the dictionary had economic
--   forest at 241/242/245 and 255 as 「其他能源林」, so a county file's 255 (其他经济林) was read
--   as energy forest and its 251–254 were refused. Now: 240 能源林 (GB/T 26424-2010 and [A] say
--   薪炭林; the 2019 Forest Law and [D] say 能源林), 251 果树林, 252 食用原料林, 253 林化工业原料林,
--   254 药用林, 255 其他经济林; 231 is 短轮伐期工业原料用材林 as [D] words it; the protection and
--   special-use sub-kinds the dictionary lacked are added with the numbering [C] and [D] agree on
--   (113 防风固沙林, 114 农田牧场防护林, 116 护路林, 121 国防林, 122 实验林, 124 环境保护林, 126 名胜
--   古迹和革命纪念林). 241, 242 and 245 are no code of any table read: stored parcels carrying them
--   are renumbered 251, 252, 255 (the labels they were entered under), demo parcels' 255 (drawn
--   as coppice fuelwood) become 240; a non-demo parcel's 255 stays 255 and now reads 其他经济林, as
--   the county file that carried it meant. NOT VERIFIED against GB/T 26424's own table: the codes
--   121, 122 and 126 (order of [F], no table read shows them).
--   Legacy (scheme 'legacy', [A]): 132→232, 133→233, 141→240, 151→251, 154→254, 155→255, and the
--   1xx public-welfare codes as themselves (the same numbers and meaning in both tables, so a file
--   mixing them is read whole).
-- DI_LEI 地类 — labels unchanged. GB/T 26424's land-class names (乔木林地, 竹林地, 特殊/一般灌木林地,
--   疏林地, 未成林造林地, 苗圃地 …) agree with [B], [C], [D]. [D] corroborates 030100, 030200, 030301,
--   030302, 030401, 030402, 030404. CONTRADICTED, NOT CHANGED: [D] has 030403 as a second 未成林地
--   code (未成林封育地, as [B]'s 0142) and 迹地 at 030405 采伐迹地 / 030406 火烧迹地, where the
--   dictionary has 030403 迹地; one script is not enough to renumber, so 030403 stays and must not
--   be cited until the 2020 monitoring data standard's table is read. The six-digit prefixes follow
--   the 用地用海 numbering (0303 灌木林地, 0304 其他林地), not GB/T 21010-2017 ([E]: 0303 红树林地,
--   0305 灌木林地).
--   Legacy four-digit codes of older county files ([B], corroborated by [C]) map where the meaning
--   is the same: 0111 乔木林 → 030100, 0113 竹林 → 030200, 0120 → 030401, 0131 → 030301, 0132 →
--   030302, 0141 → 030402, 0150 → 030404. Not mapped (reported as unknown codes, kept in extra):
--   0112 红树林, 0142 未成林封育地, 0161/0162 迹地 (the 030403 question above), 0163, 017x, 0180 —
--   the dictionary has no code of theirs.
-- SEN_LIN_LB 森林类别 011/012/021/022 — unchanged (LY/T 1556-2000 names the two categories; no
--   three-digit table read). Legacy ([B]): 11 → 011, 12 → 012, 21 → 021, 22 → 022. [A]'s 1 生态
--   公益林 / 2 商品林 does not say key or ordinary and is not mapped.
-- SHI_QUAN_D 事权等级 1/2/3 — unchanged, NOT VERIFIED: [A] has 1 国家级 2 省级 3 市级 4 县级, [D]
--   11/21/23/24; no standard table read. Legacy ([B]): 10 国家公益林 → 1; 20 地方公益林 does not
--   say provincial or local and is not mapped.
-- GJGYL_BHDJ 1 一级 / 2 二级 — unchanged (00019). [A]'s 特殊1 重点2 一般3 is the older 保护等级
--   of public-welfare forest, not the national grade, and is not mapped.
-- BH_DJ Ⅰ–Ⅳ级保护林地 — unchanged (00019; [D] reads the same 1–4).
-- LD_QS 10/20/21–23, LM_QS 10–90 — unchanged, NOT VERIFIED (no table of the two-digit codes read).
--   Legacy LM_QS ([A], an old ownership list): 3 个人 → 30, 4 其它 → 90, besides 00002's 1, 2, 5,
--   6, 7 (1 and 2 agree with [A]); 5 非公有 → 80 stands (00019).
-- QI_YUAN 起源 11–13, 21–24 — codes corroborated by [C] (same numbers, same meanings); labels
--   unchanged (天然下种 for [C]'s 纯天然 is GB/T 26424's wording as recalled, not read). [A]'s 1
--   天然 / 2 人工 has no sub-code to map to and is not mapped (the policy's origin classes would
--   need codes for "natural, not subdivided").
-- LING_ZU 1–5 — unchanged ([A], 00019).
-- YOU_SHI_SZ 优势树种 — unchanged, NOT VERIFIED, and one code CONTRADICTED: [C] has 530000 杨树 and
--   460000 榆树, where the dictionary has 530000 木荷; no national tree-species table could be
--   read, so no code was changed (the policy's species groups use them), and none of them may be
--   cited as the national list.
-- Wetland types (GB/T 24708-2009 湿地分类): not in the dictionary; no text of the standard read.
INSERT INTO code_dictionary (field, scheme, code, label_zh, label_en, maps_to) VALUES
    ('LIN_ZHONG', '2020', '113', '防风固沙林', 'windbreak and sand-fixation forest', NULL),
    ('LIN_ZHONG', '2020', '114', '农田牧场防护林', 'farmland and pasture shelter forest', NULL),
    ('LIN_ZHONG', '2020', '116', '护路林', 'roadside protection forest', NULL),
    ('LIN_ZHONG', '2020', '121', '国防林', 'national defence forest', NULL),
    ('LIN_ZHONG', '2020', '122', '实验林', 'experimental forest', NULL),
    ('LIN_ZHONG', '2020', '124', '环境保护林', 'environmental protection forest', NULL),
    ('LIN_ZHONG', '2020', '126', '名胜古迹和革命纪念林', 'historic and memorial site forest', NULL),
    ('LIN_ZHONG', '2020', '240', '能源林', 'energy (fuelwood) forest', NULL),
    ('LIN_ZHONG', '2020', '251', '果树林', 'fruit forest', NULL),
    ('LIN_ZHONG', '2020', '252', '食用原料林', 'edible-produce forest', NULL),
    ('LIN_ZHONG', '2020', '253', '林化工业原料林', 'forest-chemical raw-material forest', NULL),
    ('LIN_ZHONG', '2020', '254', '药用林', 'medicinal forest', NULL);
UPDATE parcel SET lin_zhong = '240' WHERE demo AND lin_zhong = '255';
UPDATE parcel SET lin_zhong = CASE lin_zhong WHEN '241' THEN '251' WHEN '242' THEN '252' ELSE '255' END
    WHERE lin_zhong IN ('241', '242', '245');
UPDATE code_dictionary SET label_zh = '其他经济林', label_en = 'other economic forest'
    WHERE field = 'LIN_ZHONG' AND scheme = '2020' AND code = '255';
UPDATE code_dictionary SET label_zh = '短轮伐期工业原料用材林', label_en = 'short-rotation industrial timber forest'
    WHERE field = 'LIN_ZHONG' AND scheme = '2020' AND code = '231';
DELETE FROM code_dictionary WHERE field = 'LIN_ZHONG' AND scheme = '2020' AND code IN ('241', '242', '245');
INSERT INTO code_dictionary (field, scheme, code, label_zh, label_en, maps_to)
    SELECT 'LIN_ZHONG', 'legacy', code, label_zh, label_en, code FROM code_dictionary
    WHERE field = 'LIN_ZHONG' AND scheme = '2020' AND code LIKE '1%';
INSERT INTO code_dictionary (field, scheme, code, label_zh, label_en, maps_to) VALUES
    ('LIN_ZHONG', 'legacy', '132', '速生丰产用材林', 'fast-growing timber forest', '232'),
    ('LIN_ZHONG', 'legacy', '133', '一般用材林', 'ordinary timber forest', '233'),
    ('LIN_ZHONG', 'legacy', '141', '薪炭林', 'fuelwood forest', '240'),
    ('LIN_ZHONG', 'legacy', '151', '果树林', 'fruit forest', '251'),
    ('LIN_ZHONG', 'legacy', '154', '药用林', 'medicinal forest', '254'),
    ('LIN_ZHONG', 'legacy', '155', '其它经济林', 'other economic forest', '255'),
    ('DI_LEI', 'legacy', '0111', '乔木林', 'arbor forest', '030100'),
    ('DI_LEI', 'legacy', '0113', '竹林', 'bamboo forest', '030200'),
    ('DI_LEI', 'legacy', '0120', '疏林地', 'sparse forest land', '030401'),
    ('DI_LEI', 'legacy', '0131', '国家特别规定灌木林地', 'shrub land specially designated by the state', '030301'),
    ('DI_LEI', 'legacy', '0132', '其他灌木林地', 'other shrub land', '030302'),
    ('DI_LEI', 'legacy', '0141', '未成林造林地', 'young plantation not yet closed', '030402'),
    ('DI_LEI', 'legacy', '0150', '苗圃地', 'nursery land', '030404'),
    ('SEN_LIN_LB', 'legacy', '11', '重点公益林', 'key public-welfare forest', '011'),
    ('SEN_LIN_LB', 'legacy', '12', '一般公益林', 'ordinary public-welfare forest', '012'),
    ('SEN_LIN_LB', 'legacy', '21', '重点商品林', 'key commercial forest', '021'),
    ('SEN_LIN_LB', 'legacy', '22', '一般商品林', 'ordinary commercial forest', '022'),
    ('SHI_QUAN_D', 'legacy', '10', '国家公益林', 'national public-welfare forest', '1'),
    ('LM_QS', 'legacy', '3', '个人', 'individual', '30'),
    ('LM_QS', 'legacy', '4', '其它', 'other', '90');

-- +goose Down
DELETE FROM code_dictionary WHERE scheme = 'legacy' AND (field IN ('LIN_ZHONG', 'DI_LEI', 'SEN_LIN_LB', 'SHI_QUAN_D')
    OR (field = 'LM_QS' AND code IN ('3', '4')));
INSERT INTO code_dictionary (field, scheme, code, label_zh, label_en, maps_to) VALUES
    ('LIN_ZHONG', '2020', '241', '果树林', 'fruit forest', NULL),
    ('LIN_ZHONG', '2020', '242', '食用原料林', 'edible-produce forest', NULL),
    ('LIN_ZHONG', '2020', '245', '其他经济林', 'other economic forest', NULL);
UPDATE parcel SET lin_zhong = CASE lin_zhong WHEN '251' THEN '241' WHEN '252' THEN '242' ELSE '245' END
    WHERE lin_zhong IN ('251', '252', '253', '254', '255');
UPDATE parcel SET lin_zhong = '255' WHERE lin_zhong = '240';
UPDATE parcel SET lin_zhong = NULL WHERE lin_zhong IN ('113', '114', '116', '121', '122', '124', '126');
UPDATE code_dictionary SET label_zh = '其他能源林', label_en = 'other energy forest'
    WHERE field = 'LIN_ZHONG' AND scheme = '2020' AND code = '255';
UPDATE code_dictionary SET label_zh = '短轮伐期用材林', label_en = 'short-rotation timber forest'
    WHERE field = 'LIN_ZHONG' AND scheme = '2020' AND code = '231';
DELETE FROM code_dictionary WHERE field = 'LIN_ZHONG' AND scheme = '2020'
    AND code IN ('113', '114', '116', '121', '122', '124', '126', '240', '251', '252', '253', '254');
