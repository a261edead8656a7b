-- +goose Up
-- The code dictionary checked against its standards (issue 12, point 7). What was read, what was
-- not, and what changed. "Read" means the words were read in a copy of the text found with the
-- platform's search tools (secondary copies; the official standard texts were not available);
-- "not verified" means no copy of the code table could be read: the row is kept as it was and
-- must not be cited as the standard's wording.
--
-- DI_LEI 地类 (scheme '2020', six-digit codes 030100 … 030404). GB/T 26424-2010 森林资源规划设计
--   调查技术规程 divides 林地 into 乔木林地, 竹林地, 灌木林地 (特殊灌木林地 / 一般灌木林地), 疏林地,
--   未成林造林地, 迹地, 苗圃地 …; the land-class NAMES here are those names. NOT VERIFIED: the
--   six-digit numbering. GB/T 21010-2017 土地利用现状分类 (the 三调 classification the 2020 scheme
--   follows) numbers 0303 and 0304 differently (红树林地, 森林沼泽, as recalled, not read), so
--   030301/030302/0304xx may be a county's own numbering; unchanged until the 2020 monitoring
--   data standard's table is read. Parcels and the policy file use these codes.
-- LD_QS 土地所有权, LM_QS 林木所有权 (scheme '2020', 10/20/21–23/30/40/50/90). GB/T 26424-2010
--   records land ownership as 国有 / 集体 and tree ownership and use rights by owner kind; a
--   county code list read for this check (森林二类调查因子分类及代码, m.wenku365.com/p-44791928)
--   codes 权属 国有 1, 集体 2, 个人 3, 其它 4. NOT VERIFIED: the two-digit 2020 codes and the
--   sub-codes 21–23 (household contract, joint households, collectively run) and 40/50; labels
--   unchanged.
-- LM_QS legacy scheme ('legacy': 1 国有, 2 集体, 5 非公有, 6 个人, 7 其他), kept for older county
--   files. FIXED: legacy 5 非公有 mapped to 40 企业 and so turned every individual, household and
--   partnership holding in such a file into an enterprise. 非公有 says only "not state, not
--   collective"; the file does not say who. It now maps to a new code of the platform's own,
--   LM_QS 80 非公有（未细分） — not a code of any standard — which the 2026 policy puts in the
--   ownership class "other" (seeds/policy/2026.json ownership_classes): never an enterprise,
--   paid what the policy pays "other", and not buyout-eligible until the rights holder is
--   subdivided from the forest-right certificate (re-import with 30/40/50, or the owner record).
--   Parcels imported before this migration keep the 40 they were given (the source code was not
--   stored): re-import those files.
-- SEN_LIN_LB 森林类别 011/012/021/022 (重点/一般 公益林/商品林): unchanged; NOT VERIFIED against a code
--   table (LY/T 1556-2000 公益林与商品林分类技术指标 defines the two categories; the county list
--   above codes 生态公益林 1, 商品林 2).
-- SHI_QUAN_D 事权等级 1 国家级, 2 省级, 3 市县级: the county list read above has 国家级 1, 省级 2,
--   市级 3, 县级 4. Unchanged (the policy's "3" means local public-welfare forest); NOT VERIFIED
--   against GB/T 26424; a file with 4 县级 is reported as an unknown code, not guessed.
-- GJGYL_BHDJ 国家级公益林保护等级 1 一级, 2 二级: the grading criteria read (a copy attributed to
--   the 国家级公益林区划界定办法, juduo.cc/club/3070483) say "划为一级" / "划为二级" and put the
--   forest land of national nature reserves in grade 1. Labels unchanged (they are those words).
--   Only national public-welfare forest (SHI_QUAN_D 1) carries a grade.
-- BH_DJ 林地保护等级 1–4: FIXED labels to the planning standard's own words Ⅰ级保护林地 … Ⅳ级保护林地
--   (read: 全国林地保护利用规划纲要 grades as quoted on qmve.com/changshi/dQObERVZ2Y, and the
--   Jiangxi 县级林地保护利用规划有关技术标准, m.wenke99.com/p-6420672: Ⅰ级 the core and buffer zones
--   of national and provincial nature reserves …; Ⅱ级 national public-welfare forest land not in
--   Ⅰ级, the experimental zones of reserves …; Ⅲ级 local public-welfare land and planned timber,
--   woody-oil and energy bases; Ⅳ级 all other forest land). The grade is defined by LY/T
--   1956-2011 县级林地保护利用规划编制技术规程, not by GB/T 26424 (not read). NOT VERIFIED: the
--   numeric codes 1–4.
-- LIN_ZHONG 林种 (three digits: 1xx public-welfare, 2xx commercial). The names of the groups read
--   on secondary pages (防护林: 水源涵养林, 水土保持林, …, 护岸林, 护路林, 其他防护林; 特种用途林: 国防林,
--   实验林, 母树林, 环境保护林, 风景林, 名胜古迹和革命纪念林, 自然保护区的森林; 用材林; 经济林: 果树林, …,
--   其他经济林; 薪炭林) match the labels kept here. GB/T 26424-2010 has 薪炭林 where the 2019 Forest
--   Law and the 2020 scheme have 能源林 (code 25x). NOT VERIFIED: the numeric codes, the exact
--   standard words of 231 短轮伐期用材林 (recalled as 短轮伐期工业原料用材林, not read), 242 食用原料林
--   and 255 其他能源林; labels unchanged.
-- QI_YUAN 起源 11–13 natural (天然下种, 人工促进天然更新, 萌生), 21–24 planted (植苗, 直播, 飞播, 人工萌生):
--   the county list read codes only 天然 1 / 人工 2. NOT VERIFIED: the sub-codes; unchanged.
-- LING_ZU 龄组 1 幼龄林, 2 中龄林, 3 近熟林, 4 成熟林, 5 过熟林: read in the county list (same codes,
--   same words). Unchanged.
-- YOU_SHI_SZ 优势树种 (six digits, 220000 马尾松, 310000 杉木, 660000 毛竹 …): NOT VERIFIED — no copy of the
--   national tree-species code table could be read; codes and names unchanged and must not be cited
--   as the national list until checked.
-- Wetland types (GB/T 24708) are not in this dictionary.
UPDATE code_dictionary SET label_zh = 'Ⅰ级保护林地', label_en = 'forest land protection grade I'
    WHERE field = 'BH_DJ' AND scheme = '2020' AND code = '1';
UPDATE code_dictionary SET label_zh = 'Ⅱ级保护林地', label_en = 'forest land protection grade II'
    WHERE field = 'BH_DJ' AND scheme = '2020' AND code = '2';
UPDATE code_dictionary SET label_zh = 'Ⅲ级保护林地', label_en = 'forest land protection grade III'
    WHERE field = 'BH_DJ' AND scheme = '2020' AND code = '3';
UPDATE code_dictionary SET label_zh = 'Ⅳ级保护林地', label_en = 'forest land protection grade IV'
    WHERE field = 'BH_DJ' AND scheme = '2020' AND code = '4';
UPDATE code_dictionary SET label_en = 'national public-welfare forest, grade 1'
    WHERE field = 'GJGYL_BHDJ' AND scheme = '2020' AND code = '1';
UPDATE code_dictionary SET label_en = 'national public-welfare forest, grade 2'
    WHERE field = 'GJGYL_BHDJ' AND scheme = '2020' AND code = '2';
INSERT INTO code_dictionary (field, scheme, code, label_zh, label_en, maps_to) VALUES
    ('LM_QS', '2020', '80', '非公有（未细分）', 'non-public, owner kind not recorded (platform code, not a standard code)', NULL);
UPDATE code_dictionary SET maps_to = '80', label_en = 'non-public (not subdivided)'
    WHERE field = 'LM_QS' AND scheme = 'legacy' AND code = '5';

-- +goose Down
UPDATE code_dictionary SET maps_to = '40', label_en = 'non-public'
    WHERE field = 'LM_QS' AND scheme = 'legacy' AND code = '5';
DELETE FROM code_dictionary WHERE field = 'LM_QS' AND scheme = '2020' AND code = '80';
UPDATE code_dictionary SET label_en = 'grade ' || code WHERE field = 'GJGYL_BHDJ' AND scheme = '2020';
UPDATE code_dictionary SET label_zh = CASE code WHEN '1' THEN 'Ⅰ级保护' WHEN '2' THEN 'Ⅱ级保护' WHEN '3' THEN 'Ⅲ级保护' ELSE 'Ⅳ级保护' END,
    label_en = 'protection grade ' || CASE code WHEN '1' THEN 'I' WHEN '2' THEN 'II' WHEN '3' THEN 'III' ELSE 'IV' END
    WHERE field = 'BH_DJ' AND scheme = '2020';
