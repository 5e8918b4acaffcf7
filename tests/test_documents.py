"""Documents → tasks: the five seed plans, the project's own fixtures in each layout, and bad input."""

from __future__ import annotations

import random
import time
from datetime import date
from functools import cache

import pytest
from conftest import FIXTURES, seed_text

from core.documents import decode_text, normalize_spaces, parse_plan
from core.models import DocumentError, Plan, Role, Task, UnitRef


@cache
def _seed_plan(prefix: str) -> Plan:
    """A seed plan parsed once per test session."""
    return parse_plan(seed_text(prefix))


def seed_plan(prefix: str) -> Plan:
    """The parsed seed; skips visibly when the seeds are absent."""
    seed_text(prefix)
    return _seed_plan(prefix)


def fixture_plan(name: str) -> Plan:
    """One of the project's own fixtures, parsed."""
    return parse_plan((FIXTURES / name).read_text(encoding="utf-8"))


def task(plan: Plan, seq: str) -> Task:
    """The task printed with this number."""
    return next(t for t in plan.tasks if t.seq == seq)


def names(t: Task) -> list[str]:
    """Unit names of a task, in order."""
    return [u.name for u in t.units]


# ---------------------------------------------------------------------------------------------------------
# Seeds: counts and metadata
# ---------------------------------------------------------------------------------------------------------

# 002: 31 numbered items in sections 二–九 plus one unnumbered paragraph with its own (责任单位:…);
# the headings of section 一 (`(一)指导思想`, `(二)工作目标`) stand alone on their lines and are no tasks.
# 003: 3 + 5 + 3 + 4 + 2 + 4 items, numbering restarting at （一） in each of the six sections.
SEED_COUNTS = [
    ("000", "table", 99),
    ("001", "table", 78),
    ("002", "prose", 32),
    ("003", "prose", 21),
    ("004", "outline", 55),
]


@pytest.mark.parametrize(("prefix", "layout", "count"), SEED_COUNTS)
def test_seed_layout_and_task_count(prefix: str, layout: str, count: int) -> None:
    plan = seed_plan(prefix)
    assert plan.layout == layout
    assert len(plan.tasks) == count


@pytest.mark.parametrize(("prefix", "layout", "count"), SEED_COUNTS)
def test_seed_numbers_run_without_gaps(prefix: str, layout: str, count: int) -> None:
    # Tables and outlines keep their printed numbers, prose gets a running number: 1..N either way.
    assert [t.seq for t in seed_plan(prefix).tasks] == [str(i) for i in range(1, count + 1)]


@pytest.mark.parametrize(
    ("prefix", "title", "issuer", "year", "issued"),
    [
        ("000", "2022年金山区政务公开工作要点任务分解表", None, 2022, None),
        ("001", "2022年浦东新区政务公开工作要点", "上海市浦东新区人民政府办公室", 2022, date(2022, 3, 21)),
        ("002", "2023年上海市嘉定区政务公开工作要点", "上海市嘉定区人民政府办公室", 2023, date(2023, 4, 20)),
        # 003 prints only `## 2022`; the title comes from its sentence `2022年，重固镇政务公开工作的总体要求是`.
        ("003", "2022年重固镇政务公开工作", None, 2022, None),
        ("004", "2022年鄞州区政务公开工作任务分解", None, 2022, None),
    ],
)
def test_seed_metadata(prefix: str, title: str, issuer: str | None, year: int, issued: date | None) -> None:
    plan = seed_plan(prefix)
    assert (plan.title, plan.issuer, plan.year, plan.issued) == (title, issuer, year, issued)


@pytest.mark.parametrize("prefix", [p for p, _, _ in SEED_COUNTS])
def test_seed_tasks_are_clean(prefix: str) -> None:
    for t in seed_plan(prefix).tasks:
        assert t.category and t.content and t.units, t
        assert "**" not in t.content and "责任单位" not in t.content, t
        assert "\t" not in t.content and "\n" not in t.content, t


# ---------------------------------------------------------------------------------------------------------
# Seeds: hand-checked rows
# ---------------------------------------------------------------------------------------------------------

