"""Context that makes a listed term harmless: the checker's false positives.

A term the rules list is not always a claim. The copy may quote it to refuse it
(《广告法》规定不得使用“最佳”, 我们不做“保过”承诺, beware of sellers claiming 'miracle
cure'), warn against it (客服不会要求您加微信, 谨防私下转账), name a work (《最好的我们》),
number a print ("Print #1 of 3", 第1/3张), disclaim (效果因人而异, results may vary), tell
the truth about stock (最后一件M码), or state a ranking with its source and date, or a
health-food / special-cosmetics registration whose approved functions it then names.

``TextContext`` reads the *original* text of one field (quotes and 《》 survive there;
the matcher's normalised text drops some of them) and answers, for one hit, whether
such a context holds: ``drop`` (harmless: no finding) or ``info`` (still shown, never
blocks; the message says why). What it does not recognise stays as the rules say: a
negation that is itself a claim (无副作用, 不反弹, 永不褪色, "never fails") has no
refusal or warning cue, and a ranking without source or date stays a block.

Cost: the checker calls ``apply`` for every field with hits. One Aho-Corasick pass
finds the anchors a context starts from (quote marks, 《, cue words, sources, series
numbers, registration prefixes); a field without any is left alone (most copy). The
regexes then run only on the clauses or sentences holding an anchor of their kind, and
each hit is a few bisections (clause, sentence, spans), so a text with 100k hits stays
linear.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from copygen.compliance.evasions import t2s_gate, t2s_table
from copygen.compliance.findings import Finding
from copygen.compliance.lazy_re import LazyPattern
from copygen.compliance.matcher import Span, SpanIndex, utf16_symbols, utf16_to_chars

if TYPE_CHECKING:
    from copygen.compliance.rule_model import Rule

DROP, INFO = "drop", "info"

# Categories whose findings are facts about data, not wording: no context clears them
# (a phone number is personal data whatever the sentence says).
_NEVER = frozenset({"personal_data", "unsupported_fact", "language_mismatch", "format"})

# Full-width ASCII as ASCII; Traditional characters as Simplified (evasions.t2s_table). One
# character for one, so that offsets into the view are offsets into the text.
_FULL_WIDTH = LazyPattern("[\uff01-\uff5e]")
_HALF_WIDTH = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}


@lru_cache(maxsize=1)
def _view_table() -> dict[int, str]:
    return {**t2s_table(), **_HALF_WIDTH}


def _view(text: str) -> str:
    """What the cues are matched on: ``text`` in Simplified characters and half width."""
    if _FULL_WIDTH.search(text) is None and t2s_gate().search(text) is None:
        return text
    return text.translate(_view_table())


# Where clauses and sentences end (outside quotes and 《》). A comma ends a clause; a
# colon and 、 do not (违禁词：最好、第一 is one clause).
_CLAUSE_END = LazyPattern(r"[，,。！？!?；;\n—]|\.(?=\s+[A-Z\u4e00-\u9fff]|\s*$)")
_SENTENCE_END = frozenset("。！？!?；;\n.")

_QUOTES = LazyPattern(
    r"“[^“”\n]{1,40}”|「[^「」\n]{1,40}」|『[^『』\n]{1,40}』|‘[^‘’\n]{1,40}’"
    r"|\"[^\"\n]{1,40}\"|(?<![A-Za-z0-9])'[^'\n]{1,40}'(?![A-Za-z0-9])"
)
_TITLE = LazyPattern(r"《([^《》\n]{1,30})》")
# English titles of works: quoted in Title Case ('The Best Years of Our Lives'), or after
# a label (Book: The Best American Short Stories 2023).
_EN_LABELLED_TITLE = LazyPattern(
    r"\b(?i:book|novel|film|movie|song|album|title|series|documentary|play)\s*[:：]\s*"
    r"([A-Z0-9][^.;:!?,\n(]{2,80})"
)
_SMALL_WORDS = frozenset(
    ["a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to"]
)


def _title_case(text: str) -> bool:
    """Three or more words, every one capitalised but the small ones."""
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*|\d+", text)
    if len(words) < 3:
        return False
    return all(w[0].isupper() or w.isdigit() or w.lower() in _SMALL_WORDS for w in words)


# A 《》 holding a law or rule is the cue, not a hit: hits inside it are not cleared.
_LAW_TITLE = LazyPattern(r"(法|条例|规定|办法|细则|规则|规范|标准|指南|通知|意见|决定|公约|法典)$")

_BOUNDED = r"[^，,。！？!?；;\n]"  # a character inside one clause

# Cues. A refusal or warning verb governs the hit after it in its clause, quoted or
# not (客服不会要求您加微信, 谨防私下转账). A meta word (极限词, 广告法, 骗局, scam) governs
# a quoted hit anywhere in its clause (“最佳”属于极限词), and a bare one only when it
# introduces a list (违禁词如最好、第一): "虚假宣传的第一品牌" is still a claim.
_VERBS_ZH = (
    r"不得(?![了不])|(?:禁止|严禁)(?!外传|转载|外泄|内卷)|不准|不允许|不可以?(?:用|说|写|使用|宣传|宣称)"
    r"|不能(?:用|说|写|出现|使用|宣传|宣称|承诺|保证)"
    rf"|不做{_BOUNDED}{{0,12}}?(?:承诺|保证|宣传|宣称)"
    r"|不(?:承诺|保证)|(?:无法|不敢|没人能|没有人能|谁也不能|谁都不能|任何人都不能)(?:保证|承诺)"
    r"|不会(?:要求|索要|主动|向您|向你|私下|通过|以任何)"
    r"|(?:请勿|切勿|请不要)(?!错过)|勿信|不要(?:相信|轻信|信)|别(?:信|相信|轻信)"
    r"|谨防|警惕|当心(?!爱上|上瘾|胖|长胖|停不下|吃撑|剁手|回购|被夸|变美|心动)|提防|小心上当"
    # 客服不会让你加微信 (not 不会让你失望), 不会有人让你…
    r"|不会有人(?:让|叫|要求)|不会(?:让|叫)(?:你|您)(?=[“\"「]?(?:加|私|转|添|扫|下载|点|联系|去|发|给|拍))"
    # a refusal of a quoted term (不喊“全网最低价”, 没有“内部群”, 不存在“包过班”)
    r"|(?:不|没有|没|从不|从来不|拒绝)(?:参与|搞|做|玩|喊|吹|说|用|提|提供|存在|设|开通|有)"
    r"(?:什么|任何)?(?=[“\"「『‘])"
    r"|(?:不|从不|拒绝)(?:做|搞|参与|支持|提供)(?=(?:任何)?(?:好评|返现|刷单|虚假|私下|站外|线下))"
    r"|问[^，,。！？!?；;\n]{0,6}?(?:能不能|可不可以|是不是|会不会|能否|可否)|不具备|不具有|并无|不主打"
    r"|不会(?:说|宣称|承诺|吹|讲)|不敢(?:说|宣称|承诺)|冒充|假冒|不(?:宣传|宣称)"
    r"|谈不上|算不上|称不上|不是什么"
)
_META_ZH = (
    r"违禁词|极限词|禁用词|敏感词|违规词|绝对化用语|广告法|骗局|骗子|诈骗|骗人"
    r"|虚假宣传|夸大宣传|虚假广告|防骗|反诈|科普"
)
_LIST_ZH = r"(?:用语|词汇|词语|词)?(?:(?:包括|比如|例如|如|像|有)\s*[：:]?|\s*[：:])"
_VERBS_EN = (
    r"\b(?:will|would|do|does|did|shall)\s*(?:never|not|n't)\s+(?:ask|request|require|contact"
    r"|call|text|message|dm|e-?mail)\b|\bnever\s+(?:asks?|requests?|requires?)\b"
    r"|\bwon't\s+(?:ask|request)\b|\bbeware\b|\bbe\s+wary\b"
    r"|\b(?:don't|do\s+not|never)\s+(?:believe|trust|fall\s+for)\b"
    r"|\b(?:no\s+one|nobody|no\s+(?:product|seller|brand|supplement|cream))\s+can\s+"
    r"(?:guarantee|promise|cure)\b"
    r"|\b(?:does|do|did|can|will|ca|wo)\s*(?:not|n't)\s+(?:guarantee|promise)\b"
    r"|\bcannot\s+(?:guarantee|promise)\b|\b(?:not\s+allowed|must\s+not)\s+to?\s*(?:say|use|claim)\b"
    r"|\b(?:banned|prohibited|forbidden|restricted)\s+(?:words?|terms?|phrases?|claims?)\s*"
    r"(?:like|such\s+as|including|:)|\bclaims?\s+(?:like|such\s+as)\b"
    r"|\bavoid\s+(?:(?:words?|terms?|phrases?|claims?)\s+(?:like|such\s+as)|saying|using)\b"
    r"|\bwords?\s+(?:like|such\s+as)\b"
    r"|\b(?:don't|do\s+not|never|won't|will\s+not)\s+(?:claim|say|promise|suggest|pretend)\b"
    r"|\b(?:won't|will\s+not|never)\s+(?:see|find|read)\b"
)
_META_EN = (
    r"\bscam(?:s|mers?)?\b|\b(?:banned|prohibited|forbidden|restricted)\s+(?:words?|terms?"
    r"|phrases?|claims?)\b|\bfalse\s+advertising\b|\bmisleading\b|\bfake\s+claims?\b"
    r"|\blistings?\s+(?:pulled|removed|taken\s+down|flagged|suspended)\b"
)
# Weak cues describe a claim as someone's (号称“全网最低价”): for a quoted hit they count
# unless the sentence then agrees with it (号称“面膜之王”，名不虚传) without refuting it;
# for a bare hit only when the sentence refutes it (所谓根治都是骗人的).
_WEAK_CUES = (
    r"号称|所谓|宣称|声称|自称|吹嘘|鼓吹|标榜|\bso[- ]called\b|\bsupposedly\b|\ballegedly\b"
    # reported claims: 网上说…“降三高”, 有博主说…“一周美白”, "TikToks claim … 'cures acne'"
    r"|(?:网上|网友|博主|有人|商家|别家|广告|宣传|包装|外包装)(?:都|也)?(?:说|讲|吹|称|写着?)"
    r"|\bclaims?\b(?=\s+(?:this|that|it|the|our|its|their))|\bcalls?\s+(?:it|this|itself)\b"
)
_LAW = r"《[^《》\n]{1,30}(?:法|条例|规定|办法)》"
# A verdict after the hit governs it the other way round: 任何让你私下转账的都是骗子,
# "detox teas are a scam" (not 不是骗局, not 是骗局吗).
_VERDICT = (
    r"(?<!不)(?<!并非)(?:都是|就是|全是|是|属于|均属|纯属)(?:一种|典型的|常见的)?"
    r"(?:骗子|骗局|诈骗|骗人的|虚假宣传|夸大宣传|虚假广告|违禁词|极限词|违规词|敏感词|智商税)"
    r"(?![吗嘛么？?])|\b(?:is|are)\s+(?:an?\s+)?(?:scams?|false\s+advertising|misleading)\b"
    r"|(?<!不)(?:都是|就是|全是|是)(?:冒充|假冒|假的)|(?:不是|并非)(?:合法|正规)|不合法|违法|违规"
    r"|(?:多)?留个?心眼|擦亮眼睛|(?:请|直接)?举报|别上当|不要上当|别被骗|(?:都)?没有?(?:任何)?依据"
    r"|不合规|请勿相信|不要相信|别相信|先冷静"
)
_CUE = LazyPattern(
    f"(?P<verdict>{_VERDICT})"
    f"|(?P<verb>{_VERBS_ZH}|(?:{_META_ZH}){_LIST_ZH}|{_VERBS_EN})"
    f"|(?P<meta>{_META_ZH}|{_META_EN}|{_LAW})"
    f"|(?P<weak>{_WEAK_CUES})",
    re.IGNORECASE,
)
_AFFIRM = LazyPattern(
    r"名不虚传|果然|确实|实至名归|名副其实|当之无愧|的确|不是吹|就是|真的是|真正|不愧"
    r"|\b(?:lives\s+up|truly|indeed|really\s+is)\b",
    re.IGNORECASE,
)
_REFUTE = LazyPattern(
    r"骗|假的|并不是|并非|根本不|根本没|智商税|忽悠|夸大|虚假|不存在"
    r"|别信|不要信|没找到|没有?(?:任何)?依据|不靠谱|没啥变化|没什么变化|没效果|没用"
    r"|\b(?:doesn't|does\s+not|it\s+isn't|no\s+evidence)\b"
    r"|\b(?:isn't|is\s+not|not\s+true|false|lies?|fake|scams?)\b",
    re.IGNORECASE,
)
# How far a cue reaches forward in its clause (characters from its end to the hit).
_REACH = 30
# A platform-diversion hit next to an account name or number is diversion whatever the
# cue (请勿在平台聊，加微信abc_123).
_HANDLE = LazyPattern(r"[A-Za-z0-9_.@-]{5,}")

# "Print #1 of 3", "Part 1 of 5", "No. 1 of 12 colours", 第1/3张: a number in a series.
_ORDINAL = LazyPattern(
    r"(?:#|\bno\.?|\bnumber|\bnr\.?|\bpart|\bprint|\bvol(?:ume)?\.?|\bbook|\bissue|\bstep"
    r"|\bitem|\bphoto|\bimage|\bpic(?:ture)?|\bpiece|\bset|\bcard|\bslide|\bpage|\bdesign"
    r"|\bcolou?r|\bstyle)\s*#?\s*(?:1|one)\s*(?:of|/)\s*(?:\d+|two|three|four|five|six|seven"
    r"|eight|nine|ten|eleven|twelve)\b"
    r"|第\s*[1一]\s*[/／]\s*\d+\s*[张页部集期件款个篇图册卷季组章节幅]?"
    r"|第\s*[1一]\s*[张页部集期件款个篇图册卷季组章节幅]\s*[(（]?\s*共\s*\d+",
    re.IGNORECASE,
)

# Disclaimers: a guarantee or medical hit after one, in its clause, is disclaimed.
# The ones that govern what follows them (不能代替药物治疗疾病, does not guarantee hair
# regrowth) reach the end of their clause; the others (效果因人而异, results may vary,
# 非药品) cover only themselves: "本品非药品但能治疗失眠" still claims.
_DISCLAIMER = LazyPattern(
    r"(?P<reach>(?:不|无法|不能|并不)(?:保证|承诺)"
    r"|(?:不能|不可|不可以|无法)(?:代替|替代)(?:药物|药品|医生|治疗|医疗)|不(?:代替|替代)药物"
    r"|不具有?(?:疾病)?(?:治疗|预防|诊断)|不以(?:治疗|预防)(?:疾病)?为目的"
    r"|\b(?:does|do|did|can|will|may|ca|wo)\s*(?:not|n't)\s+guarantee\b|\bcannot\s+guarantee\b"
    r"|\bno\s+guarantees?\b|\bnot\s+(?:intended|meant)\s+to\s+(?:diagnose|treat|cure|prevent)\b"
    r"|\bnot\s+a\s+substitute\s+for\b"
    r"|\b(?:is|it's|it\s+is)\s+(?:just\s+)?an?\s+[a-z]+\s+only\b|\bnot\s+a\s+(?:drug|medicine|treatment)\b"
    r"|(?:只是|仅是|仅为|就是)(?:一款|一种|一瓶)?普通(?:化妆品|护肤品|食品|润肤霜|面霜|饮品)"
    r"|仅作装饰|仅供装饰|仅为装饰品?|仅作摆设)"
    r"|效果因人而异|因人而异|个体差异|(?:不是|并非|非)(?:药物|药品)|仅供参考|请?遵医嘱|请咨询医生"
    r"|\bresults?\s+(?:may|can|will|do|might)\s+(?:vary|differ)\b|\bresults\s+vary\b"
    r"|\b(?:has|have)\s+not\s+been\s+evaluated\b|\bpast\s+performance\b",
    re.IGNORECASE,
)
_DISCLAIMED = frozenset({"guarantee_claim", "medical_claim", "cosmetics_claim", "superstition"})

# A ranking with its source and date in one sentence: shown as info, not blocking.
_RANKING_HIT = LazyPattern(
    r"第\s*[一1]|冠军|销冠|榜首|首位|头名|榜|份额|占有率|市占率|领先|领导|最畅销|最热销|销量最"
    r"|销售额最|top\s*-?\s*\d|no\.?\s*1|#\s*1|number\s*one|best[- ]?sell|leading|leader"
    r"|top[- ](?:rated|selling)|most\s+popular",
    re.IGNORECASE,
)
_SOURCE = LazyPattern(
    r"据[^，,。！？!?；;\n]{0,15}?(?:数据|统计|报告|调查|调研|显示|榜单|排名|监测|公布)"
    r"|数据(?:来源|来自|出处|显示)|(?:来源|出处)\s*[：:]|来源于"
    r"|(?:天猫|淘宝|京东|抖音|拼多多|快手|小红书|亚马逊|苏宁)[^，,。！？!?；;\n]{0,10}(?:榜单|排行榜|热销榜|榜)"
    r"|欧睿|尼尔森|凯度|中怡康|奥维云网|艾瑞|赛迪|益普索|沙利文|弗若斯特|蝉妈妈|飞瓜"
    r"|\baccording\s+to\b|\bsources?\s*[:：]|\bdata\s+(?:from|source)|\bas\s+(?:reported|ranked"
    r"|measured)\s+by\b|\branked\s+by\b"
    r"|\bamazon(?:\.com)?\b[^;!?\n]{0,40}?\bbest\s*sellers?\b|\bbest\s*sellers?\s+(?:rank|list|chart)"
    r"|\b(?:nielsen|euromonitor|kantar|circana|npd|gfk|idc|statista|j\.?\s*d\.?\s+power)\b",
    re.IGNORECASE,
)
_MONTHS = r"jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_DATE = LazyPattern(
    r"(?<![\dA-Za-z])(?:19|20)\d{2}\s*(?:年|财年)"
    r"|(?<![\dA-Za-z])(?:19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])(?!\d)"
    rf"|\b(?:{_MONTHS})[a-z]*\.?\s+(?:\d{{1,2}},?\s+)?(?:19|20)\d{{2}}\b"
    r"|\b(?:as\s+of|since|in|for|during|fy|q[1-4]|h[12])\s+(?:19|20)\d{2}\b",
    re.IGNORECASE,
)

# A truthful stock notice: a count of what is left, with the size, colour or spec.
_STOCK_HIT = LazyPattern(
    r"(?:仅剩|只剩|还剩|剩下|最后|就剩|仅有|只有)[^，,。！？!?；;\n]{0,4}?"
    r"(?:\d+|[一二两三四五六七八九十几]+)\s*(?:件|个|双|条|套|台|瓶|盒|支|只|份|单)"
    r"|\bonly\s+(?:\d+|one|two|three|four|five|a\s+few)\s+(?:left|remaining|in\s+stock)\b"
    r"|\blast\s+(?:one|\d+|pair|piece|few|unit)\b",
    re.IGNORECASE,
)
_NOT_STOCK = LazyPattern(
    r"天|日|机会|波|小时|分钟|秒|次|场|day|hour|minute|chance|time", re.IGNORECASE
)
_SPEC = LazyPattern(
    r"(?i:[sml]|x{1,3}l|[2-6]xl|xxs|xs)\s*(?:码|号)|\d{2,3}\s*(?:码|号)|均码|尺码"
    r"|(?<![A-Za-z'’])(?:XXS|XS|S|M|L|XL|XXL|XXXL|[2-6]XL)(?![A-Za-z])"
    r"|(?:黑|白|红|蓝|绿|黄|紫|粉|灰|棕|咖啡?|橙|米|杏|银|金|驼|卡其|藏青|酒红|墨绿|军绿|姜黄|奶白"
    r"|燕麦|香槟|玫红|宝蓝|天蓝|浅蓝|深蓝|浅灰|深灰)色"
    r"|\d+(?:\.\d+)?\s*(?i:ml|毫升|克|kg|千克|寸|英寸|cm|厘米|mm|升|gb|tb)(?![A-Za-z])|规格|型号|款式"
    r"|(?i:\bsize\s*[:：]?\s*(?:\d+(?:\.\d)?|xxs|xs|s|m|l|xl|xxl|small|medium|large)\b)"
    r"|(?i:\b(?:black|white|red|blue|navy|grey|gray|green|pink|beige|brown|khaki|ivory|olive"
    r"|burgundy|purple|yellow|orange|silver)\b)"
)
_URGENCY = LazyPattern(
    r"快抢|抢|赶紧|赶快|手慢|抓紧|速(?:来|拍|下单|入)|冲鸭|最后一天|最后机会|错过"
    r"|\b(?:hurry|grab|rush|act\s+fast|don'?t\s+miss|before\s+it'?s\s+gone)\b",
    re.IGNORECASE,
)

# A registration stated in the copy; hits naming one of the functions listed after it
# are shown as info. Health food: 国食健注G…, 国食健字G…, 食健备G…, 卫食健字(…).
# Special-use cosmetics: 国妆特字G…, 国妆特进字J…, 卫妆特字(…).
_REGISTRATION = LazyPattern(
    r"(?:国食健[注字]|食健备|卫食健[字进]字?|国妆特进?字|卫妆特进?字)\s*[A-Za-z]?\s*[(（]?\s*\d{4}"
    r"[)）]?\s*第?\s*\d*\s*号?",
    re.IGNORECASE,
)
_FUNCTIONS = LazyPattern(
    r"(?:保健功能|功效|功能|特殊用途|申报功效|作用)\s*(?:为|是)?\s*[：:]\s*([^。；;！!？?\n]{1,80})"
)
_ITEM_SPLIT = LazyPattern(r"[、，,/／\s]+|和|及|与|等")
_REGISTERED = frozenset({"medical_claim", "cosmetics_claim"})

# -- anchors: the quick look ------------------------------------------------------------
#
# Every context starts from a literal: a quote mark, 《, a cue word, a disclaimer, a
# source, a series number, a registration prefix. One Aho-Corasick pass over the text
# finds them (no regex pass over text without any); the regexes then run only on the
# clauses (or sentences) holding an anchor of their kind.


def _words(*parts: str) -> tuple[str, ...]:
    return tuple("".join(parts).split("|"))


_ANCHORS: dict[str, tuple[str, ...]] = {
    "quote": tuple("“”\"「」『』‘’'＂＇"),
    "title": ("《",),
    "label": _words("book|novel|film|movie|song|album|title|series|documentary|play"),
    "cue": _words(
        "不得|禁止|严禁|不准|不允许|不可|不能|不做|保证|承诺|不会|请勿|切勿|请不要|勿信|不要|别信",
        "|别相信|别轻信|谨防|警惕|当心|提防|小心上当|违禁词|极限词|禁用词|敏感词|违规词|绝对化用语",
        "|广告法|骗局|骗子|诈骗|骗人|虚假宣传|夸大宣传|虚假广告|法》|条例》|规定》|办法》|号称|所谓",
        "|宣称|声称|自称|吹嘘|鼓吹|标榜|智商税|不会有人|让你|让您|叫你|叫您|没有|没|拒绝|从不",
        "|问|具备|具有|并无|主打|谈不上|算不上|称不上|不是什么|防骗|反诈|科普|冒充|假冒|假的|合法",
        "|正规|违法|违规|心眼|擦亮|举报|上当|被骗|依据|说|讲|吹|称|写|words like|word like",
        "|不参与|不搞|不做|不玩|不喊|不吹|不说|不用|不提|不提供|不存在|不设|不开通|不有|不支持",
        "|不宣传|不宣称|不会说|不敢|不合规|冷静|don't|do not|won't|will not|claim|say|promise",
        "|pretend|see|find",
        "|words such|listing|claim|call",
        "|never|not|n't|cannot|beware|wary|believe|trust|fall for|no one|nobody",
        "|no product|no seller|no brand|no supplement|no cream|allowed|must not|banned|prohibited",
        "|forbidden|restricted|claims like|claim like|claims such|claim such|avoid|scam",
        "|false advertising|misleading|fake claim|so-called|so called|supposedly|allegedly",
    ),
    "disclaimer": _words(
        "因人而异|个体差异|保证|承诺|代替|替代|不具|不以|药物|药品|仅供参考|遵医嘱|咨询医生",
        "|not guarantee|n't guarantee|no guarantee|cannot guarantee|results may|results can",
        "|results will|results do|results might|result may|results vary|not intended|not meant",
        "|been evaluated|substitute for|past performance|only|a drug|a medicine|a treatment|普通",
        "|装饰|摆设",
    ),
    "ordinal": _words("1 of|1of|one of|1/|1 /|1／|一/|一／|共"),
    "source": _words(
        "据|数据|来源|出处|榜|欧睿|尼尔森|凯度|中怡康|奥维|艾瑞|赛迪|益普索|沙利文|弗若斯特|蝉妈妈|飞瓜",
        "|according|source|data from|reported by|ranked by|measured by|best seller|bestseller",
        "|nielsen|euromonitor|kantar|circana|npd|gfk|idc|statista|power",
    ),
    "registration": ("食健", "妆特"),
}


def _spellings(key: str) -> set[str]:
    """The ways ``key`` is written in the view: English in three cases."""
    out = {key}
    if key.isascii():
        out |= {key.capitalize(), key.upper(), key.title()}
    return out


def _anchor_automaton() -> Any:
    import ahocorasick

    kinds: dict[str, set[str]] = {}
    for kind, keys in _ANCHORS.items():
        for key in keys:
            for spelling in _spellings(key):
                kinds.setdefault(spelling, set()).add(kind)
    automaton = ahocorasick.Automaton()
    for key, found in kinds.items():
        symbols = utf16_symbols(key)
        automaton.add_word(symbols, (len(symbols) // 2, tuple(sorted(found))))
    automaton.make_automaton()
    return automaton


_AUTOMATON: Any = None  # built on first use


def _anchors(view: str) -> dict[str, list[int]]:
    """Kind -> character offsets where an anchor of that kind starts in ``view`` (see
    ``_view``), in order."""
    global _AUTOMATON
    if _AUTOMATON is None:
        _AUTOMATON = _anchor_automaton()
    found: dict[str, list[int]] = {}
    encoded = utf16_symbols(view)
    units = None if len(encoded) == 2 * len(view) else utf16_to_chars(view)
    for end_index, (length, kinds) in _AUTOMATON.iter(encoded):
        if end_index & 1 == 0:
            continue  # ends inside a code unit
        start = (end_index + 1) // 2 - length
        if units is not None:
            start = units[start]
        for kind in kinds:
            found.setdefault(kind, []).append(start)
    return found


@dataclass(frozen=True)
class Judgement:
    """What a context does to a hit: ``drop`` it or show it as ``info``; ``kind`` names
    the context, ``detail`` is what the message quotes (a registration number)."""

    action: str
    kind: str
    detail: str = ""

    def reason(self, locale: str) -> str:
        zh, en = _REASONS[self.kind]
        return (zh if locale == "zh" else en).format(detail=self.detail)


_REASONS: dict[str, tuple[str, str]] = {
    "quoted": ("引用或否定该用语，并非宣称", "the term is quoted or refused, not claimed"),
    "refusal": (
        "处于拒绝或提醒语境，并非宣称",
        "the term is refused or warned against, not claimed",
    ),
    "title": ("作品名称", "title of a work"),
    "ordinal": ("系列编号，非排名", "a number in a series, not a ranking"),
    "disclaimer": ("免责声明", "a disclaimer"),
    "stock": ("注明规格的真实库存提示", "a stock notice naming the size, colour or spec"),
    "ranking": (
        "已降为提示：排名注明了来源和时间，请核对出处",
        "downgraded to info: the ranking names its source and date; verify them",
    ),
    "registration": (
        "已降为提示：文案注明了注册/备案号 {detail}，该功效在其所列功能内；请核对批准证书",
        "downgraded to info: the copy states registration {detail} and this function is "
        "among those it lists; verify the certificate",
    ),
}


@dataclass(frozen=True)
class _Registration:
    """The registration a text states (the first number) and the function lists after
    its labels (保健功能：…, 功效：…)."""

    number: str
    regions: SpanIndex  # the lists, labels included (offsets of the text stating them)
    items: tuple[str, ...]  # the functions, lower case


class TextContext:
    """The contexts of one original text, read once; ``judge`` answers per hit."""

    def __init__(
        self,
        text: str,
        categories: Iterable[str] = (),
        *,
        view: str | None = None,
        anchors: dict[str, list[int]] | None = None,
        registrations: Sequence[_Registration] = (),
    ) -> None:
        """``categories``: those of the hits to judge (empty: all); ``view`` and
        ``anchors``: ``_view(text)`` and what ``_anchors`` found in it, if already known;
        ``registrations``: those the other fields of the copy state (a title naming the
        function, the body the number)."""
        self.text = text
        if view is None:
            view = _view(text)
        self._view = view
        if anchors is None:
            anchors = _anchors(view)
        wanted = frozenset(categories)
        every = not wanted

        quotes = [m.span() for m in _QUOTES.finditer(view)] if "quote" in anchors else []
        titles = list(_TITLE.finditer(view)) if "title" in anchors else []
        self._quotes = SpanIndex(quotes)
        en_titles = [
            (start, end) for start, end in quotes if _title_case(view[start + 1 : end - 1])
        ]
        if "label" in anchors:
            en_titles += [
                m.span(1) for m in _EN_LABELLED_TITLE.finditer(view) if _title_case(m.group(1))
            ]
        self._titles = SpanIndex(
            [
                *(
                    m.span()
                    for m in titles
                    if _LAW_TITLE.search(m.group(1).strip()) is None and not _whole(view, m)
                ),
                *en_titles,
            ]
        )
        # Punctuation inside quotes and 《》 ends no clause (“最好，最强”这类词).
        shielded = SpanIndex([*quotes, *(m.span() for m in titles)])
        clause_ends: list[int] = []
        sentence_ends: list[int] = []
        for m in _CLAUSE_END.finditer(view):
            position = m.start()
            if shielded and shielded.covers(position, position + 1):
                continue
            clause_ends.append(position)
            if view[position] in _SENTENCE_END:
                sentence_ends.append(position)
        self._clause_ends = clause_ends
        self._sentence_ends = sentence_ends

        # Cues in order (for "the nearest cue before the hit"), and the clauses holding
        # one (for quoted hits, where the cue may follow: “最佳”属于极限词). A weak cue
        # (号称, 所谓) counts for a quoted hit unless its sentence agrees with the claim
        # without refuting it, and for a bare hit only when its sentence refutes it
        # (所谓根治都是骗人的; not 普通食品宣称改善缓解抗癌).
        cues: list[tuple[int, int, str]] = []
        for m in self._scan(_CUE, self._clauses(anchors.get("cue", ()))):
            kind = m.lastgroup
            assert kind is not None
            cues.append((m.start(), m.end(), kind))
        affirmed: set[int] = set()
        refuted: set[int] = set()
        weak = [start for start, _, kind in cues if kind == "weak"]
        if weak:
            sentences = self._sentences(weak)
            affirmed = {self._sentence(m.start()) for m in self._scan(_AFFIRM, sentences)}
            refuted = {self._sentence(m.start()) for m in self._scan(_REFUTE, sentences)}
        governing = [
            (start, end)
            for start, end, kind in cues
            if kind == "verb" or (kind == "weak" and self._sentence(start) in refuted)
        ]
        self._cue_starts = [start for start, _ in governing]
        self._cue_ends = [end for _, end in governing]
        self._verdicts = [start for start, _, kind in cues if kind == "verdict"]
        # A quoted hit is also cleared by a refusal or verdict later in its sentence
        # (看到“零风险”的副业课，先冷静一下，这种承诺本身就不合规).
        self._cue_sentences = {
            self._sentence(start) for start, _, kind in cues if kind in ("verb", "verdict", "meta")
        }
        self._cue_clauses = {
            self._clause(start)
            for start, _, kind in cues
            if kind != "weak"
            or self._sentence(start) not in affirmed
            or self._sentence(start) in refuted
        }
        self._handle_clauses: set[int] = set()
        if cues and (every or "platform_diversion" in wanted):
            self._handle_clauses = {
                self._clause(m.start())
                for m in self._scan(_HANDLE, self._clauses([start for start, _, _ in cues]))
                if any(ch.isdigit() or ch in "_@" for ch in m.group())
            }

        absolute = every or "absolute_term" in wanted
        self._ordinals = SpanIndex(
            m.span()
            for m in self._scan(_ORDINAL, self._clauses(anchors.get("ordinal", ())))
            if absolute
        )
        self._disclaimers = SpanIndex(
            (m.start(), self._clause_end(m.start()) if m.group("reach") else m.end())
            for m in self._scan(_DISCLAIMER, self._clauses(anchors.get("disclaimer", ())))
            if every or wanted & _DISCLAIMED
        )
        self._sourced: set[int] = set()
        if absolute and "source" in anchors:
            sentences = self._sentences(anchors["source"])
            sourced = {self._sentence(m.start()) for m in self._scan(_SOURCE, sentences)}
            if sourced:
                dated = {self._sentence(m.start()) for m in self._scan(_DATE, sentences)}
                self._sourced = sourced & dated
        self._stock_clauses: dict[int, bool] = {}  # clause -> names a spec, no urgency
        self._registrations: list[_Registration] = []
        if every or wanted & _REGISTERED:
            own = _registration(view) if "registration" in anchors else None
            self._registrations = [*([own] if own else []), *registrations]

    # -- positions ------------------------------------------------------------------

    def _clause(self, position: int) -> int:
        return bisect_right(self._clause_ends, position)

    def _sentence(self, position: int) -> int:
        return bisect_right(self._sentence_ends, position)

    def _clause_end(self, position: int) -> int:
        index = bisect_right(self._clause_ends, position)
        return self._clause_ends[index] if index < len(self._clause_ends) else len(self.text)

    def _clauses(self, positions: Iterable[int]) -> list[Span]:
        """The clauses holding ``positions`` (in order), each once."""
        return _windows(self._clause_ends, positions, len(self.text))

    def _sentences(self, positions: Iterable[int]) -> list[Span]:
        return _windows(self._sentence_ends, positions, len(self.text))

    def _scan(self, regex: LazyPattern, windows: Iterable[Span]) -> Iterator[re.Match[str]]:
        for start, end in windows:
            yield from regex.finditer(self._view, start, end)

    # -- the question ---------------------------------------------------------------

    def judge(
        self, start: int, end: int, category: str, severity: str = "block"
    ) -> Judgement | None:
        """The context that clears the hit ``text[start:end]`` of a rule of ``category``
        (and ``severity``), or None when the hit stands as the rule says."""
        if category in _NEVER:
            return None
        if self._titles and self._titles.covers(start, end):
            return Judgement(DROP, "title")
        if category == "absolute_term" and self._ordinals.covers(start, end):
            return Judgement(DROP, "ordinal")
        kind = self._cued(start, end, category)
        if kind is not None:
            return Judgement(DROP, kind)
        if category in _DISCLAIMED and self._disclaimers.covers(start, end):
            return Judgement(DROP, "disclaimer")
        hit = self._view[start:end]
        if category == "false_scarcity" and self._is_stock(start, hit):
            return Judgement(DROP, "stock")
        if severity == "info":
            return None  # nothing to downgrade
        if category in _REGISTERED and self._registrations:
            number = self._registered(start, end, hit)
            if number is not None:
                return Judgement(INFO, "registration", number)
        if (
            category == "absolute_term"
            and self._sourced
            and self._sentence(start) in self._sourced
            and _RANKING_HIT.search(hit) is not None
        ):
            return Judgement(INFO, "ranking")
        return None

    def _cued(self, start: int, end: int, category: str) -> str | None:
        if not self._cue_clauses:
            return None
        clause = self._clause(start)
        if category == "platform_diversion" and clause in self._handle_clauses:
            return None
        if (
            self._quotes
            and self._quotes.covers(start, end)
            and (clause in self._cue_clauses or self._sentence(start) in self._cue_sentences)
        ):
            return "quoted"
        # The nearest cue starting before the hit, in its clause and within reach; or the
        # nearest verdict after it.
        index = bisect_left(self._cue_starts, start) - 1
        if index >= 0:
            cue_start, cue_end = self._cue_starts[index], self._cue_ends[index]
            if self._clause(cue_start) == clause and start - cue_end <= _REACH:
                return "refusal"
        index = bisect_left(self._verdicts, end)
        if index < len(self._verdicts):
            verdict = self._verdicts[index]
            if self._clause(verdict) == clause and verdict - end <= _REACH:
                return "refusal"
        return None

    def _is_stock(self, start: int, hit: str) -> bool:
        # the count may follow the hit (仓库只剩 | 12件)
        hit = self._view[start : min(self._clause_end(start), start + len(hit) + 8)]
        if _STOCK_HIT.search(hit) is None or _NOT_STOCK.search(hit) is not None:
            return False
        clause = self._clause(start)
        notice = self._stock_clauses.get(clause)
        if notice is None:
            window = _windows(self._clause_ends, (start,), len(self.text))[0]
            notice = self._stock_clauses[clause] = (
                _SPEC.search(self._view, *window) is not None
                and _URGENCY.search(self._view, *window) is None
            )
        return notice

    def _registered(self, start: int, end: int, hit: str) -> str | None:
        folded = hit.lower()
        for registration in self._registrations:
            if registration.regions and registration.regions.covers(start, end):
                return registration.number  # inside the stated list (保健功能 included)
            for item in registration.items:
                if folded in item or item in folded:
                    return registration.number
        return None


def _windows(ends: list[int], positions: Iterable[int], length: int) -> list[Span]:
    """The pieces of a text of ``length`` cut at ``ends`` that hold ``positions``, each
    once, in order (the cut itself belongs to no piece)."""
    indexes = sorted({bisect_right(ends, position) for position in positions})
    return [
        (ends[index - 1] + 1 if index else 0, ends[index] if index < len(ends) else length)
        for index in indexes
    ]


def _whole(view: str, title: re.Match[str]) -> bool:
    """The 《》 is the whole copy (《全网最好用的面霜》): a claim dressed as a title."""
    start, end = title.span()
    if len(view) - (end - start) > 8:
        return False
    return _WORDY.search(view[:start] + view[end:]) is None


_WORDY = LazyPattern(r"[\w]")


def _registration(view: str) -> _Registration | None:
    """The registration ``view`` states with its function lists (at most
    ``_MAX_FUNCTIONS`` functions in all: each hit is compared with every one)."""
    if "食健" not in view and "妆特" not in view:
        return None
    number = _REGISTRATION.search(view)
    if number is None:
        return None
    regions: list[Span] = []
    items: list[str] = []
    for m in _FUNCTIONS.finditer(view):
        regions.append(m.span())
        for piece in _ITEM_SPLIT.split(m.group(1)):
            item = piece.strip().lower()
            if len(item) >= 2 and item not in items and len(items) < _MAX_FUNCTIONS:
                items.append(item)
    if not items:
        return None
    return _Registration(re.sub(r"\s+", "", number.group()), SpanIndex(regions), tuple(items))


_MAX_FUNCTIONS = 32


@lru_cache(maxsize=64)
def _clearable(categories: frozenset[str]) -> bool:
    return bool(categories - _NEVER)


def apply(
    hits: Sequence[tuple[str, str, dict[int, list[Span]]]],
    rules: Sequence[Rule],
    locale: str,
) -> list[Finding]:
    """Clear the hits that sit in a harmless context, in place: ``hits`` is (field,
    original text, rule index -> original spans), as the checker gathers them. Harmless
    hits are removed; downgraded ones are removed too and returned as info findings
    (rule, category and offsets kept, the message saying why)."""
    downgraded: list[Finding] = []
    shared = _shared_registrations(hits, rules)
    for name, text, by_rule in hits:
        if not by_rule:
            continue
        categories = frozenset(rules[index].category for index in by_rule)
        if not _clearable(categories):
            continue
        view = _view(text)
        anchors = _anchors(view)
        others = [registration for field, registration in shared if field != name]
        if (
            not (anchors.keys() - {"quote"})
            and "false_scarcity" not in categories
            and not (others and categories & _REGISTERED)
        ):
            continue  # nothing a context starts from (most copy)
        context = TextContext(text, categories, view=view, anchors=anchors, registrations=others)
        for index in list(by_rule):
            rule = rules[index]
            if rule.category in _NEVER:
                continue
            kept: list[Span] = []
            for start, end in by_rule[index]:
                judgement = context.judge(start, end, rule.category, rule.severity)
                if judgement is None:
                    kept.append((start, end))
                elif judgement.action == INFO:
                    downgraded.append(_downgrade(rule, name, text, start, end, judgement, locale))
            if len(kept) < len(by_rule[index]):
                if kept:
                    by_rule[index] = kept
                else:
                    del by_rule[index]
    return downgraded


def _shared_registrations(
    hits: Sequence[tuple[str, str, dict[int, list[Span]]]], rules: Sequence[Rule]
) -> list[tuple[str, _Registration]]:
    """(field, the registration it states, for the other fields to use) when the copy has
    several fields and some field has a medical or cosmetics hit."""
    if len(hits) < 2 or not any(
        rules[index].category in _REGISTERED for _, _, by_rule in hits for index in by_rule
    ):
        return []
    shared: list[tuple[str, _Registration]] = []
    for name, text, _ in hits:
        if "食健" not in text and "妆特" not in text and "妝特" not in text:
            continue
        found = _registration(_view(text))
        if found is not None:
            shared.append((name, _Registration(found.number, _NO_SPANS, found.items)))
    return shared


_NO_SPANS = SpanIndex(())


def _downgrade(
    rule: Rule, field: str, text: str, start: int, end: int, judgement: Judgement, locale: str
) -> Finding:
    message = rule.message_for(locale)
    reason = judgement.reason(locale)
    return Finding(
        rule=rule.id,
        category=rule.category,
        severity="info",
        field=field,
        start=start,
        end=end,
        text=text[start:end],
        message=f"{message}（{reason}）" if locale == "zh" else f"{message} ({reason})",
        law=rule.law,
        suggestion=rule.suggestion_for(locale),
    )
