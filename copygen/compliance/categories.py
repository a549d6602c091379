"""What each finding category covers, its legal basis and the usual fix, in zh and en.

Rules carry their own law and suggestion; this table speaks for a category as a
whole, where no single rule does: the LLM judge's prompt lists the categories with
it, and a judge finding (which has no rule behind it) takes its law and suggestion
from here. Examples for a category come from the rule packs (:func:`category_examples`),
so the judge is shown the wordings the rules were written against.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from copygen.compliance.findings import CATEGORIES

if TYPE_CHECKING:
    from collections.abc import Mapping

    from copygen.compliance.rule_model import RuleSet


@dataclass(frozen=True)
class CategoryInfo:
    name: str
    label_zh: str
    label_en: str
    covers_zh: str
    covers_en: str
    law: str
    suggestion_zh: str
    suggestion_en: str

    def label(self, locale: str) -> str:
        return self.label_zh if locale == "zh" else self.label_en

    def covers(self, locale: str) -> str:
        return self.covers_zh if locale == "zh" else self.covers_en

    def suggestion(self, locale: str) -> str:
        return self.suggestion_zh if locale == "zh" else self.suggestion_en


_TABLE: tuple[CategoryInfo, ...] = (
    CategoryInfo(
        "absolute_term",
        "绝对化用语",
        "absolute terms",
        "对商品或品牌使用最高级、唯一、第一等绝对化说法，包括换个说法暗示无可比拟",
        "superlatives and unique or first claims about the product or brand, also when "
        "implied (nothing comes close, unbeatable)",
        "《广告法》第九条第三项",
        "删去绝对化说法，改为可核实的具体描述（成分、规格、实测数据）",
        "Remove the superlative; describe something specific and verifiable instead",
    ),
    CategoryInfo(
        "authority_endorsement",
        "权威背书",
        "authority endorsement",
        "借用国家机关、工作人员、军队、官方名义或已取消的认证（国家免检）、暗示官方或专家推荐",
        "using state organs, officials, the armed forces, official titles, abolished "
        "certifications, or implying an official or expert recommendation",
        "《广告法》第九条第二项",
        "删去官方、机构或专家背书，只写商品本身的事实",
        "Remove the official or expert endorsement; state the product's own facts",
    ),
    CategoryInfo(
        "medical_claim",
        "医疗用语",
        "medical claims",
        "非药品（食品、化妆品、家居、服饰等）声称或暗示治疗、治愈、预防疾病，或让人停药、"
        "描述病症指标被改善",
        "non-medical goods (food, cosmetics, home, apparel) claiming or implying that they "
        "treat, cure or prevent disease, replace medicine, or change a medical reading",
        "《广告法》第十七条；保健食品第十八条",
        "删去疗效和疾病相关表述，只描述商品的日常用途和感受",
        "Remove the medical effect; describe the everyday use and feel of the product",
    ),
    CategoryInfo(
        "cosmetics_claim",
        "化妆品功效",
        "cosmetics claims",
        "普通化妆品宣称特殊功效（美白祛斑、防脱生发、防晒等未注册功效）或医学属性（药妆、医学护肤）",
        "ordinary cosmetics claiming special-use effects (whitening, anti-hair-loss, "
        "sunscreen without registration) or medical status",
        "《化妆品监督管理条例》《化妆品标签管理办法》",
        "只写已备案的功效和使用感受，删去特殊功效和医学说法",
        "Keep to registered effects and how it feels; remove special or medical claims",
    ),
    CategoryInfo(
        "guarantee_claim",
        "保证承诺",
        "guarantees",
        "对效果、安全或收益作保证（无效退款、立竿见影、无副作用、稳赚），包括用亲身经历暗示保证",
        "guaranteed results, safety or returns (money back if it fails, instant results, "
        "no side effects), also when told as a promise",
        "《广告法》第十六、十八、二十四、二十五、二十八条",
        "删去保证性说法，说明效果因人而异",
        "Remove the guarantee; say results differ from person to person",
    ),
    CategoryInfo(
        "price_fraud",
        "价格欺诈",
        "price claims",
        "无法核实或不真实的价格说法（全网最低、史上最低、出厂价、亏本甩卖、虚构原价）",
        "price claims that cannot be true or verified (lowest price anywhere, factory "
        "price, selling at a loss, invented original prices)",
        "《明码标价和禁止价格欺诈规定》",
        "只写商品数据中的真实价格和优惠",
        "Quote only the real price and offer from the product data",
    ),
    CategoryInfo(
        "false_scarcity",
        "虚假稀缺",
        "false scarcity",
        "虚构紧迫感或库存压力（最后一天、仅剩几件、错过再等一年）",
        "invented urgency or stock pressure (last day, only a few left, never again)",
        "《明码标价和禁止价格欺诈规定》，平台直播规范",
        "删去虚构的时间或库存压力，写真实的活动时间",
        "Remove the invented pressure; state the real dates of the offer",
    ),
    CategoryInfo(
        "superstition",
        "封建迷信",
        "superstition",
        "宣扬迷信（招财、转运、辟邪、开光、风水、旺夫）",
        "promoting superstition (brings wealth or luck, wards off evil, feng shui)",
        "《广告法》第九条第八项",
        "删去迷信说法，写商品的实际用途",
        "Remove the superstition; describe what the product actually does",
    ),
    CategoryInfo(
        "discrimination",
        "歧视",
        "discrimination",
        "民族、种族、宗教、性别、地域或身体歧视",
        "ethnic, racial, religious, gender, regional or body discrimination",
        "《广告法》第九条第七项",
        "删去歧视性表述",
        "Remove the discriminating wording",
    ),
    CategoryInfo(
        "vulgar",
        "低俗",
        "vulgar content",
        "淫秽、色情、低俗或粗口",
        "obscene, sexual or vulgar wording",
        "《广告法》第九条第八项，平台规则",
        "删去低俗表述",
        "Remove the vulgar wording",
    ),
    CategoryInfo(
        "sensitive",
        "敏感内容",
        "sensitive content",
        "赌博、毒品、政治、极端主义等敏感内容",
        "gambling, drugs, politics, extremism",
        "《广告法》第九条，平台规则",
        "删去敏感内容",
        "Remove the sensitive content",
    ),
    CategoryInfo(
        "comparative_disparagement",
        "贬低竞品",
        "disparaging competitors",
        "贬低其他商品或品牌（吊打、碾压、别家都是智商税），包括含沙射影的比较",
        "disparaging other products or brands, also by insinuation",
        "《广告法》第十三条",
        "删去与他人商品的贬低性比较，只写自身特点",
        "Remove the comparison; describe the product's own qualities",
    ),
    CategoryInfo(
        "platform_diversion",
        "站外导流",
        "off-platform diversion",
        "引导买家离开平台交易或联系（加微信、加V、私信领取、扫码进群），包括谐音和暗示",
        "sending buyers off the platform (add me on WeChat, DM for a link, scan to join), "
        "also disguised",
        "平台规则（抖音/快手/淘宝/小红书）",
        "删去站外联系方式和导流，引导在平台内下单",
        "Remove the off-platform contact; keep buyers on the platform",
    ),
    CategoryInfo(
        "personal_data",
        "个人信息",
        "personal data",
        "他人的手机号、身份证号、邮箱、银行卡、住址等个人信息",
        "people's phone numbers, ID numbers, e-mail, bank cards, addresses",
        "《个人信息保护法》",
        "删去个人信息",
        "Remove the personal data",
    ),
    CategoryInfo(
        "unsupported_fact",
        "无依据事实",
        "unsupported facts",
        "商品数据无法支持的数字、规格、价格、销量或统计（编造的数据、用户比例、检测结果）",
        "numbers, specs, prices, sales or statistics the product data does not support",
        "《广告法》第二十八条（虚假广告）",
        "只使用商品数据中的数字和事实，或注明可核实的来源",
        "Use only the numbers and facts of the product data, or name a verifiable source",
    ),
    CategoryInfo(
        "language_mismatch",
        "语言不符",
        "language mismatch",
        "文案语言与要求不符",
        "copy not written in the language asked for",
        "平台规则",
        "按要求的语言重写",
        "Rewrite in the language asked for",
    ),
    CategoryInfo(
        "format",
        "格式",
        "format",
        "字段缺失、超长或不合平台格式",
        "missing fields, over-long text, or not the platform's format",
        "平台规则",
        "按平台格式和长度修改",
        "Fit the platform's format and length",
    ),
)

CATEGORY_INFO: Mapping[str, CategoryInfo] = MappingProxyType({c.name: c for c in _TABLE})
assert tuple(CATEGORY_INFO) == CATEGORIES, "one entry per category, in the fixed order"

#: Categories a reader of the text can judge; language and format are measured by code.
SEMANTIC_CATEGORIES: tuple[str, ...] = tuple(
    c for c in CATEGORIES if c not in ("language_mismatch", "format")
)


def category_examples(
    ruleset: RuleSet, *, lang: str, per_category: int = 3, max_chars: int = 60
) -> dict[str, list[str]]:
    """A few must-match examples of each category's rules in ``lang`` (zh or en).

    One example per rule, rules in pack order, shortest examples first within a rule,
    so a category's examples show different wordings rather than one rule's variants.
    """
    from copygen.compliance.normalize import has_cjk

    want_cjk = lang == "zh"
    out: dict[str, list[str]] = {}
    for rule in ruleset.rules:
        chosen = out.setdefault(rule.category, [])
        if len(chosen) >= per_category:
            continue
        candidates = sorted(
            (
                e.text.strip()
                for e in rule.match_examples
                if len(e.text.strip()) <= max_chars and has_cjk(e.text) == want_cjk
            ),
            key=len,
        )
        for text in candidates:
            if text and text not in chosen:
                chosen.append(text)
                break
    return {name: texts for name, texts in out.items() if texts}