# (prefix, seq, category, content starts with, content ends with, unit names, deadline_text)
# fmt: off
SEED_ROWS = [
    # 000: first row; 任务名称 carried down; units of a merged cell carried down; page break; last row.
    ("000", "1", "精准提供涉企信息", "注重需求导向", "前置条件", ["各镇", "各街道", "高新区社区党工委", "区政府各部门"], "全年"),
    ("000", "2", "精准提供涉企信息", "集约公开涉企政策", "各类信息", None, None),
    ("000", "7", "精准提供涉企信息", "做好本市“免罚清单”", "公开工作", ["区政府有关部门"], "全年"),
    ("000", "36", "继续推动公共数据开放", "加大企业信息", "不低于20项", ["区行政服务中心"], "全年"),
    ("000", "37", "继续推动公共数据开放", "聚焦数字化转型场景", "试点项目建设", ["区行政服务中心"], "全年"),
    ("000", "39", "继续推动公共数据开放", "加大个人隐私", "处理机制", ["区行政服务中心"], "全年"),
    ("000", "85", "保障公众参与决策", "区政府年内邀请", None, None, "全年"),
    ("000", "98", "狠抓工作落实", "结合工作实际在本工作要点印发后30日内", None, None, "本文印发后30日"),
    ("000", "99", "狠抓工作落实", "对上一年度工作开展“回头看”", "依法督促整改", ["区政府办公室", "相关单位"], "6月底前"),
    # 001: first row; carried category; stray spaces in category and units; continued rows; repeated header.
    ("001", "1", "强化非密政府公文全量备案", "除已确定为国家秘密的", "格式规范", ["各单位"], "全年"),
    ("001", "4", "加强历史公文转化公开（仅限于未移交国家档案馆的公文）", "对未开展过", "认定", ["各单位"], "全年"),
    ("001", "34", "推进决策审议过程公众参与", "年内邀请公众代表", "向社会公开", ["区政务公开办", "决策承办单位"], "全年"),
    ("001", "35", "推进决策审议过程公众参与", "鼓励通过公开报名遴选的方式", "确定列席代表。", ["区政务公开办", "决策承办单位"], "全年"),
    ("001", "36", "推动政府开放活动常态化", "结合年度重点工作", "政府开放活动", ["区政务公开办", "其他相关单位"], "全年"),
    ("001", "51", "推进道路交管领域信息公开", "强化停车信息公开", "推进100个道路拥堵点改善工作”的进展情况", ["区建交委"], "全年"),
    ("001", "60", "继续推动公共数据开放", "按照市级主管部门工作要求", "新模式", ["区大数据中心"], "全年"),
    ("001", "62", "提升政府网站管理水平", "加强政府网站内容管理", "导向正确", ["区大数据中心", "各单位"], "全年"),
    ("001", "64", "提升政府网站管理水平", "围绕政府工作重点", "更新频次", ["区政务公开办", "大数据中心"], "全年"),
    ("001", "67", "提升政务新媒体管理水平", "协同保障政务新媒体内容建设", "“娱乐化”", ["区新闻办", "相关单位"], "全年"),
    ("001", "69", "强化各区行政服务中心政务公开专区功能建设", "提高在专区开展", "深度融合", ["区政务公开办", "企业服务中心", "政策起草单位"], "全年"),
    ("001", "76", "完善激励和问责机制", "区政务公开办要加强", "依法向有权机关提出", ["区政务公开办"], "全年"),
    ("001", "78", "严格落实考核监督", "严格落实《〈关于全面推进", "全面向社会公开", None, "全年"),
    # 004: `（一）…` heading as category; the line after each task is its deadline, the next its units.
    ("004", "1", "聚焦推进“两个先行”高质量打造现代化滨海大都市首善之区加大公开力度", "紧紧围绕高质量发展", "集中展示建设成果。", ["区发改局", "区级其他有关部门", "各镇政府", "各街道办事处"], "全年"),
    ("004", "3", "聚焦推进“两个先行”高质量打造现代化滨海大都市首善之区加大公开力度", "开展项目预算公开试点", "公示制度。", ["区财政局", "区级其他有关部门", "各镇政府", "各街道办事处"], "12月底前"),
    ("004", "4", "聚焦打造一流营商环境加大公开力度", "建立健全市场主体", "建设环境。", ["区发改局", "区住建局", "区级其他有关部门", "各镇政府", "各街道办事处"], "三季度前"),
    ("004", "8", "聚焦群众有感的重点领域加大公开力度", "强化稳就业保就业信息公开", "就业创业。", ["区人力社保局"], "全年"),
    ("004", "26", "规范高效办理政府信息公开申请", "贯彻落实司法部", None, ["区司法局"], "12月底前"),
    ("004", "45", "推动集成公开向村居社区延伸", None, None, ["区政府办", "区级各有关部门", "各镇政府", "各街道办事处"], "9月底前"),
    ("004", "55", "健全抓落实工作体系", "各单位要结合实际制定年度政务公开工作任务清单", "接受社会监督。", ["区政府办", "区级各有关部门", "各镇政府", "各街道办事处"], "全年"),
    # 002: title up to the first 。 is the category; the (责任单位:…) clause gives the units and leaves the content.
    ("002", "1", "城市空间格局优化提升信息公开", "围绕嘉定新城与北虹桥建设“双引擎”", "强化成果推介。", None, None),
    ("002", "13", "推进政策集中发布", "严格按照国家、上海市统一要求", "分类准确。", ["区政府办公室", "区政府各部门", "各街镇"], None),
    ("002", "14", "推进政策集中发布", "选取部分市民企业关注度高、办事需求大、政策文件体量大的领域", "适用难等问题。", ["区政府办公室", "区发展改革委", "区经委", "区教委", "区民政局", "区市场监管局", "区住房保障房屋管理局", "各相关单位"], ""),
    ("002", "27", "高质量办好政府公报和政务公开专区", "切实发挥政府公报", "顺畅对接。", ["区政府办公室", "区政府各部门"], None),
    ("002", "32", "狠抓工作落实", "结合区域和行业特点", "视情开展工作情况通报。", ["区政府办公室", "区政府各部门", "各街镇"], None),
    # 003: no units anywhere → 各单位; numbering restarts; PDF line breaks glued back.
    ("003", "1", "强化政府公文备案和集中规范公开", "继续依托政务公开工作平台", None, ["各单位"], None),
    ("003", "2", "做好统一政府信息公开平台维护", "分管领导和工作机构", "坚持数据同源。", ["各单位"], None),
    ("003", "4", "切实提升政策解读质量", "严格落实政策解读“三同步”", None, ["各单位"], None),
    ("003", "6", "主动回应社会关切", "拓展网上政民互动渠道", None, ["各单位"], None),
    ("003", "11", "加快完成居(村)务公开标准化规范化工作", "在区民政局的指导下", "及时准确公开。", ["各单位"], "于年底前"),
    ("003", "12", "做好疫情防控信息公开", "党政办作为政务公开工作主管部门", None, ["各单位"], None),
    ("003", "21", "抓好工作落实", "对重点工作和重点任务", "对未完成的依法督促整改。", ["各单位"], None),
]
# fmt: on


@pytest.mark.parametrize(("prefix", "seq", "category", "starts", "ends", "units", "deadline"), SEED_ROWS)
def test_seed_row(
    prefix: str,
    seq: str,
    category: str,
    starts: str | None,
    ends: str | None,
    units: list[str] | None,
    deadline: str | None,
) -> None:
    t = task(seed_plan(prefix), seq)
    assert t.category == category
    if starts is not None:
        assert t.content.startswith(starts), t.content
    if ends is not None:
        assert t.content.endswith(ends), t.content
    if units is not None:
        assert names(t) == units
    if deadline is not None:
        assert t.deadline_text == deadline


@pytest.mark.parametrize(
    ("prefix", "seq", "fragment"),
    [
        (
            "001",
            "76",
            "定期通报各项工作落实情况。依据《条例》《规定》完善问责机制",
        ),  # row continued after a page
        ("002", "14", "政策文件体量大"),  # `体 量` stray space removed
        ("002", "20", "不少于4次"),  # `不少于 4 次`
        ("003", "2", "落实专人专责"),  # paragraph broken mid-word by the PDF
        ("003", "10", "各单位、部门要在镇条线的指导下"),
        ("003", "21", "上一年度工作要点落实情况"),
    ],
)
def test_seed_content_is_rejoined(prefix: str, seq: str, fragment: str) -> None:
    assert fragment in task(seed_plan(prefix), seq).content


@pytest.mark.parametrize(
    ("prefix", "seq", "units"),
    [
        ("000", "5", [("区政务服务办", "lead"), ("区市场监管局", "lead"), ("相关单位", "support")]),
        (
            "001",
            "35",
            [("区政务公开办", "lead"), ("决策承办单位", "support")],
        ),  # carried over the repeated header
        ("001", "69", [("区政务公开办", "lead"), ("企业服务中心", "support"), ("政策起草单位", "support")]),
        ("003", "7", [("各单位", "owner")]),
        ("004", "35", [("区级各有关单位", "owner")]),
    ],
)
def test_seed_unit_roles(prefix: str, seq: str, units: list[tuple[str, Role]]) -> None:
    assert task(seed_plan(prefix), seq).units == [UnitRef(n, r) for n, r in units]


def test_seed_001_repeated_header_and_notice_are_no_tasks() -> None:
    plan = seed_plan("001")
    texts = [t.content for t in plan.tasks] + [t.category for t in plan.tasks]
    assert not any(x in {"工作要求", "任务", "任务内容"} for x in texts)
    # The notice's own items (`（一）强化政府公文全量备案…`) are prose before the table: not tasks.
    assert not any(t.content.startswith("强化公文备案工作") for t in plan.tasks)


def test_seed_002_headings_without_title_sentence_are_no_tasks() -> None:
    categories = {t.category for t in seed_plan("002").tasks}
    assert not categories & {"指导思想", "工作目标"}
    assert not any(".doc" in t.content or "附件" in t.content for t in seed_plan("002").tasks)


@pytest.mark.parametrize(
    ("prefix", "seq", "phrases"),
    [
        ("002", "21", ["于3月31日前"]),
        ("002", "23", ["每年8月"]),
        ("002", "20", ["年内"]),
        ("003", "9", ["于年内"]),
    ],
)
def test_seed_prose_deadline_phrases(prefix: str, seq: str, phrases: list[str]) -> None:
    found = task(seed_plan(prefix), seq).deadline_text.split("；")
    assert all(p in found for p in phrases), found


def test_seed_003_every_section_restarts_at_one() -> None:
    # The running number keeps counting while the printed numbering restarts: six sections, six （一）.
    categories = [t.category for t in seed_plan("003").tasks]
    starts = [
        "强化政府公文备案和集中规范公开",
        "切实提升政策解读质量",
        "严格落实基层政务公开标准化规范化工作要求",
    ]
    starts += ["做好疫情防控信息公开", "提升政府网站、政务新媒体运维和管理水平", "健全组织领导和协调保障"]
    assert [categories.index(s) + 1 for s in starts] == [1, 4, 9, 12, 16, 18]


@pytest.mark.parametrize("prefix", [p for p, _, _ in SEED_COUNTS])
def test_seed_parses_in_milliseconds(prefix: str) -> None:
    text = seed_text(prefix)
    parse_plan(text)  # warm the regular-expression caches
    started = time.perf_counter()
    parse_plan(text)
    assert time.perf_counter() - started < 0.5


# ---------------------------------------------------------------------------------------------------------
# The project's own fixtures, one per layout
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "layout", "title", "issuer", "year", "issued"),
    [
        (
            "plan_table.txt",
            "table",
            "2024年青溪区档案数字化工作要点",
            "青溪区人民政府办公室",
            2024,
            date(2024, 2, 5),
        ),
        ("plan_outline.txt", "outline", "2023年青溪区安全生产宣传工作任务分解", None, 2023, None),
        (
            "plan_prose.txt",
            "prose",
            "2024年青溪区政务数据治理工作要点",
            "青溪区人民政府办公室",
            2024,
            date(2024, 3, 8),
        ),
        ("plan_prose_bare.txt", "prose", "2024年临溪街道社区服务工作", None, 2024, None),
    ],
)
def test_fixture_metadata(
    name: str, layout: str, title: str, issuer: str | None, year: int, issued: date | None
) -> None:
    plan = fixture_plan(name)
    assert (plan.layout, plan.title, plan.issuer, plan.year, plan.issued) == (
        layout,
        title,
        issuer,
        year,
        issued,
    )


# fmt: off
FIXTURE_TASKS = [
    # Table: carried 任务名称, stray space in content and unit, merged units cell, repeated header, continued row.
    ("plan_table.txt", "1", "建立扫描规范", "制定纸质档案扫描分辨率和命名规则", ["区档案馆"], "3月底前"),
    ("plan_table.txt", "2", "建立扫描规范", "组织各单位对照规范开展自查", ["区档案馆", "各单位"], "4月底前"),
    ("plan_table.txt", "3", "推进存量档案数字化", "完成2010年以前文书档案的扫描入库", ["区档案馆", "区数据局"], "10月底前"),
    ("plan_table.txt", "4", "推进存量档案数字化", "对扫描件开展抽样质检，每批不少于5%", ["区档案馆", "区数据局"], "全年"),
    ("plan_table.txt", "5", "开放利用", "在门户网站开设档案查询入口，提供在线预约和远程调阅服务", ["区数据局"], "6月底前"),
    ("plan_table.txt", "6", "开放利用", "每季度发布一次开放档案目录", ["区档案馆"], "每季度末"),
    # A line break inside the units cell: the next line goes on in that cell, then the deadline column.
    ("plan_table.txt", "7", "规范借阅管理", "制定档案借阅登记和归还催办办法", ["区档案馆", "各街道"], "9月底前"),
    # Outline: `（一）…` heading (with a no-break space) as category, deadline line, units line.
    ("plan_outline.txt", "1", "用好线上渠道", "在区政府网站开设安全生产专栏，每月更新典型案例。", ["区应急局", "区融媒体中心"], "全年"),
    ("plan_outline.txt", "2", "用好线上渠道", "开通安全隐患随手拍小程序，畅通群众举报渠道。", ["区应急局", "各街道办事处"], "6月底前"),
    ("plan_outline.txt", "3", "办好线下活动", "组织安全生产月主题宣传，进企业、进社区、进学校。", ["区安委会各成员单位"], "6月"),
    ("plan_outline.txt", "4", "健全考核", "将宣传工作纳入年度安全生产考核，考核结果向社会公开。", ["区应急局", "各镇政府", "各街道办事处"], "12月底前"),
    # Prose with units: a heading-only `(一)工作目标` is skipped; a broken item is glued; an unnumbered
    # paragraph with its own units is a task under the item above; an item without units goes to 各单位.
    ("plan_prose.txt", "1", "摸清数据底数", "各单位开展数据资源普查，于4月30日前报送数据目录。", ["区大数据中心", "区政府各部门"], "于4月30日前"),
    ("plan_prose.txt", "3", "推进共享开放", "梳理可开放数据清单，每年9月集中更新开放目录。", ["区大数据中心"], "每年9月"),
    ("plan_prose.txt", "4", "落实安全责任", "明确数据安全责任人，签订数据安全承诺书。", ["区政府各部门", "各街道"], ""),
    ("plan_prose.txt", "5", "落实安全责任", "开展数据安全应急演练，检验处置流程。", ["区委网信办"], ""),
    ("plan_prose.txt", "6", "强化人员培训", "组织数据安全专题培训，提高干部数据素养。", ["各单位"], ""),
    # `(一)标题` alone on its line, then a paragraph with its own units: the heading titles the task.
    ("plan_prose.txt", "7", "开展宣传周活动", "在9月组织网络安全宣传周，普及数据安全知识。", ["区委网信办", "各街道"], None),
    # Prose without units: bold titles, numbering restarting, a paragraph broken by the PDF.
    ("plan_prose_bare.txt", "1", "完善服务清单", "梳理社区可办事项，于6月底前在社区公告栏公示。", ["各单位"], "于6月底前"),
    ("plan_prose_bare.txt", "2", "优化办事流程", "推行一窗通办，压缩办理时限，年内实现高频事项当场办结。", ["各单位"], "年内"),
    ("plan_prose_bare.txt", "3", "加强队伍建设", "每半年开展一次社区工作者业务培训。", ["各单位"], None),
    ("plan_prose_bare.txt", "4", "强化监督评议", "邀请居民代表评议服务质量，评议结果在社区公示。", ["各单位"], None),
]
# fmt: on


@pytest.mark.parametrize(("name", "seq", "category", "content", "units", "deadline"), FIXTURE_TASKS)
def test_fixture_task(
    name: str, seq: str, category: str, content: str, units: list[str], deadline: str | None
) -> None:
    t = task(fixture_plan(name), seq)
    assert (t.category, t.content, names(t)) == (category, content, units)
    if deadline is not None:
        assert t.deadline_text == deadline


@pytest.mark.parametrize(
    ("name", "count"),
    [("plan_table.txt", 7), ("plan_outline.txt", 4), ("plan_prose.txt", 7), ("plan_prose_bare.txt", 4)],
)
def test_fixture_task_count(name: str, count: int) -> None:
    assert [t.seq for t in fixture_plan(name).tasks] == [str(i) for i in range(1, count + 1)]


def test_fixture_prose_roles_from_clause() -> None:
    t = task(fixture_plan("plan_prose.txt"), "2")
    assert t.units == [UnitRef("区大数据中心", "lead"), UnitRef("各街道", "support")]
    assert t.deadline_text.split("；")[-1] == "年内"


def test_explicit_arguments_win() -> None:
    text = (FIXTURES / "plan_table.txt").read_text(encoding="utf-8")
    plan = parse_plan(text, year=2030, issued=date(2030, 1, 2), title="自定义标题")
    assert (plan.title, plan.year, plan.issued) == ("自定义标题", 2030, date(2030, 1, 2))
    # The year follows an explicit title when no year is given, else the document's own title.
    assert parse_plan(text, title="2031年某区工作要点").year == 2031
    assert parse_plan(text, title="自定义标题").year == 2024


# ---------------------------------------------------------------------------------------------------------
# Decoding and bad input
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_decode_text_encodings(encoding: str) -> None:
    text = (FIXTURES / "plan_table.txt").read_text(encoding="utf-8")
    decoded = decode_text(text.encode(encoding))
    assert decoded == text
    assert len(parse_plan(decoded).tasks) == 7


def test_gbk_encoded_seed_round_trip() -> None:
    text = seed_text("000")
    assert len(parse_plan(decode_text(text.encode("gbk"))).tasks) == 99


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件为空"),
        (b"  \r\n\t\n", "文件为空"),
        ("\ufeff".encode(), "文件为空"),
        (bytes(range(256)) * 8, "无法识别文件编码"),
        (random.Random(7).randbytes(4096), "无法识别文件编码"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "无法识别文件编码"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Word"),
    ],
)
def test_decode_text_rejects(data: bytes, message: str) -> None:
    with pytest.raises(DocumentError, match=message):
        decode_text(data)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "这是一段普通的说明文字，没有任何编号任务，也没有任务分解表。",
        "2024年青溪区政务公开工作要点\n\n一、总体要求\n（一）指导思想\n坚持问题导向。\n",
        "序号\t任务名称\t任务内容\t责任单位\t时间节点\n",
    ],
)
def test_parse_plan_without_tasks(text: str) -> None:
    with pytest.raises(DocumentError, match="未找到任务"):
        parse_plan(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("区政务公开办牵 头", "区政务公开办牵头"),
        ("继续推动公共 数据开放", "继续推动公共数据开放"),
        ("不少于 4 次", "不少于4次"),
        ("通过云直播、VR 展示", "通过云直播、VR展示"),
        ("“两个先行”\u00a0高质量", "“两个先行”高质量"),
        ("坚持 “先审查、后公开”", "坚持“先审查、后公开”"),
        ("open  data\tplatform", "open data platform"),
        ("Windows 10 系统", "Windows 10系统"),
        ("  前后\n空白 ", "前后空白"),
        ("", ""),
    ],
)
def test_normalize_spaces(text: str, expected: str) -> None:
    assert normalize_spaces(text) == expected


@pytest.mark.parametrize(
    ("text", "layout", "count"),
    [
        # Numbered paragraphs inside a prose item are no outline: no short deadline line follows them.
        (
            "(一)加强预算管理。细化预算编制，要求如下：\n1.各部门按时报送预算草案，逐项说明资金用途和绩效目标。\n"
            "2.财政部门集中审核并反馈意见，审核结果纳入年度考核。\n(责任单位:区财政局)\n",
            "prose",
            1,
        ),
        (
            "一、总体安排\n1.完成系统上线。\n年底前\n区大数据中心\n2.组织培训。\n全年\n区人社局\n",
            "outline",
            2,
        ),
        (
            "附件\n\n序号\t任务名称\t任务内容\t责任单位\t时间节点\n1\t上线\t完成系统上线\t区大数据中心\t年底前\n",
            "table",
            1,
        ),
    ],
)
def test_layout_detection(text: str, layout: str, count: int) -> None:
    plan = parse_plan(text)
    assert (plan.layout, len(plan.tasks)) == (layout, count)


# Table headers a clerk may use besides the seeds': one task column, units split by role, numbers as `1.`.
_TWO_UNIT_COLUMNS = (
    "序号\t工作任务\t牵头单位\t配合单位\t完成时限\n"
    "1\t编制公开目录\t区司法局\t区财政局、各街道\t6月底前\n"
    "2\t更新专栏\t区大数据中心\t\t全年\n"
)
_ROLE_COLUMNS = (
    "序号\t任务名称\t任务内容\t牵头单位\t配合单位\t时间节点\n"
    "1\t目录\t编制公开目录\t区司法局、区民政局\t区财政局\t6月底前\n"
)
_DOTTED_SEQ = "序号\t任务名称\t任务内容\t责任单位\t时间节点\n1.\t目录\t编制公开目录\t区司法局\t6月底前\n2、\t\t更新专栏\t区民政局\t全年\n"


@pytest.mark.parametrize(
    ("text", "seq", "content", "units", "deadline"),
    [
        (
            _TWO_UNIT_COLUMNS,
            "1",
            "编制公开目录",
            [("区司法局", "lead"), ("区财政局", "support"), ("各街道", "support")],
            "6月底前",
        ),
        (_TWO_UNIT_COLUMNS, "2", "更新专栏", [("区大数据中心", "lead")], "全年"),
        (
            _ROLE_COLUMNS,
            "1",
            "编制公开目录",
            [("区司法局", "lead"), ("区民政局", "lead"), ("区财政局", "support")],
            "6月底前",
        ),
        (_DOTTED_SEQ, "1", "编制公开目录", [("区司法局", "owner")], "6月底前"),
        (_DOTTED_SEQ, "2", "更新专栏", [("区民政局", "owner")], "全年"),
    ],
)
def test_table_header_variants(
    text: str, seq: str, content: str, units: list[tuple[str, str]], deadline: str
) -> None:
    plan = parse_plan(text, year=2024)
    t = task(plan, seq)
    assert (plan.layout, t.content, [(u.name, u.role) for u in t.units], t.deadline_text) == (
        "table",
        content,
        units,
        deadline,
    )


@pytest.mark.parametrize(
    ("clause", "units"),
    [
        ("（牵头单位：区司法局；配合单位：区财政局）", [("区司法局", "lead"), ("区财政局", "support")]),
        ("(牵 头单位:区司法局、区民政局)", [("区司法局", "lead"), ("区民政局", "lead")]),
        ("（负责单位：区司法局）", [("区司法局", "owner")]),
    ],
)
def test_prose_clause_labels_give_roles(clause: str, units: list[tuple[str, str]]) -> None:
    plan = parse_plan(f"二、重点任务\n（一）编制目录。梳理公开事项，6月底前完成。{clause}\n", year=2024)
    assert [(u.name, u.role) for u in plan.tasks[0].units] == units


@pytest.mark.parametrize(
    ("text", "units", "deadline"),
    [
        # Units above the deadline line.
        (
            "一、宣传\n1.开通专栏。\n区应急局、区融媒体中心\n全年\n",
            [("区应急局", "owner"), ("区融媒体中心", "owner")],
            "全年",
        ),
        (
            "一、宣传\n1.开通专栏。\n区应急局牵头，各街道配合\n6月底前\n",
            [("区应急局", "lead"), ("各街道", "support")],
            "6月底前",
        ),
        # The usual order stays as it is.
        ("一、宣传\n1.开通专栏。\n9月底前\n区应急局\n", [("区应急局", "owner")], "9月底前"),
        # A two-line block whose second line is units, though a unit name holds 年.
        ("一、宣传\n1.开通专栏。\n6月底前\n区民政局\n2.组织青年活动。\n团区委、区青年联合会\n", None, ""),
    ],
)
def test_outline_units_and_deadline_lines(
    text: str, units: list[tuple[str, str]] | None, deadline: str
) -> None:
    plan = parse_plan(text, year=2024)
    t = plan.tasks[-1]
    assert plan.layout == "outline"
    assert t.deadline_text == deadline
    if units is not None:
        assert [(u.name, u.role) for u in t.units] == units
    else:
        assert [u.name for u in t.units] == ["团区委", "区青年联合会"]


@pytest.mark.parametrize(
    ("tail", "units"),
    [
        ("责任单位：区司法局、区财政局", [("区司法局", "owner"), ("区财政局", "owner")]),
        ("牵头单位：区司法局；配合单位：区财政局。", [("区司法局", "lead"), ("区财政局", "support")]),
        ("\n责任单位：区司法局", [("区司法局", "owner")]),
    ],
)
def test_prose_units_without_brackets(tail: str, units: list[tuple[str, str]]) -> None:
    plan = parse_plan(f"二、重点任务\n（一）编制目录。梳理公开事项，6月底前完成。{tail}\n", year=2024)
    t = plan.tasks[0]
    assert ([(u.name, u.role) for u in t.units], t.content) == (units, "梳理公开事项，6月底前完成。")


@pytest.mark.parametrize(
    ("line", "issued"),
    [
        ("二〇二二年三月二十一日印发", date(2022, 3, 21)),
        ("二○二三年十一月三日", date(2023, 11, 3)),
        ("2024年1月9日", date(2024, 1, 9)),
    ],
)
def test_issue_date_in_chinese_numerals(line: str, issued: date) -> None:
    text = (
        f"2024年青溪区档案工作要点\n二、重点任务\n（一）编制目录。梳理事项。（责任单位：区档案局）\n{line}\n"
    )
    assert parse_plan(text).issued == issued


def test_control_characters_and_escape_codes_never_reach_a_task() -> None:
    text = (
        "2026年某区工作要点\x1b[31m\n序号\t任务名称\t任务内容\t责任单位\t时间节点\n"
        "1\t宣传[/b]\t开展\x00宣传\x1b]0;title\x07活动\x07\t区司法局\x1b[0m\t6月底前\n"
    )
    plan = parse_plan(text)
    [task] = plan.tasks
    assert (task.category, task.content, task.units[0].name) == ("宣传[/b]", "开展宣传活动", "区司法局")
    assert plan.title == "2026年某区工作要点"


def test_an_outline_of_more_than_a_thousand_items_keeps_them_all() -> None:
    items = "\n".join(f"{n}.开展第{n}项检查。责任单位：区司法局" for n in range(1, 1206))
    plan = parse_plan(f"2026年某区检查工作方案\n一、任务\n{items}\n")
    assert len(plan.tasks) == 1205 and plan.tasks[-1].content.startswith("开展第1205项检查")
