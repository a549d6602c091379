"""Quality of the built-in rule packs: precision and recall on labelled copy.

Three measurements, printed with ``pytest -s`` (``bench/check_quality.py`` prints the
full tables):

1. ``../shared/data/cn_labelled_adcopy_testcases.jsonl`` — 53 texts labelled
   violating / compliant / context-dependent (null, left out of the scores). The
   labels say only *whether* a text violates; ``LABELLED_CATEGORIES`` adds which of
   copygen's categories each violating text belongs to, so the per-category scores
   can be computed too. Skipped cleanly when the shared data is absent.
2. ``OWN_CASES`` — our own realistic copy (live-stream lines, social posts, detail
   bullets, English listings), compliant and violating, per category, including the
   false-positive traps of DOMAIN.md. Written in batches before the rules were tuned
   on them; see the README section of the rules for the numbers measured on each
   fresh batch.
3. ``../shared/data/advertisegen_sample.jsonl`` — 3,000 human-written clothing ads,
   mostly fine: the share the checker blocks must stay low.
4. ``tests/data/heldout_*.jsonl`` — fresh batches of realistic copy (live-stream lines,
   小红书 posts, detail pages, English listings), each written in one go *before* the
   rules were tuned on it, half violating (plain, paraphrased and implied claims) and half
   compliant but tricky. Each line: ``{text, lang, category, violating, categories}``
   (``category`` is the product category). Once measured, a batch becomes a regression
   set; ``HELDOUT_FLOORS`` keeps what the packs reach on it. The v2 batches
   (``heldout_v2*.jsonl``, issue 11) also say how each text is written — ``kind``:
   ``direct``, ``paraphrased``, ``evasion`` (violating), ``hard_clean`` (compliant
   with a listed word in a harmless context), ``clean`` — and ``note`` (the trick or
   the context); scores are also given per kind (``KIND_FLOORS``).

A text counts as *flagged* when the packs give it a ``block`` or ``warn`` finding
(status ``blocked`` or ``review``: a ``warn`` asks a person to look, which is what a
context-dependent case needs). Per-category
scores compare the categories of the block/warn findings with the expected ones;
the code-defined categories (personal data, facts, language, format) are not scored
here. The floors below are ones the packs reach with a margin, so a regression fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from copygen.compliance.engine import Checker

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
HELDOUT_DIR = Path(__file__).resolve().parent / "data"
LABELLED = DATA / "cn_labelled_adcopy_testcases.jsonl"
ADGEN = DATA / "advertisegen_sample.jsonl"

# Categories produced by YAML rule packs; the others come from code-defined detectors.
CONTENT_CATEGORIES: tuple[str, ...] = (
    "absolute_term",
    "authority_endorsement",
    "medical_claim",
    "cosmetics_claim",
    "guarantee_claim",
    "price_fraud",
    "false_scarcity",
    "superstition",
    "discrimination",
    "vulgar",
    "sensitive",
    "comparative_disparagement",
    "platform_diversion",
    "unsupported_fact",  # unsourced sales figures and statistics (a warn)
)
# Every older held-out batch covers these; the v2 batches are balanced by kind instead.
BALANCED_CATEGORIES = tuple(c for c in CONTENT_CATEGORIES if c != "unsupported_fact")
VIOLATING_KINDS = ("direct", "paraphrased", "evasion")
CLEAN_KINDS = ("hard_clean", "clean")
# A violating labelled text that fits none of the categories (an unsupported testimonial).
UNCATEGORISED = "other"

# Which categories each labelled violating text belongs to (our reading of the law; the
# source labels give only the verdict). Compliant and null cases are not listed.
LABELLED_CATEGORIES: dict[str, frozenset[str]] = {
    key: frozenset(value)
    for key, value in {
        "baimocn-agent-1": {"price_fraud", "guarantee_claim"},
        "baimocn-agent-2": {"absolute_term"},
        "baimocn-agent-3": {"absolute_term"},
        "baimocn-agent-4": {"guarantee_claim"},
        "baimocn-agent-5": {"medical_claim"},
        "baimocn-agent-6": {"guarantee_claim"},
        "baimocn-agent-7": {"comparative_disparagement"},
        "baimocn-agent-8": {"comparative_disparagement"},
        "baimocn-agent-9": {"medical_claim"},
        "baimocn-agent-10": {"guarantee_claim"},
        "baimocn-agent-21": {"absolute_term", "unsupported_fact"},
        "baimocn-agent-22": {"absolute_term"},
        "baimocn-agent-30": {"absolute_term", "false_scarcity"},
        "baimocn-ctx-1": {"price_fraud", "false_scarcity", "guarantee_claim"},
        "baimocn-ctx-3": {"absolute_term"},
        "baimocn-ctx-4": {"absolute_term"},
        "baimocn-ctx-7": {"guarantee_claim"},
        "baimocn-ctx-9": {"unsupported_fact"},  # 回购率超高 with nothing behind it
        "baimocn-ctx-10": {"medical_claim", "guarantee_claim"},
        "baimocn-ctx-12": {"absolute_term"},
        "baimocn-ctx-13": {"comparative_disparagement"},
        "baimocn-ctx-15": {"comparative_disparagement"},
        "baimocn-ctx-16": {"comparative_disparagement"},
        "baimocn-ctx-17": {"medical_claim", "guarantee_claim"},
        "baimocn-ctx-18": {"guarantee_claim"},
        "baimocn-ctx-19": {"guarantee_claim", "authority_endorsement"},
        "baimocn-ctx-20": {"guarantee_claim"},
        "chaihongjun-1": {"absolute_term", "guarantee_claim"},
        "chaihongjun-3": {"absolute_term", "guarantee_claim", "authority_endorsement"},
    }.items()
}


@dataclass(frozen=True)
class Case:
    text: str
    expected: frozenset[str]  # empty: compliant
    lang: str | None = None
    category: str | None = None  # product category, when the case depends on it
    platform: str | None = None
    kind: str | None = None  # how it is written (v2 held-out batches)


def _case(
    text: str,
    *expected: str,
    lang: str | None = None,
    category: str | None = None,
    platform: str | None = None,
) -> Case:
    return Case(text, frozenset(expected), lang, category, platform)


OK: tuple[str, ...] = ()  # readability: _case(text, *OK) is a compliant text

# Our own realistic copy, in 20 batches; each batch was written and measured before the
# rules were adjusted to it (fresh-batch scores are in the rules README section).
OWN_CASES: tuple[Case, ...] = (
    # --- absolute_term
    _case("这款空气炸锅是同价位里做得最好的，没有之一", "absolute_term"),
    _case("国货之光，防晒界的天花板，谁用谁知道", "absolute_term"),
    _case("年度爆款，连续五年全国销量第一", "absolute_term"),
    _case("采用全球顶尖的德国工艺，品质无与伦比", "absolute_term"),
    _case("唯一一款通过欧盟双认证的儿童座椅", "absolute_term"),
    _case("行业首款搭载AI降噪的蓝牙耳机", "absolute_term"),
    _case("这是我们店里最受欢迎的款式，回购的姐妹超多", "absolute_term"),
    _case("最高端的羊绒原料，只为懂行的你", "absolute_term"),
    _case("颜值与实力并存，堪称手机中的王者", "absolute_term"),
    _case("世界级大师设计，国际一流水准", "absolute_term"),
    _case("本品牌NO.1的明星单品，闭眼入", "absolute_term"),
    _case("最近天气转凉，这件针织开衫正好派上用场", *OK),
    _case("第一次用就爱上了它的香味，留香大概4小时", *OK),
    _case("开封后请冷藏，最好在三天内吃完", *OK),
    _case("最大可容纳8人，适合家庭露营", *OK),
    _case("第一步洁面，第二步爽肤水，第三步涂抹本精华", *OK),
    _case("唯一的小遗憾是颜色只有两种", *OK),
    _case("这款耳机最长续航30小时（官方实验室数据）", *OK),
    # --- authority_endorsement
    _case("人民大会堂宴会指定用酒，品质有保证", "authority_endorsement"),
    _case("部队特供压缩饼干，户外必备", "authority_endorsement"),
    _case("国家免检产品，老品牌值得信赖", "authority_endorsement"),
    _case("中国驰名商标，三十年匠心品质", "authority_endorsement"),
    _case("卫健委推荐的控糖早餐搭配", "authority_endorsement"),
    _case("航天员同款营养餐，补充能量", "authority_endorsement"),
    _case("特聘高考命题专家授课，直击考点", "authority_endorsement"),
    _case("由资深营养师参与配方设计，每日膳食更均衡", *OK),
    _case("通过ISO9001质量管理体系认证", *OK),
    _case("已取得国产普通化妆品备案，备案编号可在药监局官网查询", *OK),
    _case("国家队运动员训练时也常见这种护膝款式", *OK),
    # --- medical_claim
    _case("每天两杯，帮你降血糖降血脂，告别三高", "medical_claim"),
    _case("这款枕头能根治颈椎病，睡一晚就见效", "medical_claim", "guarantee_claim"),
    _case("艾草足贴，排毒祛湿，治疗失眠", "medical_claim"),
    _case("蜂胶软糖消炎杀菌，感冒咳嗽都能吃", "medical_claim"),
    _case("富硒茶，防癌抗癌，延年益寿", "medical_claim"),
    _case("护眼台灯，有效预防近视，孩子学习更安心", "medical_claim"),
    _case("这款益生菌能调理肠胃，改善便秘", "medical_claim"),
    _case("燕麦片富含膳食纤维，饱腹感强，适合早餐", *OK),
    _case("台灯色温可调，照度均匀，无可视频闪", *OK),
    _case("枕芯采用慢回弹记忆棉，贴合颈部曲线", *OK),
    _case("蜂蜜柚子茶，冲泡方便，酸甜可口", *OK),
    _case("治愈系的小熊造型，放在床头超可爱", *OK),
    # --- cosmetics_claim
    _case("药妆级修护面霜，专治敏感泛红", "cosmetics_claim", "medical_claim"),
    _case("七天美白淡斑，告别暗沉", "cosmetics_claim", "guarantee_claim"),
    _case("这款精华能让细胞再生，逆龄十岁", "cosmetics_claim"),
    _case("防脱生发洗发水，发际线救星", "cosmetics_claim"),
    _case("械字号医用面膜，术后修复必备", "cosmetics_claim"),
    _case("瘦脸霜，涂一涂下颌线就出来了", "cosmetics_claim"),
    _case("保湿面霜，质地清爽，干皮油皮都适用", *OK),
    _case("洗面奶泡沫细腻，洗后不紧绷", *OK),
    _case("口红显白不挑皮，日常通勤色", *OK),
    _case("含有玻尿酸和神经酰胺，帮助维持肌肤水润", *OK),
    # --- guarantee_claim
    _case("三个疗程保证痊愈，无效全额退款", "guarantee_claim", "medical_claim"),
    _case("纯植物配方，绝对安全没有任何副作用", "guarantee_claim"),
    _case("跟着练一个月瘦二十斤，不瘦包退", "guarantee_claim"),
    _case("签约班包过，考不过免费重读", "guarantee_claim"),
    _case("加盟本店，三个月回本，稳赚不赔", "guarantee_claim"),
    _case("祛痘膏一抹就好，永不复发", "guarantee_claim", "cosmetics_claim"),
    _case("支持七天无理由退换，运费险保障", *OK),
    _case("正品保证，假一赔十", *OK),
    _case("效果因人而异，请坚持使用四周以上", *OK),
    _case("两年质保，全国联保", *OK),
    # --- price_fraud
    _case("今天直播间全网最低价，错过就没了", "price_fraud", "false_scarcity"),
    _case("老板疯了，亏本清仓，跳楼价88元", "price_fraud"),
    _case("工厂直销出厂价，比专柜便宜一半", "price_fraud"),
    _case("这是史上最低的价格，下播马上恢复原价", "price_fraud"),
    _case("好评返现10元，记得晒图哦", "price_fraud"),
    _case("活动价199元，日常价259元，活动时间6月1日至6月18日", *OK),
    _case("满300减40，可与店铺券叠加使用", *OK),
    _case("第二件半价，两件更划算", *OK),
    # --- false_scarcity
    _case("仅剩最后5件，拍完就下架", "false_scarcity"),
    _case("倒计时三分钟，手慢无！", "false_scarcity"),
    _case("库存告急，今晚就要售罄了", "false_scarcity"),
    _case("错过今天再等一年，赶紧冲", "false_scarcity"),
    _case("仅此一天，过了今天恢复原价", "false_scarcity", "price_fraud"),
    _case("现货充足，下单后48小时内发货", *OK),
    _case("预售商品，付款后15天内发货", *OK),
    _case("限时优惠：即日起至3月31日", *OK),
    # --- superstition
    _case("开过光的貔貅手串，招财进宝保平安", "superstition"),
    _case("本命年转运红绳，化解犯太岁", "superstition"),
    _case("桃木剑挂件，镇宅辟邪", "superstition"),
    _case("旺夫旺财的紫水晶，戴上好运来", "superstition"),
    _case("红色中国结，节日氛围感拉满", *OK),
    _case("招财猫造型的陶瓷摆件，可爱又治愈", *OK),
    _case("物流显示包裹已到达转运中心", *OK),
    # --- discrimination
    _case("胖子不配穿紧身裤，瘦下来再买吧", "discrimination"),
    _case("黑人勿扰，本店只卖亚洲码", "discrimination"),
    _case("别再当黄脸婆了，用了它老公天天夸", "discrimination"),
    _case("大码女装，微胖女孩也能穿出好身材", *OK),
    _case("适合男女老少的百搭款", *OK),
    # --- vulgar
    _case("这价格真他妈便宜，卧槽赶紧抢", "vulgar"),
    _case("穿上它约炮成功率翻倍", "vulgar"),
    _case("这波优惠简直牛逼", "vulgar"),
    _case("性感的露背设计，优雅又迷人", *OK),
    _case("送给妈妈的母亲节礼物", *OK),
    # --- sensitive
    _case("扫码注册线上赌场，首充送彩金", "sensitive", "platform_diversion"),
    _case("纳粹风格的鹰徽胸针", "sensitive"),
    _case("火锅底料里加了罂粟壳，越吃越香", "sensitive"),
    _case("体育彩票站招聘店员", *OK),
    _case("复古军绿色工装外套", *OK),
    # --- comparative_disparagement
    _case("别家的都是智商税，只有我们家是真材实料", "comparative_disparagement"),
    _case("续航吊打同价位所有竞品", "comparative_disparagement"),
    _case("某些大牌全是割韭菜，我们只赚良心钱", "comparative_disparagement"),
    _case("这款扫地机器人甩同行几条街", "comparative_disparagement"),
    _case("与我们上一代产品相比，续航提升了20%", *OK),
    _case("经第三方检测，本品吸力为4000Pa，某品牌同价位机型为3000Pa", *OK),
    # --- platform_diversion
    _case("想要优惠的宝宝加我V：abc888", "platform_diversion"),
    _case("详情咨询薇信，下单更便宜", "platform_diversion"),
    _case("扫码进群，每天抽免单", "platform_diversion"),
    _case("私信领取试用装", "platform_diversion"),
    _case("复制淘口令打开手机淘宝", "platform_diversion"),
    _case("加 微 信 领 取 优 惠 券", "platform_diversion"),
    _case("支持微信支付、支付宝和花呗分期", *OK),
    _case("有问题可以点击右下角联系客服", *OK),
    _case("口感软糯Q弹，老人小孩都爱吃", *OK),
    # --- English
    _case("The best protein powder on the market", "absolute_term", lang="en"),
    _case("America's #1 selling mattress", "absolute_term", lang="en"),
    _case("The only toothpaste that rebuilds enamel", "absolute_term", lang="en"),
    _case("This supplement cures arthritis and lowers cholesterol", "medical_claim", lang="en"),
    _case("Our herbal tea helps prevent the flu and fights infections", "medical_claim", lang="en"),
    _case(
        "Clinically proven to regrow hair in 8 weeks",
        "cosmetics_claim",
        "medical_claim",
        "guarantee_claim",
        lang="en",
    ),
    _case("FDA approved anti-wrinkle cream", "authority_endorsement", lang="en"),
    _case("Guaranteed results or your money back", "guarantee_claim", lang="en"),
    _case("100% natural, no side effects", "guarantee_claim", lang="en"),
    _case("Lowest price ever — only 2 left in stock!", "price_fraud", "false_scarcity", lang="en"),
    _case("WhatsApp me for the wholesale price list", "platform_diversion", lang="en"),
    _case(
        "Crushes the competition, unlike other brands' cheap junk",
        "comparative_disparagement",
        lang="en",
    ),
    _case("This bracelet wards off evil and attracts wealth", "superstition", lang="en"),
    _case("Best before: printed on the lid", *OK, lang="en"),
    _case("Treat yourself to our new summer collection", *OK, lang="en"),
    _case("Most recent firmware update adds Bluetooth 5.3", *OK, lang="en"),
    _case("Our first collection made from recycled cotton", *OK, lang="en"),
    _case("The only thing you need for a weekend getaway", *OK, lang="en"),
    _case("Sealant cure time: 24 hours at room temperature", *OK, lang="en"),
    _case("Grain-free dog treats made with real salmon", *OK, lang="en"),
    _case("Soft, breathable cotton with a relaxed fit", *OK, lang="en"),
    _case("30-day money-back guarantee on all orders", *OK, lang="en"),
    _case("For best results, apply to damp hair", *OK, lang="en"),
    # unsourced ratings and sales figures are a warn since issue 11 (a person checks them)
    _case("Rated 4.7 out of 5 by over 2,000 customers", "unsupported_fact", lang="en"),
    # === batch 2: live-stream lines
    _case(
        "家人们，这个锅真的是我这辈子用过最顺手的，不粘不糊，今天给大家炸一波福利", "absolute_term"
    ),
    _case("姐妹们看过来，这款粉底液持妆12小时，油皮亲妈，今天下单送同款小样", *OK),
    _case("来来来，库存只剩最后二十单，拍完这波就真的没有了", "false_scarcity"),
    _case("这个价格外面根本买不到，我们是厂家直供，给到大家出厂价", "price_fraud"),
    _case("三、二、一，上链接！手慢的宝宝只能等下一波了", "false_scarcity"),
    _case("主播自己家里也在用，真心推荐给大家", *OK),
    _case(
        "这款蜂蜜是纯天然无污染的，喝了能治胃病，老人小孩都适合",
        "medical_claim",
        "guarantee_claim",
    ),
    _case("想要同款的宝子们，直接私我，我把链接发你微信", "platform_diversion"),
    _case(
        "今天这个价格是品牌方给的年度最大力度，错过今天就要等双十一了",
        "price_fraud",
        "false_scarcity",
    ),
    _case("买两件直接打七折，包邮到家，运费险我们出", *OK),
    _case("这条裤子版型真的绝了，显瘦又显高，小个子也能驾驭", *OK),
    _case("保证你穿上回头率百分百，不好看你来找我", "guarantee_claim"),
    # batch 2: social posts
    _case("挖到宝了！这个面膜敷完第二天皮肤透亮，闺蜜都问我用了啥 #好物分享", *OK),
    _case("谁懂啊，这个精华简直是烂脸救星，三天痘痘全消", "guarantee_claim", "cosmetics_claim"),
    _case("被问爆的小众香水，前调是柑橘，后调有淡淡的木质香", *OK),
    _case("这家的防脱洗发水我用了两个月，新长出好多小碎发", "cosmetics_claim"),
    _case("医生朋友推荐的护肝片，熬夜党必备", "authority_endorsement", "medical_claim"),
    _case("宝宝辅食机，一机多用，蒸煮搅拌一步到位", *OK),
    _case("通勤包推荐：容量大，能装下14寸电脑，防泼水面料", *OK),
    _case("拒绝无效护肤！这瓶修护精华专治各种过敏泛红", "medical_claim"),
    # batch 2: detail-page bullets
    _case("【行业领先】采用第三代降噪芯片，降噪深度达45dB", "absolute_term"),
    _case("【安心材质】食品级304不锈钢，耐腐蚀易清洗", *OK),
    _case("【超长续航】单次充电可用60天（实验室数据，实际因使用习惯而异）", *OK),
    _case("【品质保证】国家权威机构检测，甲醛零检出", *OK),
    _case("【全网独家】专利设计，仿冒必究", "absolute_term"),
    _case("【智能控温】三档温度调节，最高可达65℃", *OK),
    _case("【健康之选】富含花青素，抗氧化、防衰老、提高免疫力", "medical_claim"),
    _case("【奢华质感】顶级头层牛皮，手工缝制", "absolute_term"),
    _case("【开光加持】五台山高僧开光，保佑家人平安", "superstition"),
    _case("【适用人群】3-12岁儿童，身高100-150cm", *OK),
    # batch 2: more violations and traps
    _case("本店所有商品均为最低价，比线下实体店便宜一半以上", "price_fraud"),
    _case("喝了我们的酵素，一周排出宿便，轻松瘦十斤", "medical_claim", "guarantee_claim"),
    _case("这款眼霜可以彻底消除黑眼圈和眼袋，效果立竿见影", "cosmetics_claim", "guarantee_claim"),
    _case("央视报道过的好大米，国宴指定用米", "authority_endorsement"),
    _case("纯手工打造，比那些流水线的垃圾货强一百倍", "comparative_disparagement"),
    _case("别的店卖的都是高仿，认准我们家正品", "comparative_disparagement"),
    _case("这条项链能吸收负能量，带来好运和财运", "superstition"),
    _case("穷人别看了，这包你买不起", "discrimination"),
    _case("这口感，真tm绝了", "vulgar"),
    _case("加我vx领取内部优惠价，比直播间还便宜", "platform_diversion", "price_fraud"),
    _case("粉丝专享：扫描下方二维码添加客服，享受一对一服务", "platform_diversion"),
    _case("免费领取试用装，关注店铺即可参与", *OK),
    _case("国家专利产品，专利号ZL2021XXXXXXX.X", *OK),
    _case("获得2023年红点设计奖", *OK),
    _case("中华老字号，始于1920年", *OK),
    _case("本产品不能代替药物", *OK),
    _case("请在医生指导下使用", *OK),
    _case("孕妇及哺乳期女性请咨询医生后使用", *OK),
    _case("新品首发，前100名下单赠送收纳袋", *OK),
    _case("这是我们店销量最好的一款，月销2万+", "absolute_term", "unsupported_fact"),
    _case("比上一代轻了30%，握持更舒适", *OK),
    _case("秒杀价59元，数量有限", *OK),
    # batch 2: English
    _case("Hands down the best blender you'll ever own", "absolute_term", lang="en"),
    _case("Voted #1 by our customers three years in a row", "absolute_term", lang="en"),
    _case(
        "Say goodbye to arthritis pain forever with our copper bracelet",
        "medical_claim",
        "guarantee_claim",
        lang="en",
    ),
    _case(
        "Detox your body and boost immunity with our green juice powder", "medical_claim", lang="en"
    ),
    _case("Doctor recommended posture corrector", "authority_endorsement", lang="en"),
    _case("Dermatologist-approved, fragrance-free moisturizer", "authority_endorsement", lang="en"),
    _case("Results guaranteed in just 7 days or your money back", "guarantee_claim", lang="en"),
    _case("Rock-bottom prices on all summer styles", "price_fraud", lang="en"),
    _case("Hurry! Sale ends tonight at midnight", "false_scarcity", lang="en"),
    _case("Text me on WhatsApp +44 7700 900123 for bulk orders", "platform_diversion", lang="en"),
    _case(
        "Unlike cheap knock-offs, our cables are built to last",
        "comparative_disparagement",
        lang="en",
    ),
    _case("Feng shui crystal tree to attract money and prosperity", "superstition", lang="en"),
    _case("Lightweight running shoes with breathable mesh upper", *OK, lang="en"),
    _case("Stainless steel water bottle keeps drinks cold for 24 hours", *OK, lang="en"),
    _case("Made with organic cotton, certified by GOTS", *OK, lang="en"),
    _case("Our best seller is back in three new colours", "absolute_term", lang="en"),
    _case("Treat your feet to the comfort they deserve", *OK, lang="en"),
    _case("Fits most 14-inch laptops", *OK, lang="en"),
    _case("Free shipping on orders over $35", *OK, lang="en"),
    _case("The first step to better sleep: a supportive pillow", *OK, lang="en"),
    _case("Most comfortable chair I've ever sat in", "absolute_term", lang="en"),
    _case("Heals cracked heels overnight", "medical_claim", "guarantee_claim", lang="en"),
    # === batch 3 (written before the third round of rule changes)
    _case("全网销量遥遥领先的国民级洗衣液", "absolute_term"),
    _case("这款吹风机就是吹风机界的爱马仕，没有对手", "absolute_term"),
    _case("巅峰之作，一代神机", "absolute_term"),
    _case("史上最轻薄的笔记本，仅重980克", "absolute_term"),
    _case("全球仅此一家的独门工艺", "absolute_term"),
    _case("中国第一款真正意义上的智能床垫", "absolute_term"),
    _case("销量遥遥领先，好评率99.9%", "absolute_term", "unsupported_fact"),
    _case("品质最优的新疆长绒棉", "absolute_term"),
    _case("口碑爆棚的宝藏好物，质量没得说，绝对是全网最值得买的", "absolute_term"),
    _case("选它就对了，同类产品中效果最强", "absolute_term"),
    _case("我们是国内最早做有机奶粉的品牌", "absolute_term"),
    _case("顶配版搭载旗舰芯片，性能怪兽", *OK),
    _case("最新款式，2024秋冬新品", *OK),
    _case("这是今年最后一批现货", *OK),
    _case("适合最多4人同时使用的火锅", *OK),
    _case("首次购买可享新人礼包", *OK),
    _case("唯一需要注意的是，不能放进微波炉", *OK),
    _case("第一口就是浓郁的奶香", *OK),
    _case("最好搭配同系列的爽肤水一起使用", *OK),
    _case("最佳赏味期为开封后7天", *OK),
    _case("最低可调至16℃，夏天超凉快", *OK),
    _case("续航最高可达12小时", *OK),
    _case("最终效果以实物为准", *OK),
    _case("中科院专家联合研发，科技含量满满", "authority_endorsement"),
    _case("国宴专供大米，颗颗饱满", "authority_endorsement"),
    _case("质监局免检，放心购买", "authority_endorsement"),
    _case("三甲医院皮肤科主任推荐的舒缓霜", "authority_endorsement"),
    _case("军工品质，部队指定采购", "authority_endorsement"),
    _case("奥运冠军同款跑鞋", *OK),
    _case("通过SGS检测，无荧光剂", *OK),
    _case("品牌创始人亲自试吃把关", *OK),
    _case("这款鞋垫能矫正扁平足，缓解腰椎间盘突出", "medical_claim"),
    _case("红豆薏米茶，祛湿减肥两不误", "medical_claim"),
    _case("负离子吹风机，杀菌消炎，头皮不再痒", "medical_claim"),
    _case("磁疗手环，降血压，调节血糖", "medical_claim"),
    _case("防蓝光眼镜，保护视力，预防眼疾", "medical_claim"),
    _case("纯天然蜂王浆，增强免疫力，抵抗病毒", "guarantee_claim", "medical_claim"),
    _case("黑芝麻丸，乌发生发，补肾养血", "cosmetics_claim", "medical_claim"),
    _case("控糖低GI代餐粉，糖尿病人也能吃", "medical_claim"),
    _case("孕妇专用叶酸片，遵医嘱服用", *OK),
    _case("含有益生菌和膳食纤维的酸奶", *OK),
    _case("护腰靠枕，久坐办公更舒服", *OK),
    _case("加湿器带自动恒湿功能，干燥季节必备", *OK),
    _case("这杯奶茶太治愈了，喝完心情都变好了", *OK),
    _case("医美级焕肤精华，刷酸换肤不用去医院", "cosmetics_claim"),
    _case("这款面霜能修复受损细胞，让肌肤重回18岁", "cosmetics_claim"),
    _case("生发液，秃头也能长出新头发", "cosmetics_claim"),
    _case("祛斑霜，老年斑黄褐斑统统淡化", "cosmetics_claim"),
    _case("美白身体乳，一周白两个度", "cosmetics_claim", "guarantee_claim"),
    _case("敏感肌专用，抗过敏修复屏障", "cosmetics_claim"),
    _case("提亮肤色的妆前乳，上妆更服帖", *OK),
    _case("氨基酸洁面，温和清洁不紧绷", *OK),
    _case("防晒霜SPF50+ PA++++，已取得特殊化妆品注册证", *OK),
    _case("这款卸妆油乳化快，不糊眼", *OK),
    _case("用了保证你皮肤变好，不好全额退款", "guarantee_claim"),
    _case("包教包会，学不会免费重学", "guarantee_claim"),
    _case("零基础三个月保证月入过万", "guarantee_claim"),
    _case("百分之百有效，无任何副作用", "guarantee_claim"),
    _case("永不掉色，洗一百次也不变形", "guarantee_claim"),
    _case("一瓶见效，从此告别脱发烦恼", "cosmetics_claim", "guarantee_claim"),
    _case("保本理财，年化收益稳定8%", "guarantee_claim"),
    _case("支持30天价保，降价补差", *OK),
    _case("不满意可退，运费我们承担", *OK),
    _case("效果因人而异，建议搭配运动和饮食控制", *OK),
    _case("清仓大甩卖，厂家亏本处理最后一批", "price_fraud"),
    _case("今天不赚钱，成本价给粉丝们", "price_fraud"),
    _case("全网比价，找到更低价格我们退差价", *OK),
    _case("比双十一还便宜，历史最低价", "price_fraud"),
    _case("市场价1999，直播间到手价399", "price_fraud"),
    _case("新人首单立减10元", *OK),
    _case("会员价88元，非会员价98元", *OK),
    _case("满199元包邮", *OK),
    _case("最后三分钟，抓紧上车", "false_scarcity"),
    _case("限量100份，卖完恢复原价", "false_scarcity", "price_fraud"),
    _case("马上就要断货了，想要的赶紧拍", "false_scarcity"),
    _case("今天是活动的最后一天，明天就结束了", "false_scarcity"),
    _case("预计下周三补货", *OK),
    _case("双十一活动时间：11月1日至11月11日", *OK),
    _case("风水大师推荐的聚宝盆，摆在收银台招财", "superstition"),
    _case("属虎的人佩戴可以化解太岁", "superstition"),
    _case("传统手工剪纸，寓意吉祥如意", *OK),
    _case("这款包包，屌丝也能背出贵气", "vulgar"),
    _case("靠，这也太好吃了吧", *OK),
    _case("性感睡衣，让他欲罢不能", *OK),
    _case("河南人勿扰，不发河南", "discrimination"),
    _case("娘炮才穿粉色，真男人选黑色", "discrimination"),
    _case("赌球必备神器，稳赚不赔", "guarantee_claim", "sensitive"),
    _case("仿真手枪玩具，可发射水弹", "sensitive"),
    _case("儿童益智积木，锻炼动手能力", *OK),
    _case("某米的手机发热严重，我们的完全不会", "comparative_disparagement"),
    _case("别被那些智商税产品骗了，买我们的才是真的省钱", "comparative_disparagement"),
    _case("同价位竞品根本没法比", "comparative_disparagement"),
    _case("对比上一代，我们的散热提升了40%", *OK),
    _case("宝宝们评论区扣1，我私发你优惠链接", "platform_diversion"),
    _case("关注我的小号，那边更便宜", "platform_diversion"),
    _case("有需要的可以加我QQ详聊", "platform_diversion"),
    _case("直播间下单享受平台保障", *OK),
    _case("点击下方小黄车购买", *OK),
    _case("The world's most comfortable sneakers", "absolute_term", lang="en"),
    _case(
        "Unbeatable quality at the lowest price anywhere", "absolute_term", "price_fraud", lang="en"
    ),
    _case("Number one rated air fryer on the market", "absolute_term", lang="en"),
    _case("Cures acne in 3 days, guaranteed", "guarantee_claim", "medical_claim", lang="en"),
    _case(
        "This magnetic bracelet relieves arthritis and improves circulation",
        "medical_claim",
        lang="en",
    ),
    _case("Natural anti-inflammatory turmeric gummies", "medical_claim", lang="en"),
    _case("Kills 99.9% of viruses and bacteria on contact", "medical_claim", lang="en"),
    _case("Scientifically proven to boost metabolism", "medical_claim", lang="en"),
    _case(
        "Erase wrinkles and reverse aging in 14 days",
        "cosmetics_claim",
        "guarantee_claim",
        lang="en",
    ),
    _case("Completely safe for everyone, zero risk", "guarantee_claim", lang="en"),
    _case("Only 5 left at this price — act now", "false_scarcity", lang="en"),
    _case("Was $199, now only $49 — today only!", "false_scarcity", "price_fraud", lang="en"),
    _case("Brings good luck and wealth to your home", "superstition", lang="en"),
    _case("Other brands are overpriced junk", "comparative_disparagement", lang="en"),
    _case("DM me on Instagram for a discount code", "platform_diversion", lang="en"),
    _case("Easy to clean, dishwasher safe", *OK, lang="en"),
    _case("Best used within 6 months of opening", *OK, lang="en"),
    _case("Our most popular colour is back in stock", "absolute_term", lang="en"),
    _case("Water-resistant up to 50 meters", *OK, lang="en"),
    _case("Perfect for camping, hiking and travel", *OK, lang="en"),
    _case(
        "Helps support a healthy immune system as part of a balanced diet",
        "medical_claim",
        lang="en",
    ),
    _case("Designed in California, assembled in Vietnam", *OK, lang="en"),
    _case("The first 100 orders get a free tote bag", *OK, lang="en"),
    _case("Treats for cats, made with real tuna", *OK, lang="en"),
    _case("Hand-cured bacon, smoked over applewood", *OK, lang="en"),
    # === batch 4 (written before the fourth round: disclaimers, negations, brand names, slang)
    _case("本品不能代替药物，不具有疾病预防、治疗功能", *OK),
    _case("保健食品不是药物，不能代替药物治疗疾病", *OK),
    _case(
        "This statement has not been evaluated by the FDA. This product is not intended "
        "to diagnose, treat, cure, or prevent any disease.",
        *OK,
        lang="en",
    ),
    _case("唯品会同款，正品保障", *OK),
    _case("极米投影仪，1080P高清", *OK),
    _case("最生活毛巾，纯棉吸水", *OK),
    _case("小米13 Ultra，徕卡影像", *OK),
    _case("本店不是最便宜的，但售后一定让你放心", *OK),
    _case("不含防腐剂、色素和香精（配料表可查）", *OK),
    _case("不添加蔗糖，甜味来自赤藓糖醇", *OK),
    _case("第一代产品于2019年上市，本款为第三代", *OK),
    _case("该系列第一款是经典白色", *OK),
    _case("第一季度新品发布", *OK),
    _case("最大承重150kg，稳固不晃", *OK),
    _case("最小起订量10件", *OK),
    _case("最快次日达", *OK),
    _case("The latest model with USB-C charging", *OK, lang="en"),
    _case("Number of pieces: 24", *OK, lang="en"),
    _case("No. 5 paintbrush set for watercolour", *OK, lang="en"),
    _case("Top 10 gift ideas for dads (editor's picks)", *OK, lang="en"),
    _case("The #2 pencil every student needs", *OK, lang="en"),
    _case("Heavy-duty cleaner removes tough stains", *OK, lang="en"),
    _case("Fights frizz and adds shine", *OK, lang="en"),
    _case("Prevents tangles in long hair", *OK, lang="en"),
    _case("Cleansing balm that melts away makeup", *OK, lang="en"),
    _case("Sunscreen SPF 50 protects against UVA and UVB", *OK, lang="en"),
    _case("绝对是市面上性价比最高的扫地机", "absolute_term"),
    _case("这就是面膜中的战斗机", "absolute_term"),
    _case("全网独一份的手工定制", "absolute_term"),
    _case("堪称完美，无可挑剔的做工", *OK),
    _case("超越国际大牌的品质", "comparative_disparagement"),
    _case("比某宝上便宜一半，还不用凑单", "price_fraud"),
    _case("限时抢购，只剩最后几个名额了", "false_scarcity"),
    _case("今晚12点准时涨价", "price_fraud"),
    _case("这次活动结束就再也没有这么低的价格了", "price_fraud"),
    _case("益生菌冻干粉，宝宝腹泻便秘都能调理", "medical_claim"),
    _case("喝这个茶能降尿酸，痛风的人一定要试试", "medical_claim"),
    _case("按摩椅治好了我妈多年的腰疼", "medical_claim"),
    _case("这款枕头可以改善颈椎问题", "medical_claim"),
    _case("防脱发护发素，专为产后脱发设计", "cosmetics_claim"),
    _case("淡斑精华，斑点肉眼可见变淡", "cosmetics_claim"),
    _case("美白牙膏，一周牙齿白三度", "guarantee_claim"),
    _case("用完皮肤立刻嫩白，效果看得见", "cosmetics_claim"),
    _case("一次见效的除螨喷雾", "guarantee_claim"),
    _case("包你满意，不满意不要钱", "guarantee_claim"),
    _case("百分百正品，假一罚十", *OK),
    _case("刷单兼职，日结工资", "price_fraud"),
    _case("给个五星好评，下次送你小礼物", "price_fraud"),
    _case("V我50，告诉你内部渠道", "platform_diversion"),
    _case("需要的宝宝戳主页简介", *OK),
    _case("福利都在粉丝群，点击主页加入", *OK),
    _case("戴上这个手串，考试必过", "guarantee_claim", "superstition"),
    _case("开运招财手链，转运神器", "superstition"),
    _case("黑人牙膏，清新口气", *OK),
    _case("这种丑衣服只有土包子才会买", "discrimination"),
    _case("他妈的，这价格也太香了", "vulgar"),
    _case("线上百家乐，日赚过千", "guarantee_claim", "sensitive"),
    _case("别家卖的都是翻新机，我们全新正品", "comparative_disparagement"),
    _case("同行卖300，我们只卖99", "price_fraud"),
    _case("卫生部指定产品", "authority_endorsement"),
    _case("国家级非遗传承人手工制作", *OK),
    _case("荣获中国驰名商标称号", "authority_endorsement"),
    _case("明星都在用的面膜", *OK),
    _case("The greatest vacuum ever made", "absolute_term", lang="en"),
    _case("Simply the best way to start your morning", *OK, lang="en"),
    _case("Nothing beats the original", *OK, lang="en"),
    _case("Second to none in comfort", "absolute_term", lang="en"),
    _case("Reverses type 2 diabetes naturally", "medical_claim", lang="en"),
    _case("Relieves anxiety and depression without pills", "medical_claim", lang="en"),
    _case("Boosts testosterone and cures erectile dysfunction", "medical_claim", lang="en"),
    _case("Eliminates 100% of acne scars", "cosmetics_claim", "guarantee_claim", lang="en"),
    _case("Money-back guarantee if you don't lose weight", "guarantee_claim", lang="en"),
    _case("Totally harmless, even for newborns", "guarantee_claim", lang="en"),
    _case("Cheapest prices in town, guaranteed", "guarantee_claim", "price_fraud", lang="en"),
    _case("Going out of business — everything must go", "price_fraud", lang="en"),
    _case("Last chance! Only 1 left", "false_scarcity", lang="en"),
    _case("Message me on Telegram for the full catalogue", "platform_diversion", lang="en"),
    _case("Blessed by a Tibetan monk for protection", "superstition", lang="en"),
    _case("This shit is amazing", "vulgar", lang="en"),
    _case("Our competitors sell garbage", "comparative_disparagement", lang="en"),
    _case("Approved by the FDA for daily use", "authority_endorsement", lang="en"),
    _case("Dentist recommended whitening strips", "authority_endorsement", lang="en"),
    _case("Hypoallergenic, safe for sensitive skin", "cosmetics_claim", lang="en"),
    # === batch 5 (written before the fifth round: implied claims, hype, English variety)
    _case("这款羽绒服选用95%白鹅绒，充绒量200g，蓬松度达800。连帽设计可拆卸，防风又保暖。", *OK),
    _case(
        "精选云南高山普洱，古树茶底，汤色红浓明亮。长期饮用可降三高、养胃护肝。", "medical_claim"
    ),
    _case(
        "德国进口机芯，噪音低至35分贝。静音效果行业第一，深夜使用也不打扰家人。", "absolute_term"
    ),
    _case("儿童安全座椅通过ECE R129认证，侧撞防护系统有效降低冲击。适合9个月至12岁儿童。", *OK),
    _case(
        "面霜质地轻薄好吸收，添加积雪草和泛醇，帮助舒缓干燥。孕妇也可以放心使用，零刺激零负担。",
        "cosmetics_claim",
    ),
    _case("本款洗碗机采用75℃高温除菌，除菌率99.99%（检测报告编号见详情页）。", *OK),
    _case("这款智能手表能实时监测心率血氧，提前预警心脏病，守护家人健康。", "medical_claim"),
    _case("纯棉四件套，A类标准，婴幼儿可用。60支长绒棉，亲肤柔软。", *OK),
    _case(
        "我们的大米产自五常核心产区，每一粒都是精挑细选。口感软糯香甜，是送礼自用的绝佳选择。", *OK
    ),
    _case("好用到哭！这个卷发棒简直是手残党的福音，三分钟出门，全网都在抢。", "false_scarcity"),
    _case("颈椎按摩仪，采用低频脉冲技术，专治颈椎疼痛，上班族必备。", "medical_claim"),
    _case("空气净化器CADR值500m³/h，适用面积35-60㎡，可有效过滤PM2.5。", *OK),
    _case("本品为普通食品，不适用于疾病人群。", *OK),
    _case("猫粮添加益生菌，帮助猫咪肠道健康，告别软便", *OK),
    _case("来，这一波只有500单，500单抢完就没了啊，不会再补货了", "false_scarcity"),
    _case(
        "宝宝们我跟你们说，这个价格是我跟老板磨了三天才拿下的，全网你找不到第二家", "absolute_term"
    ),
    _case("这个口红颜色绝了，黄皮亲妈，显白到发光", *OK),
    _case("老铁们双击666，点点关注不迷路", *OK),
    _case("今天直播间的粉丝价，比官方旗舰店便宜100块", "price_fraud"),
    _case("我们这是源头工厂，没有中间商赚差价", *OK),
    _case("这个是给大家的宠粉福利，每人限购两件", *OK),
    _case("刚刚后台说还剩最后8件，喜欢的赶紧", "false_scarcity"),
    _case("吃了这个酵素，你的小肚子一周就没了", "guarantee_claim"),
    _case("想要的打在公屏上，我看人数上链接", *OK),
    _case("救命！这瓶精华用完我的痘坑都平了！！", "cosmetics_claim"),
    _case("姐妹们冲！防晒霜界的天花板，谁用谁知道", "absolute_term"),
    _case("真实测评：这款吸尘器吸力一般，但胜在轻便", *OK),
    _case("宝藏小店分享，店主人超好，发货超快", *OK),
    _case("减脂期也能放心吃的零食，一包只有90大卡", *OK),
    _case("喝了一个月，体检报告血糖指标都正常了", "medical_claim"),
    _case("小个子女生穿搭｜155也能穿出170的气场", *OK),
    _case("北京协和医院专家推荐的枕头", "authority_endorsement"),
    _case("中央电视台广告合作品牌", "authority_endorsement"),
    _case("解放军某部指定采购单位", "authority_endorsement"),
    _case("国家非物质文化遗产，手工传承三百年", *OK),
    _case("通过欧盟CE认证和美国FCC认证", *OK),
    _case("获得德国iF设计奖", *OK),
    _case("紫檀木手串，能量满满，戴上事业顺风顺水", "superstition"),
    _case("狗年吉祥物公仔，可爱喜庆", *OK),
    _case("这件衣服穿上秒变女神，男人看了都走不动道", *OK),
    _case("宅男福利，性感女仆装，今晚让你欲仙欲死", "vulgar"),
    _case("专门坑外地人的店别去，来我们这里", "comparative_disparagement"),
    _case("东北人都爱吃的酸菜", *OK),
    _case("支持彩票店扫码购彩", "sensitive"),
    _case("America's favorite pizza since 1960", "absolute_term", lang="en"),
    _case("Clinically tested for sensitive skin", "medical_claim", lang="en"),
    _case("Lab-tested for purity and potency", *OK, lang="en"),
    _case("Boost your energy naturally with our matcha", *OK, lang="en"),
    _case("Supports joint health and mobility", *OK, lang="en"),
    _case(
        "Reduces inflammation and joint pain in days", "guarantee_claim", "medical_claim", lang="en"
    ),
    _case("Melt belly fat while you sleep", "guarantee_claim", "medical_claim", lang="en"),
    _case("A safe, non-toxic toy for toddlers", *OK, lang="en"),
    _case("Hypoallergenic pillow for allergy sufferers", "cosmetics_claim", lang="en"),
    _case("Guaranteed authentic or your money back", *OK, lang="en"),
    _case("Lifetime warranty on all frames", *OK, lang="en"),
    _case("Sale: 40% off sitewide this weekend", *OK, lang="en"),
    _case("Prices drop at midnight — don't miss it", "false_scarcity", lang="en"),
    _case("Ranked #1 in customer satisfaction (J.D. Power 2024 study)", "absolute_term", lang="en"),
    _case("Top-rated by thousands of happy customers", *OK, lang="en"),
    _case("Unlike ordinary shampoos, ours is sulfate-free", *OK, lang="en"),
    _case("Brand X is a total scam — buy ours instead", "comparative_disparagement", lang="en"),
    _case("Follow us on Instagram @shopname for weekly drops", "platform_diversion", lang="en"),
    _case("Buy direct from our website and save 20%", "platform_diversion", lang="en"),
    _case("Lucky bamboo plant for your desk", *OK, lang="en"),
    _case("Evil eye bracelet to protect against bad luck", "superstition", lang="en"),
    _case("No more back pain with our ergonomic chair", "medical_claim", lang="en"),
    _case("Miracle weight loss pill", "medical_claim", lang="en"),
    # === batch 6 (before the sixth round: slang diversion, paraphrased guarantees, TCM claims)
    _case("这款电动牙刷清洁力行业顶尖", "absolute_term"),
    _case("年轻人的第一台咖啡机就选它", *OK),
    _case("国货扛把子，品质一流", "absolute_term"),
    _case("本品采用全球最先进的冻干技术", "absolute_term"),
    _case("遥遥领先同类产品的续航表现", "absolute_term"),
    _case("这是一款划时代的产品，重新定义了吸尘器", *OK),
    _case("全城最火的网红蛋糕店", "absolute_term"),
    _case("真正的零差评好物", "absolute_term", "unsupported_fact"),
    _case("宇宙无敌好吃的辣条", "absolute_term"),
    _case("高端大气上档次的礼盒包装", *OK),
    _case("我们的面料比普通棉更柔软", *OK),
    _case("目前国内唯一获得该项专利的企业", "absolute_term"),
    _case("国家体育总局推荐的健身器材", "authority_endorsement"),
    _case("某某院士亲自研发配方", "authority_endorsement"),
    _case("外交部指定礼品", "authority_endorsement"),
    _case("政府采购中标产品，值得信赖", *OK),
    _case("由国家一级品酒师调配", *OK),
    _case("每天一片，远离骨质疏松", "medical_claim"),
    _case("喝出好气色，补气血调月经", "medical_claim"),
    _case("负离子床垫，改善失眠多梦", "medical_claim"),
    _case("鱼油胶囊软化血管，预防血栓", "medical_claim"),
    _case("足浴包，泡一泡湿气全排出", "medical_claim"),
    _case("艾灸贴，温经散寒，暖宫调理", "medical_claim"),
    _case("羊奶粉，富含钙铁锌，适合中老年人日常饮用", *OK),
    _case("枸杞原浆，采用宁夏中宁枸杞", *OK),
    _case("这款面膜能让毛孔隐形，皮肤细胞重生", "cosmetics_claim"),
    _case("私密处美白霜，粉嫩回归少女", "cosmetics_claim"),
    _case("激素脸修复专用", "cosmetics_claim"),
    _case("眼霜淡化细纹，经功效评价测试", *OK),
    _case("精华水补水保湿，质地清爽", *OK),
    _case("学完保证拿到offer，拿不到全额退学费", "guarantee_claim"),
    _case("投资这款理财，收益稳稳的，没有任何风险", "guarantee_claim"),
    _case("用一次就有效果，七天告别痘痘", "cosmetics_claim", "guarantee_claim"),
    _case("百分之百不掉色，放心洗", "guarantee_claim"),
    _case("食品级材质，通过SGS检测", *OK),
    _case("全场一折起，骨折价清仓", "price_fraud"),
    _case("这个价格连成本都不够", "price_fraud"),
    # a reference price ten times the sale price is the usual invented 原价 (第十九条): warn
    _case("原价699，现在只要69，直接打一折", "price_fraud"),
    _case("赔本赚吆喝，只为冲销量", "price_fraud"),
    _case("品牌直降，到手价129元", *OK),
    _case("库存清零倒计时，最后一小时", "false_scarcity"),
    _case("今天不下单明天就恢复原价了", "price_fraud"),
    _case("抢完这波就下架，不返场", "false_scarcity"),
    _case("本款为限定色，售完不补", *OK),
    _case("貔貅摆件，只进不出，聚财纳福", "superstition"),
    _case("桃花符，戴上脱单", "superstition"),
    _case("葫芦挂件，寓意福禄", *OK),
    _case("只有土鳖才穿这种款式", "discrimination"),
    _case("残疾人就别想了，这个台阶设计不适合", "discrimination"),
    _case("靓仔专属，丑的别来", "discrimination"),
    _case("卧槽这也太便宜了", "vulgar"),
    _case("这口红颜色骚气十足", *OK),
    _case("助你一夜七次", "vulgar"),
    _case("网上赌博平台，注册送100", "sensitive"),
    _case("电子烟烟弹，多种口味", "sensitive"),
    _case("军迷收藏仿真步枪模型", "sensitive"),
    _case("别家的羽绒服都是飞丝，只有我们是真鹅绒", "comparative_disparagement"),
    _case("比起某些品牌的偷工减料，我们用料扎实", "comparative_disparagement"),
    _case("完虐同级别对手", "comparative_disparagement"),
    _case("用了我们的，你就再也不想用别家的垃圾了", "comparative_disparagement"),
    _case("更多款式加我绿色软件看", "platform_diversion"),
    _case("主页有联系方式，私聊更优惠", "platform_diversion"),
    _case("滴滴我领取专属券", "platform_diversion"),
    _case("去我抖音橱窗看看", "platform_diversion"),
    _case("关注店铺，上新早知道", *OK),
    _case("Best-in-class noise cancellation", "absolute_term", lang="en"),
    _case("The finest leather money can buy", "absolute_term", lang="en"),
    _case("Voted America's best pizza", "absolute_term", lang="en"),
    _case("Clears up eczema and psoriasis", "medical_claim", lang="en"),
    _case("Helps prevent heart disease", "medical_claim", lang="en"),
    _case("A natural antibiotic alternative", "medical_claim", lang="en"),
    _case("Stops hair loss in its tracks", "cosmetics_claim", "medical_claim", lang="en"),
    _case("Guaranteed to fit or your money back", *OK, lang="en"),
    _case("Risk-free trial for 60 days", "guarantee_claim", lang="en"),
    _case("Zero side effects, 100% natural", "guarantee_claim", lang="en"),
    _case(
        "Lowest prices of the year — limited time only!", "false_scarcity", "price_fraud", lang="en"
    ),
    _case("Clearance: prices slashed below cost", "price_fraud", lang="en"),
    _case("Only a few left — order today!", "false_scarcity", lang="en"),
    _case("Add me on WeChat: shop_88", "platform_diversion", lang="en"),
    _case("Our chargers leave the competition in the dust", "comparative_disparagement", lang="en"),
    _case("Crystal bracelet that attracts love and money", "superstition", lang="en"),
    _case("Ergonomic design reduces wrist strain during long typing sessions", *OK, lang="en"),
    _case("Contains vitamin C, which contributes to normal immune function", *OK, lang="en"),
    _case("Gentle enough for everyday use", *OK, lang="en"),
    _case("Sweat-resistant and lightweight for all-day wear", *OK, lang="en"),
    # === batch 7 (typical difficulty; before the seventh round)
    _case("这款扫地机器人是目前市面上最智能的", "absolute_term"),
    _case("行业标杆级的做工，细节拉满", "absolute_term"),
    _case("连续三年天猫类目TOP1", "absolute_term"),
    _case("销量突破100万台，遥遥领先", "absolute_term", "unsupported_fact"),
    _case("独家首创双层滤网结构", "absolute_term"),
    _case("同类产品里它的噪音是最小的", "absolute_term"),
    _case("最适合学生党的平价好物", *OK),
    _case("本周最后一场直播，下周一恢复正常更新", *OK),
    _case("第一次做直播，大家多多支持", *OK),
    _case("最近入手的宝藏面霜，分享给大家", *OK),
    _case("国务院特批进口的药材原料", "authority_endorsement"),
    _case("军队后勤指定供应商", "authority_endorsement"),
    _case("中国驰名商标，老牌国货", "authority_endorsement"),
    _case("皮肤科医生都在用的修护霜", "authority_endorsement"),
    _case("由三甲医院营养科医生参与研发", "authority_endorsement"),
    _case("与国家博物馆联名的文创礼盒", *OK),
    _case("益生菌能治疗肠胃炎，肠胃不好的人必备", "medical_claim"),
    _case("这款茶饮可以降血脂、清肠排毒", "medical_claim"),
    _case("石墨烯护膝，治疗关节炎效果好", "medical_claim"),
    _case("防近视护眼台灯，保护孩子视力", "medical_claim"),
    _case("蜂蜜水润肠通便，早上一杯很舒服", "medical_claim"),
    _case("黑枸杞泡水喝，抗氧化又好喝", *OK),
    _case("坚果礼盒，每日一包补充能量", *OK),
    _case("敏感肌修复精华，专治红血丝", "cosmetics_claim", "medical_claim"),
    _case("美白针同款效果的精华液", "cosmetics_claim"),
    _case("去黑头鼻贴，一撕干净", *OK),
    _case("这款洗发水能让头发再生，告别秃顶", "cosmetics_claim"),
    _case("保湿喷雾，随时随地补水", *OK),
    _case("无效退款，放心购买", "guarantee_claim"),
    _case("吃了保证长高5厘米", "guarantee_claim", "medical_claim"),
    _case("这款驱蚊液绝对安全，宝宝可以放心用", "guarantee_claim"),
    _case("零风险投资，月收益10%", "guarantee_claim"),
    _case("七天无理由退货，放心购", *OK),
    _case("史上最低价，只有今天", "false_scarcity", "price_fraud"),
    _case("厂家直销价，没有中间商", "price_fraud"),
    _case("亏本冲销量，只做口碑", "price_fraud"),
    _case("限时折扣：3月1日-3月7日全场8折", *OK),
    _case("今日特价，以页面价格为准", *OK),
    _case("只剩3台了，拍完恢复原价", "false_scarcity", "price_fraud"),
    _case("最后一波福利，错过等明年", "false_scarcity"),
    _case("秒杀倒计时10秒", "false_scarcity"),
    _case("本商品每周二上新", *OK),
    _case("招财貔貅手链，戴上财运滚滚来", "superstition"),
    _case("开光佛牌，保佑平安", "superstition"),
    _case("家里摆上这个，风水变好财运旺", "superstition"),
    _case("新春福字贴纸，红红火火过大年", *OK),
    _case("东北大妈都说好的酸菜", *OK),
    _case("非洲人都晒黑了，用这个防晒", *OK),
    _case("穷逼也买得起的轻奢包", "vulgar"),
    _case("他妈的太好吃了", "vulgar"),
    _case("卖淫嫖娼", "vulgar"),
    _case("代孕服务，包成功", "guarantee_claim", "sensitive"),
    _case("线上六合彩，天天开奖", "sensitive"),
    _case("XX品牌的吸尘器就是垃圾，我们的才是良心产品", "comparative_disparagement"),
    _case("对比某品牌，我们的电池容量多20%（第三方检测）", *OK),
    _case("吊打某米某为", "comparative_disparagement"),
    _case("加我微信：shop123，每天发福利", "platform_diversion"),
    _case("V信搜索同名，领取小样", "platform_diversion"),
    _case("扫码关注公众号，领取五元券", "platform_diversion"),
    _case("进我的粉丝群，不定期抽奖", "platform_diversion"),
    _case("有问题请联系在线客服", *OK),
    _case("The best-selling blender in America", "absolute_term", lang="en"),
    _case("Unmatched performance and unbeatable value", "absolute_term", lang="en"),
    _case("Prevents colds and flu all winter", "medical_claim", lang="en"),
    _case("Treats acne and prevents breakouts", "medical_claim", lang="en"),
    _case("Clinically proven to reduce fine lines by 47%", "medical_claim", lang="en"),
    _case("Safe and effective, guaranteed results", "guarantee_claim", lang="en"),
    _case("Today only: our lowest price ever", "false_scarcity", "price_fraud", lang="en"),
    _case("Only 2 hours left to save 50%", "false_scarcity", lang="en"),
    _case("Contact us on WhatsApp for custom orders", "platform_diversion", lang="en"),
    _case("Made from 100% organic cotton", *OK, lang="en"),
    _case("Dishwasher-safe and BPA-free", *OK, lang="en"),
    _case("Perfect gift for new moms", *OK, lang="en"),
    _case("Our softest hoodie yet", *OK, lang="en"),
    # === batch 8 (English-focused; before the eighth round)
    _case("Keeps coffee hot for up to 12 hours", *OK, lang="en"),
    _case("Machine washable on a gentle cycle", *OK, lang="en"),
    _case("Our bestselling tee, now in organic cotton", "absolute_term", lang="en"),
    _case("Free returns within 30 days of delivery", *OK, lang="en"),
    _case("Treat your dog to a crunchy, grain-free snack", *OK, lang="en"),
    _case("The perfect companion for long road trips", *OK, lang="en"),
    _case("Ideal for sensitive skin, fragrance-free", *OK, lang="en"),
    _case("Designed to help you sleep better", *OK, lang="en"),
    _case("Heals nothing, hides everything: a full-coverage concealer", *OK, lang="en"),
    _case("The number of settings makes it easy to customise", *OK, lang="en"),
    _case("Available in 5 sizes, from XS to XL", *OK, lang="en"),
    _case("Try our new recipe — now with less sugar", *OK, lang="en"),
    _case("Each set includes 1 bottle of shampoo and 1 conditioner", *OK, lang="en"),
    _case("Step 1: Cleanse. Step 2: Tone. Step 3: Moisturise.", *OK, lang="en"),
    _case("Cures in 20 minutes under UV light", *OK, lang="en"),
    _case("Perfect for first-time campers", *OK, lang="en"),
    _case("Part of our first-ever outdoor collection", *OK, lang="en"),
    _case("Built to last with reinforced stitching", *OK, lang="en"),
    _case("Helps reduce the appearance of dark circles", *OK, lang="en"),
    _case("Soothes and hydrates dry skin", *OK, lang="en"),
    _case("With aloe vera to calm the skin after shaving", *OK, lang="en"),
    _case("Supports healthy digestion as part of a balanced diet", *OK, lang="en"),
    _case("No. 7 Protect & Perfect serum", *OK, lang="en"),
    _case("Use code SAVE10 at checkout", *OK, lang="en"),
    _case("Rated the best value by Which? in 2024", "absolute_term", lang="en"),
    _case("Ships in recyclable packaging", *OK, lang="en"),
    _case("Don't miss our spring sale, running until March 31", *OK, lang="en"),
    _case("Lowest price in 30 days: $24.99", *OK, lang="en"),
    _case("Follow the instructions on the label", *OK, lang="en"),
    _case("Consult a doctor before use if you are pregnant", *OK, lang="en"),
    _case("The only charger you'll ever need", "absolute_term", lang="en"),
    _case(
        "Number 1 brand recommended by pediatricians",
        "absolute_term",
        "authority_endorsement",
        lang="en",
    ),
    _case("Best price guaranteed, nobody beats us", "price_fraud", lang="en"),
    _case("Cures insomnia naturally, no pills needed", "medical_claim", lang="en"),
    _case("Fights cancer cells with powerful antioxidants", "medical_claim", lang="en"),
    _case("Reverses gray hair in 30 days", "cosmetics_claim", "guarantee_claim", lang="en"),
    _case("Permanent hair removal at home", "cosmetics_claim", lang="en"),
    _case("Lose weight fast without diet or exercise", "guarantee_claim", lang="en"),
    _case("Guaranteed to pass your drug test", "guarantee_claim", lang="en"),
    _case("Completely risk-free investment with 20% monthly returns", "guarantee_claim", lang="en"),
    _case("Prices will never be this low again", "price_fraud", lang="en"),
    _case("Hurry, stock is running out fast!", "false_scarcity", lang="en"),
    _case("Offer expires in 10 minutes", "false_scarcity", lang="en"),
    _case(
        "Email us directly at sales@shop.com to get a better price", "platform_diversion", lang="en"
    ),
    _case("Those cheap Amazon knockoffs break in a week", "comparative_disparagement", lang="en"),
    _case("Brand Y's blender is a total piece of junk", "comparative_disparagement", lang="en"),
    _case("This amulet protects you from the evil eye", "superstition", lang="en"),
    _case("Holy shit, what a deal", "vulgar", lang="en"),
    _case("Buy weed gummies online", "sensitive", lang="en"),
    _case("Approved by the Ministry of Health", "authority_endorsement", lang="en"),
    _case("As seen on TV and endorsed by the President", "authority_endorsement", lang="en"),
    _case("Detoxifies your liver and kidneys", "medical_claim", lang="en"),
    _case("Anti-aging cream that makes you look 20 years younger", "cosmetics_claim", lang="en"),
    # === batch 9 (mixed, per category; before the ninth round)
    _case("本品牌是中国婴儿奶粉第一品牌", "absolute_term"),
    _case("这是我卖过的所有产品里最值得推荐的一款", "absolute_term"),
    _case("享受顶级五星酒店般的睡眠体验", "absolute_term"),
    _case("全宇宙最好喝的奶茶", "absolute_term"),
    _case("新款上市，欢迎选购", *OK),
    _case("最后提醒：下单前请核对收货地址", *OK),
    _case("央视推荐品牌，值得信赖", "authority_endorsement"),
    _case("特供中南海的茶叶，一般人喝不到", "authority_endorsement"),
    _case("国家质检免检产品", "authority_endorsement"),
    _case("通过国家食品安全抽检，合格率100%", *OK),
    _case("酸枣仁膏，治失眠效果特别好", "medical_claim"),
    _case("山楂丸消食化积，专治小儿积食", "medical_claim"),
    _case("常喝玉米须茶能降血糖", "medical_claim"),
    _case("石榴汁富含多酚，口感酸甜", *OK),
    _case("这瓶精华一用就白，七天换一张脸", "cosmetics_claim", "guarantee_claim"),
    _case("械字号敷料，医美术后专用", "cosmetics_claim"),
    _case("育发液，头顶稀疏救星", "cosmetics_claim"),
    _case("面霜滋润不油腻，秋冬必备", *OK),
    _case("三天瘦五斤，不瘦全额退款", "guarantee_claim"),
    _case("本培训保证通过，一次拿证", "guarantee_claim"),
    _case("绝对无副作用，孕妇儿童都能吃", "guarantee_claim"),
    _case("质保三年，终身维修", *OK),
    _case("全网最便宜，不信你去比", "price_fraud"),
    _case("跳楼大甩卖，最后三天", "false_scarcity", "price_fraud"),
    _case("原价888，直播间专享价188，明天恢复原价", "price_fraud"),
    _case("下单立减20元，可叠加优惠券", *OK),
    _case("只剩最后10件，卖完就没了", "false_scarcity"),
    _case("倒计时5分钟，马上改价", "false_scarcity"),
    _case("限量发售，每人限购1件", *OK),
    _case("改运手链，戴上就能转运", "superstition"),
    _case("风水摆件，招财进宝旺财运", "superstition"),
    _case("红绳手链，新年礼物", *OK),
    _case("矮子穿上也能显高，总比矮穷矬强", "discrimination"),
    _case("女司机必备，倒车再也不怕了", "discrimination"),
    _case("适合各种肤色的粉底液", *OK),
    _case("真他妈好用", "vulgar"),
    _case("这款内衣让你性感到爆，男人看了流鼻血", *OK),
    _case("老司机都懂的成人用品", "vulgar"),
    _case("吸毒后也能用的解毒剂", "medical_claim", "sensitive"),
    _case("日本鬼子的东西别买，支持国货", "discrimination"),
    _case("同行都在用劣质材料，我们不一样", "comparative_disparagement"),
    _case("某东卖的都是假货", "comparative_disparagement"),
    _case("比大牌更好用，价格只要十分之一", "comparative_disparagement"),
    _case("加vx：meimei520 看更多款", "platform_diversion"),
    _case("私聊发你淘宝链接", "platform_diversion"),
    _case("大家可以去闲鱼搜我的店", "platform_diversion"),
    _case("点击购物车直接下单", *OK),
    _case(
        "The #1 dermatologist-recommended brand",
        "absolute_term",
        "authority_endorsement",
        lang="en",
    ),
    _case("World's lightest hiking boot", "absolute_term", lang="en"),
    _case("Heals sunburn instantly", "guarantee_claim", "medical_claim", lang="en"),
    _case("Prevents cavities and gum disease", "medical_claim", lang="en"),
    _case("No side effects, no risk, just results", "guarantee_claim", lang="en"),
    _case("Everything must go — lowest prices ever", "price_fraud", lang="en"),
    _case("Only 3 hours left!", "false_scarcity", lang="en"),
    _case("Add me on Telegram @dealsguy", "platform_diversion", lang="en"),
    _case("Better than Brand Z, which is overpriced junk", "comparative_disparagement", lang="en"),
    _case("Lucky charm that brings wealth", "superstition", lang="en"),
    _case("Comfortable fit for all body types", *OK, lang="en"),
    _case("Great gift for coffee lovers", *OK, lang="en"),
    _case("Our new and improved formula", *OK, lang="en"),
    # === batch 10 (subtle and implied claims; before the tenth round)
    _case(
        "某猫上卖三百多的同款，我们这里只要99，人家就是割你韭菜",
        "comparative_disparagement",
        "price_fraud",
    ),
    _case("市面上90%的蜂蜜都是糖浆勾兑的，只有我们是真蜂蜜", "comparative_disparagement"),
    _case("大牌都是交品牌溢价，我们不玩虚的", *OK),
    _case("别再买那些网红款了，质量差到离谱", "comparative_disparagement"),
    _case("竞品的续航只有我们的一半", "comparative_disparagement"),
    _case("这颜色黑人穿了都显白", "discrimination"),
    _case("大妈们都抢着买的广场舞服装", *OK),
    _case("不适合胖子穿，胖的就别买了", "discrimination"),
    _case("男人不能说不行，一粒见效", "guarantee_claim", "vulgar"),
    _case("小骚货专属睡衣", "vulgar"),
    _case("这款瑜伽裤显臀型，超级显身材", *OK),
    _case("宝子们，评论区留言“想要”，我挨个私你", "platform_diversion"),
    _case("更多优惠请移步我的公众号", "platform_diversion"),
    _case("拍下后请联系我改价，走线下更便宜", "platform_diversion"),
    _case("下单备注暗号“粉丝”，客服给你改价", *OK),
    _case("淡化痘印，修护屏障，油痘肌友好", "cosmetics_claim"),
    _case("用了这瓶眼霜，鱼尾纹全没了", "cosmetics_claim", "guarantee_claim"),
    _case("激活胶原蛋白再生，皮肤紧致有弹性", "cosmetics_claim"),
    _case("医用级硅胶奶嘴，宝宝安全", *OK),
    _case("植物配方染发剂，一梳黑", "cosmetics_claim"),
    _case("用不好包退，效果看得见", "guarantee_claim"),
    _case("这个减肥茶，喝完当天就能掉秤", "guarantee_claim", "medical_claim"),
    _case("学员百分之九十九都考上了", "guarantee_claim"),
    _case("承诺有效，无效赔付", "guarantee_claim"),
    _case("该保险产品保本，年化收益4%", "guarantee_claim"),
    _case("今日下单享受厂家底价", "price_fraud"),
    _case("平台最低，无人能比", "absolute_term", "price_fraud"),
    _case("比双十一还便宜50块", *OK),
    _case("官方指导价1999，本店1599", *OK),
    _case("最后的库存了，卖完今年不会再上", "false_scarcity"),
    _case("随时下架，喜欢的抓紧", "false_scarcity"),
    _case("活动仅剩2小时", "false_scarcity"),
    _case("开业活动持续到本周日", *OK),
    _case("佛前供奉七七四十九天，灵气十足", "superstition"),
    _case("戴上这块玉，保你一生平安", "superstition"),
    _case("生肖兔挂件，可爱喜庆", *OK),
    _case("卫健委认证的健康食品", "authority_endorsement"),
    _case("国家博物馆授权文创产品", *OK),
    _case("荣获国家科技进步奖（2019年）", *OK),
    _case("清华北大学霸都在用的笔记本", *OK),
    _case("这款泡脚包可以驱寒祛湿、改善手脚冰凉", "medical_claim"),
    _case("喝了能提高孩子的记忆力和注意力", "medical_claim"),
    _case("枸杞泡水，养肝明目", "medical_claim"),
    _case("薄荷糖，口气清新", *OK),
    _case("超级好吃，吃了还想吃", *OK),
    # === batch 11 (mixed; before the eleventh round)
    _case("直播间福利价，全年就这一次", "false_scarcity"),
    _case("这款手机壳防摔性能业内第一", "absolute_term"),
    _case("品质碾压一众大牌", "comparative_disparagement"),
    _case("纯手工制作，每一件都是孤品", *OK),
    _case("本店所有商品假一赔三", *OK),
    _case("益生菌调理肠道，告别口臭和便秘", "medical_claim"),
    _case("孕妇专用防辐射服，保护胎儿健康", "medical_claim"),
    _case("这瓶爽肤水能收缩毛孔，让毛孔消失", "cosmetics_claim"),
    _case("眼霜，淡化黑眼圈，经功效测试", *OK),
    _case("生姜洗发水，防脱固发，告别秃头", "cosmetics_claim"),
    _case("喝这个酵素，三天排出肠道毒素", "guarantee_claim", "medical_claim"),
    _case("保证正品，支持验货", *OK),
    _case("零基础包教包会，学不会退全款", "guarantee_claim"),
    _case("本店亏本促销，只为回馈老客户", "price_fraud"),
    _case("一次性清仓，全场两折", *OK),
    _case("库存只剩个位数了", "false_scarcity"),
    _case("明天涨价，今天是最后的机会", "false_scarcity", "price_fraud"),
    _case("风水貔貅，镇宅招财，旺事业", "superstition"),
    _case("这个挂件寓意平安喜乐", *OK),
    _case("你个穷鬼买不起就别看了", "discrimination"),
    _case("胖妹妹专属大码裙，遮肉显瘦", *OK),
    _case("干他丫的，价格太良心了", "vulgar"),
    _case("赌神同款扑克牌，逢赌必赢", "sensitive"),
    _case("进口电子烟，多种口味可选", "sensitive"),
    _case("专家都说好的护眼仪", "authority_endorsement"),
    _case("国家级大师手工打造的紫砂壶", "authority_endorsement"),
    _case("公安部推荐的防盗门锁", "authority_endorsement"),
    _case("加我微：sunny2023", "platform_diversion"),
    _case("想要优惠券的宝子私信我暗号", "platform_diversion"),
    _case("主页橱窗同款，直接下单", *OK),
    _case("每一口都是大自然的馈赠", *OK),
    _case("史上最全的收纳方案", "absolute_term"),
    _case("目前性价比最高的4K显示器", "absolute_term"),
    _case("第一批用户已经用上了", *OK),
    _case("唯一指定官方旗舰店", "absolute_term"),
    _case("这款保温杯获得了中国红点设计奖", *OK),
    _case("Number one in customer service", "absolute_term", lang="en"),
    _case("Cures hangovers in minutes", "guarantee_claim", "medical_claim", lang="en"),
    _case("Boosts metabolism and burns fat 24/7", "medical_claim", lang="en"),
    _case("Certified organic by the USDA", *OK, lang="en"),
    _case("Safe for kids and pets", *OK, lang="en"),
    _case("Guaranteed to double your Instagram followers", "guarantee_claim", lang="en"),
    _case("Hurry! These deals won't last", "false_scarcity", lang="en"),
    _case("Ask for our WhatsApp number in chat", "platform_diversion", lang="en"),
    _case(
        "Unlike the cheap stuff at big-box stores, ours lasts",
        "comparative_disparagement",
        lang="en",
    ),
    _case("Good luck charm for exams", "superstition", lang="en"),
    _case("A bold, modern design", *OK, lang="en"),
    _case("Top pick for travelers", *OK, lang="en"),
    # === batch 12 (English listings; before the twelfth round)
    _case("PREMIUM QUALITY: Made from 100% food-grade silicone, BPA free", *OK, lang="en"),
    _case("EASY TO CLEAN: Dishwasher safe, no hand washing needed", *OK, lang="en"),
    _case(
        "The ultimate solution for back pain — relieves sciatica in minutes",
        "absolute_term",
        "guarantee_claim",
        "medical_claim",
        lang="en",
    ),
    _case("Our magnesium spray treats restless leg syndrome", "medical_claim", lang="en"),
    _case("Immune-boosting elderberry gummies for kids", "medical_claim", lang="en"),
    _case("Proven to lower blood sugar naturally", "medical_claim", lang="en"),
    _case("Anti-viral face mask kills 99% of viruses", "medical_claim", lang="en"),
    _case("Relieves symptoms of anxiety and stress", "medical_claim", lang="en"),
    _case("Supports restful sleep", *OK, lang="en"),
    _case("Rich in antioxidants", *OK, lang="en"),
    _case("#1 BEST SELLER on Amazon", "absolute_term", lang="en"),
    _case("The world's most advanced robot vacuum", "absolute_term", lang="en"),
    _case("Unrivaled comfort you can feel", "absolute_term", lang="en"),
    _case(
        "America's #1 doctor-recommended pain reliever brand",
        "absolute_term",
        "authority_endorsement",
        lang="en",
    ),
    _case("Industry-first 3-in-1 design", "absolute_term", lang="en"),
    _case("Best gift ever for dad", "absolute_term", lang="en"),
    _case("Better than any other brand on the market", "comparative_disparagement", lang="en"),
    _case("Don't waste money on cheap imitations", "comparative_disparagement", lang="en"),
    _case("Compare with similar products in our store", *OK, lang="en"),
    _case("100% satisfaction guaranteed or your money back", *OK, lang="en"),
    _case("Guaranteed weight loss of 10 pounds in a week", "guarantee_claim", lang="en"),
    _case("Works instantly, every single time", "guarantee_claim", lang="en"),
    _case(
        "Completely non-toxic and hypoallergenic", "cosmetics_claim", "guarantee_claim", lang="en"
    ),
    _case("Get rich with our proven trading system — zero risk", "guarantee_claim", lang="en"),
    _case("Limited stock — order now before it's gone!", "false_scarcity", lang="en"),
    _case("Flash sale ends in 2 hours", "false_scarcity", lang="en"),
    _case("Lowest price we've ever offered", "price_fraud", lang="en"),
    _case("Compare at $89.99 — yours for $19.99", "price_fraud", lang="en"),
    _case("Sold at wholesale prices to the public", *OK, lang="en"),
    _case("Contact me on WeChat for a better deal", "platform_diversion", lang="en"),
    _case("Visit our website to buy direct and save", "platform_diversion", lang="en"),
    _case("Questions? Message us through Amazon", *OK, lang="en"),
    _case("Brings prosperity and wards off bad luck", "superstition", lang="en"),
    _case("Feng shui bracelet for attracting money", "superstition", lang="en"),
    _case("Handmade macrame wall hanging", *OK, lang="en"),
    _case("Say goodbye to wrinkles forever", "cosmetics_claim", "guarantee_claim", lang="en"),
    _case("Regrows thinning hair in 30 days", "cosmetics_claim", "guarantee_claim", lang="en"),
    _case("Fades the look of dark spots over 8 weeks", *OK, lang="en"),
    _case("Skin bleaching cream for dark skin", "cosmetics_claim", lang="en"),
    _case("FDA-approved ingredients", "authority_endorsement", lang="en"),
    _case(
        "Recommended by 9 out of 10 dentists",
        "authority_endorsement",
        "unsupported_fact",
        lang="en",
    ),
    _case("Trusted by professionals worldwide", *OK, lang="en"),
    _case("Damn good coffee", *OK, lang="en"),
    _case("Kick-ass performance at half the price", "vulgar", lang="en"),
    # === batch 13 (multi-sentence scripts, posts and detail fields; before the 13th round)
    _case(
        "家人们晚上好！今天给大家带来的是这款羊毛围巾，100%澳洲美利奴羊毛，柔软不扎脖子，冬天戴上特别暖和。直播间下单还送礼盒包装，喜欢的宝宝可以点击下方小黄车。",
        *OK,
    ),
    _case(
        "姐妹们，这个精华我自己用了三个月了，真的是我用过最好的精华，没有之一！今天直播间只要199，外面专柜要599，赶紧冲！",
        "absolute_term",
        "price_fraud",
    ),
    _case(
        "来看这款空气炸锅，5.5升大容量，一次能做一整只鸡。不用油也能炸出金黄酥脆的效果，少油更健康。今天下单享受两年质保。",
        *OK,
    ),
    _case(
        "这款枕头我跟你们说，颈椎不好的一定要买，睡一晚上颈椎就不疼了，比去医院理疗还管用。",
        "guarantee_claim",
        "medical_claim",
    ),
    _case(
        "宝宝们，这款奶粉是进口原罐，含有DHA和益生元，宝宝爱喝。今天直播间买二送一，数量有限先到先得。",
        "false_scarcity",
    ),
    _case("这款面膜是全网销量冠军，所有明星都在用，敷完第二天皮肤嫩得能掐出水！", "absolute_term"),
    _case(
        "大家好，这款保温杯采用316不锈钢内胆，保温12小时，杯盖可拆洗。颜色有奶白、雾蓝和樱花粉三种。",
        *OK,
    ),
    _case(
        "这个洗衣液，去污能力绝对是行业天花板，一瓶顶别人家三瓶，用过的都说回不去了。",
        "absolute_term",
        "comparative_disparagement",
    ),
    _case(
        "#好物分享 #护肤 这瓶水乳用了一个月，干皮的冬天救星！"
        "质地滋润但不油腻，推荐给同样干皮的姐妹～",
        *OK,
    ),
    _case(
        "#减肥 #瘦身 跟着喝了这个代餐奶昔，一个月瘦了15斤，完全不用节食！链接私我～",
        "guarantee_claim",
        "medical_claim",
        "platform_diversion",
    ),
    _case(
        "#家居好物 这款香薰机超级安静，睡前开一会儿，整个房间都是淡淡的薰衣草香，助眠效果一级棒！",
        "medical_claim",
    ),
    _case(
        "#母婴 宝宝湿疹用这个面霜，三天就好了，比医院开的药膏还好用",
        "guarantee_claim",
        "medical_claim",
    ),
    _case("【产品名称】智能体脂秤【测量指标】体重、体脂率、BMI等13项数据【连接方式】蓝牙", *OK),
    _case("【核心卖点】监测血压，心脏病早知道，守护全家健康", "medical_claim"),
    _case("【面料】95%棉+5%氨纶【版型】修身【适用季节】春秋", *OK),
    _case("【品牌故事】创立于1998年，专注羽绒服25年，服务超过千万家庭", "unsupported_fact"),
    _case("月销10万+的爆款保温杯，今天直播间福利价", "unsupported_fact"),
    _case("Over 50,000 units sold — see why moms love it", "unsupported_fact", lang="en"),
    _case("十个买过的姐妹九个回购", "unsupported_fact"),
    _case("据尼尔森2023年零售数据，该品牌冲调类销售额同比增长12%", *OK),
    _case("【品质承诺】品质全国第一，假一赔十", "absolute_term"),
    _case("【功效】祛湿排毒，健脾养胃，改善体质", "medical_claim"),
    _case(
        "这款吸奶器是医院专用同款，吸力强劲，妈妈们的首选", "absolute_term", "authority_endorsement"
    ),
    _case("今晚最后一场，明天就涨回原价了，要的抓紧", "false_scarcity", "price_fraud"),
    _case("这一单我们是倒贴在卖，就当交个朋友", "price_fraud"),
    _case("想要更多颜色的可以加我的微信号，朋友圈每天更新", "platform_diversion"),
    _case("这件衣服穿上显瘦十斤，小肚子完全看不出来", *OK),
    _case("搭配一双小白鞋，简单又好看", *OK),
    # === batch 14 (paraphrases; before the 14th round)
    _case("我们家的酱油是酿造酱油中的NO.1", "absolute_term"),
    _case("这款电饭煲煮出来的米饭是最香的", "absolute_term"),
    _case("堪称行业教科书级别的设计", "absolute_term"),
    _case("国内首个获得该认证的品牌", "absolute_term"),
    _case("今年最流行的奶油色系", "absolute_term"),
    _case("全新升级第二代，续航提升20%", *OK),
    _case("我最喜欢它的低饱和配色", *OK),
    _case("省级非遗传承人手作", *OK),
    _case("航天科技同源材料", *OK),
    _case("央视著名主持人推荐", "authority_endorsement"),
    _case("国家卫生部门认可的消毒液", "authority_endorsement"),
    _case("这款茶能帮助降低血糖，糖友必备", "medical_claim"),
    _case("喝了以后胃病再也没犯过", "medical_claim"),
    _case("蒲公英茶，清热去火消炎", "medical_claim"),
    _case("鱼油富含Omega-3", *OK),
    _case("精华液主打抗皱紧致，已完成功效评价", *OK),
    _case("让你的皮肤重返婴儿般的状态，逆转肌龄", "cosmetics_claim"),
    _case("白发转黑洗发水，纯植物配方", "cosmetics_claim"),
    _case("祛斑效果杠杠的，斑点肉眼可见消失", "cosmetics_claim", "guarantee_claim"),
    _case("这款防晒喷雾清爽不黏腻", *OK),
    _case("无效不收费，先试后买", "guarantee_claim"),
    _case("三十天内瘦不下来，我们全额退款", "guarantee_claim"),
    _case("加盟我们，每个月稳定收入两万", "guarantee_claim"),
    _case("7天无理由，运费险包邮", *OK),
    _case("本次活动价格全网最优，不接受反驳", "absolute_term", "price_fraud"),
    _case("原价1299，今天只要299，亏到姥姥家了", "price_fraud"),
    _case("领券后到手价89元", *OK),
    _case("再犹豫就抢不到了，下一批要等一个月", "false_scarcity"),
    _case("秒杀只剩最后10秒", "false_scarcity"),
    _case("现货速发，48小时内发货", *OK),
    _case("开光朱砂手串，挡灾辟邪", "superstition"),
    _case("这个摆件能给你带来好运气", "superstition"),
    _case("中式屏风，古典雅致", *OK),
    _case("矮胖子别买，穿了像个球", "discrimination"),
    _case("屌爆了的音质", "vulgar"),
    _case("成人情趣用品，隐私发货", *OK),
    _case("赌场级扑克筹码套装", *OK),
    _case("某多多上的都是假货，别贪便宜", "comparative_disparagement"),
    _case("吊打各路网红产品", "comparative_disparagement"),
    _case("我们不跟别人比，只做好自己", *OK),
    _case("私信我拿内部价", "platform_diversion", "price_fraud"),
    _case("评论区扣1，我拉你进福利群", "platform_diversion"),
    _case("关注店铺领取五元无门槛券", *OK),
    _case("The tastiest snack on earth", "absolute_term", lang="en"),
    _case("A miracle cream for eczema", "medical_claim", lang="en"),
    _case("Slows down aging at the cellular level", "cosmetics_claim", lang="en"),
    _case("No risk — try it free for 30 days", "guarantee_claim", lang="en"),
    _case("Half price today only", "false_scarcity", lang="en"),
    _case("Text us on WhatsApp for 20% off", "platform_diversion", lang="en"),
    _case("Soft-touch finish, scratch resistant", *OK, lang="en"),
    # === batch 15 (paraphrases; before the 15th round)
    _case("坚持用一个疗程，黄褐斑一定会消失", "cosmetics_claim", "guarantee_claim"),
    _case("敷完这个面膜，皮肤立马白一个度", "cosmetics_claim", "guarantee_claim"),
    _case("这款身体乳能有效溶解脂肪，大象腿变筷子腿", "cosmetics_claim"),
    _case("眼部精华，填平泪沟，消除眼纹", "cosmetics_claim"),
    _case("头皮精华让毛囊重新激活，秃了也能长", "cosmetics_claim"),
    _case("保湿乳液，适合混合肌日常使用", *OK),
    _case("口红滋润不拔干，持久不掉色", *OK),
    _case("我们承诺：用完不满意，全额退款", *OK),
    _case("效果不好，我直接给你退", "guarantee_claim"),
    _case("吃了这款增高片，孩子一年长高10厘米", "guarantee_claim", "medical_claim"),
    _case("本课程通过率高达98%，不过免费重修", "guarantee_claim"),
    _case("理财小白也能年赚二十万", "guarantee_claim"),
    _case("一分钱不花也能让你瘦下来", *OK),
    _case("别人家用的都是回收料，吃进肚子里多可怕", "comparative_disparagement"),
    _case("那些几十块的羽绒服，里面全是鸭毛和棉絮", "comparative_disparagement"),
    _case("不是所有的牛奶都叫特仑苏", *OK),
    _case("大牌平替，品质不输专柜", *OK),
    _case("有本事让别家也拿出检测报告", "comparative_disparagement"),
    _case("这款连衣裙专为身材好的女生设计，胖的就别凑热闹了", "discrimination"),
    _case("东北人太粗鲁了，这个礼盒很适合南方人", "discrimination"),
    _case("老年人用的智能手机，大字体大音量", *OK),
    _case("男生女生都能穿", *OK),
    _case("这也太tm好看了吧", "vulgar"),
    _case("穿上它，今晚让他欲罢不能", *OK),
    _case("骚到骨子里的红色", "vulgar"),
    _case("加个VX吧，方便以后联系", "platform_diversion"),
    _case("这边不方便说，咱们微信聊", "platform_diversion"),
    _case("小红书同名，搜一下就能找到我", "platform_diversion"),
    _case("有任何问题随时在直播间留言", *OK),
    _case("关注主播不迷路，每晚八点准时开播", *OK),
    _case("每天前100名下单送小样", *OK),
    _case("仅剩最后一天，错过真的要等明年了", "false_scarcity"),
    _case("这个价格只有直播间有，外面绝对买不到", "absolute_term", "price_fraud"),
    _case("买贵了退差价", *OK),
    _case("这件羽绒服原价2999，现在不到三折", *OK),
    _case("库存告罄前最后一次补货", "false_scarcity"),
    _case("喝这个茶三个月，血压降到正常", "medical_claim"),
    _case("这款床垫能治腰椎间盘突出", "medical_claim"),
    _case("负离子发梳，减少静电，头发顺滑", *OK),
    _case("益生菌调节肠道菌群，促进消化", "medical_claim"),
    _case("每日一杯，精力充沛一整天", *OK),
    _case("富含维生素C，帮助增强抵抗力", "medical_claim"),
    _case("The #1 choice of professional chefs", "absolute_term", lang="en"),
    _case("Nothing works better for acne", "absolute_term", "medical_claim", lang="en"),
    _case("Instantly erases fine lines", "cosmetics_claim", "guarantee_claim", lang="en"),
    _case("Clinically shown to improve memory", "medical_claim", lang="en"),
    _case("Works better than prescription drugs", "medical_claim", lang="en"),
    _case("Never pay full price again — our lowest price is guaranteed", "price_fraud", lang="en"),
    _case("Only while stocks last", *OK, lang="en"),
    _case("Message me privately for the real price", "platform_diversion", lang="en"),
    # === batch 16 (paraphrases; before the 16th round)
    _case("吃了它，高血压的老毛病再也不用愁了", "medical_claim"),
    _case("艾草足贴一贴，湿气病痛全带走", "medical_claim"),
    _case("护膝内置磁石，关节炎患者的好帮手", "medical_claim"),
    _case("降糖茶，控糖效果看得见", "medical_claim"),
    _case("蓝莓叶黄素软糖，护眼必备", "medical_claim"),
    _case("红枣枸杞茶，冬天暖暖的很舒服", *OK),
    _case("富含膳食纤维，饱腹感强", *OK),
    _case("这款面霜让你的肌肤年轻十岁", "cosmetics_claim"),
    _case("去角质啫喱，一搓全是泥，皮肤立刻变嫩", "cosmetics_claim"),
    _case("脱毛膏永久不长，告别毛孔粗大", "cosmetics_claim"),
    _case("精华能修复敏感肌的皮肤屏障", "cosmetics_claim"),
    _case("用了就回不去的好用，回购十次了", *OK),
    _case("涂上它，痘痘第二天就瘪了", "cosmetics_claim", "guarantee_claim"),
    _case("承诺30天见效，不见效全额退款", "guarantee_claim"),
    _case("拿证率百分之百，考不过学费全退", "guarantee_claim"),
    _case("这套教材保你考上985", "guarantee_claim"),
    _case("不伤手不伤衣物，绝对安全无残留", "guarantee_claim"),
    _case("加入我们，轻松实现财务自由", "guarantee_claim"),
    _case("支持专业检测，假一赔十", *OK),
    _case("工厂清仓，价格低到不敢相信，全网找不到更低的", "price_fraud"),
    _case("跳水价来了，错过拍大腿", "false_scarcity", "price_fraud"),
    _case("今天这个价，品牌方知道了要骂我", "price_fraud"),
    _case("官方补贴后到手价99元", *OK),
    _case("库存仅有最后一箱", "false_scarcity"),
    _case("活动倒计时，即将恢复原价", "false_scarcity", "price_fraud"),
    _case("卖完这批就停产了，以后再也买不到", "false_scarcity"),
    _case("冬季新款陆续上新中", *OK),
    _case("这件衣服，穿上就是你们公司最靓的仔", *OK),
    _case("别家的面膜精华液少得可怜，我们家一片顶三片", "comparative_disparagement"),
    _case("网上那些便宜货都是三无产品", "comparative_disparagement"),
    _case("跟某品牌比，我们的才是良心价", "comparative_disparagement"),
    _case("开过光的转运珠，戴上好运连连", "superstition"),
    _case("家里摆放这个聚宝盆，财源滚滚来", "superstition"),
    _case("手工编织的平安结，送给家人", *OK),
    _case("黑人牙膏家庭装", *OK),
    _case("这个版型对梨形身材很友好", *OK),
    _case("拒绝黄脸婆，做精致女人", "discrimination"),
    _case("给老公买这个，他晚上会感谢你的", *OK),
    _case("约吗？这款香水让你桃花不断", "superstition"),
    _case("卧槽！这个价格我都想自己买", "vulgar"),
    _case("二维码扫一扫，拉你进VIP群", "platform_diversion"),
    _case("具体价格私聊", "platform_diversion"),
    _case("橱窗第三个链接就是同款", *OK),
    _case("国家级实验室检测认证", *OK),
    _case("由营养学专家团队研发", "authority_endorsement"),
    _case("A must-have for every home", *OK, lang="en"),
    _case("The strongest glue in the world", "absolute_term", lang="en"),
    _case("Cures dandruff permanently", "guarantee_claim", "medical_claim", lang="en"),
    _case("Helps reverse heart disease naturally", "medical_claim", lang="en"),
    _case("You'll never find a better deal anywhere", "price_fraud", lang="en"),
    # === batch 17 (baby, electronics, home, food, apparel; before the 17th round)
    _case("这款婴儿推车一秒收车，单手即可操作，重量仅5.8kg", *OK),
    _case("宝宝奶瓶采用PPSU材质，耐高温可蒸煮消毒", *OK),
    _case("益生菌滴剂，宝宝吃了不生病，抵抗力杠杠的", "medical_claim"),
    _case("纸尿裤超薄透气，宝宝屁屁不红不闷，远离红屁屁", *OK),
    _case("儿童安全座椅，国家3C认证，车祸中能保护宝宝100%安全", "guarantee_claim"),
    _case("这款学习桌能矫正坐姿，预防驼背和近视", "medical_claim"),
    _case("儿童牙膏含氟，有效预防蛀牙", *OK),
    _case("孕妇枕，缓解孕期腰酸背痛", "medical_claim"),
    _case("蓝牙耳机续航30小时，支持快充", *OK),
    _case("这款路由器信号穿墙能力业界最强", "absolute_term"),
    _case("手机电池用三年也不衰减", "guarantee_claim"),
    _case("降噪效果不输三千块的大牌耳机", *OK),
    _case("充电宝自带线，出门不用再带充电线", *OK),
    _case("辐射为零，孕妇可放心使用", "guarantee_claim"),
    _case("智能手环可以诊断心律失常", "medical_claim"),
    _case("扫地机器人有自动回充功能", *OK),
    _case("乳胶枕，能治疗打鼾，改善睡眠呼吸暂停", "medical_claim"),
    _case("除螨仪，螨虫清除率99.9%，远离过敏性鼻炎", "medical_claim"),
    _case("空气净化器，家有老人孩子更需要", *OK),
    _case("全屋净水器，喝出健康，远离癌症", "medical_claim"),
    _case("这款锅具不粘不糊，轻松清洗", *OK),
    _case("竹纤维毛巾，天然抑菌，不滋生细菌", *OK),
    _case("五常大米，颗粒饱满，入口香甜", *OK),
    _case("这款黑芝麻糊，天天吃白发变黑发", "cosmetics_claim"),
    _case("野生灵芝，百病克星", "medical_claim"),
    _case("纯粮酿造白酒，喝了不上头，还能活血养生", "medical_claim"),
    _case("苦荞茶，降三高首选", "absolute_term", "medical_claim"),
    _case("坚果每天一小把，营养又健康", *OK),
    _case("儿童奶粉，添加DHA，让宝宝更聪明", "medical_claim"),
    _case("吃了我们的鸡蛋，孩子个子蹭蹭长", "medical_claim"),
    _case("正宗阳澄湖大闸蟹，蟹黄饱满", *OK),
    _case("这款米粉是专为糖尿病人设计的", "medical_claim"),
    _case("精选新疆棉花，柔软亲肤", *OK),
    _case("这款冲锋衣防风防水，户外必备", *OK),
    _case("穿上这双增高鞋，立马高5厘米", *OK),
    _case("发热内衣，自发热保暖，冬天不怕冷", *OK),
    _case("这条裤子能瘦腿，穿一个月腿细一圈", "guarantee_claim"),
    _case("塑身衣，穿上就能瘦10斤", "guarantee_claim"),
    _case("防晒衣UPF50+，有效阻隔紫外线", *OK),
    _case("真丝睡衣，穿上睡眠质量都变好了", *OK),
    # === batch 18 (mixed; before the 18th round)
    _case("你们在别的直播间买的都是智商税", "comparative_disparagement"),
    _case("敢跟任何一家比质量", "comparative_disparagement"),
    _case("市面上同类产品我都测过，它是唯一不翻车的", "absolute_term"),
    _case("没有比这更划算的了", "price_fraud"),
    _case("这价格，闭着眼睛买都不亏", *OK),
    _case("今天破价，直接打骨折", "price_fraud"),
    _case("原价199，粉丝价99，仅限前50名", *OK),
    _case("下播即恢复原价，不接受任何理由", "price_fraud"),
    _case("仅剩三个名额，报满即止", "false_scarcity"),
    _case("倒数三秒，准备好手速", "false_scarcity"),
    _case("今年双十一最后一波福利", "false_scarcity"),
    _case("这个系列每年只做一批", *OK),
    _case("开运招财猫，摆在店里生意兴隆", "superstition"),
    _case("八卦镜挂门口，挡煞化煞", "superstition"),
    _case("生肖本命年红袜子，红红火火", *OK),
    _case("国家级非遗技艺，匠心传承", *OK),
    _case("外交部礼宾司指定用品", "authority_endorsement"),
    _case("国家电网合作供应商", *OK),
    _case("人民日报点赞的国货品牌", "authority_endorsement"),
    _case("部队炊事班同款大锅", "authority_endorsement"),
    _case("某三甲医院院长推荐的营养粉", "authority_endorsement"),
    _case("这款面膜能够修复烂脸，专治皮炎湿疹", "medical_claim", "cosmetics_claim"),
    _case("喝了一个星期，老胃病就好了", "medical_claim"),
    _case("泡脚包治失眠，一觉睡到天亮", "medical_claim"),
    _case("维生素软糖，每天两颗补充营养", *OK),
    _case("清肺茶，吸烟人群必备，排出肺部垃圾", "medical_claim"),
    _case("面霜添加了表皮生长因子EGF", "cosmetics_claim"),
    _case("玻尿酸原液，补水保湿", *OK),
    _case("用了这个发膜，头发再也不分叉了", *OK),
    _case("精华能刺激胶原蛋白增生，逆转衰老", "cosmetics_claim"),
    _case("这个减肥贴，贴肚子上就能瘦", "guarantee_claim", "medical_claim"),
    _case("签约班，考不上研究生全额退费", "guarantee_claim"),
    _case("零投入零风险，月入三万", "guarantee_claim"),
    _case("装上这款净水器，全家健康有保障", "guarantee_claim"),
    _case("官方正品，七天无理由退换", *OK),
    _case("他妈的，谁用谁知道", "vulgar"),
    _case("这款内衣让你胸大一个罩杯", "cosmetics_claim"),
    _case("又土又丑的农村风，我们不卖", "discrimination"),
    _case("加我V了解更多", "platform_diversion"),
    _case("需要的话可以到我们官网下单，价格更优惠", "platform_diversion"),
    _case("Top-selling item in our shop this month", *OK, lang="en"),
    _case("The most trusted brand in baby care", "absolute_term", lang="en"),
    _case("Relief from arthritis pain guaranteed", "guarantee_claim", "medical_claim", lang="en"),
    _case("Supports healthy blood sugar levels", "medical_claim", lang="en"),
    _case("Kills head lice and their eggs", "medical_claim", lang="en"),
    _case("Clinically studied ingredients", "medical_claim", lang="en"),
    _case("Results in just one use", "guarantee_claim", lang="en"),
    _case("Lowest price on the internet, period", "price_fraud", lang="en"),
    _case("Only today: buy one get one free", "false_scarcity", lang="en"),
    _case("For orders, ping me on Telegram", "platform_diversion", lang="en"),
    # === batch 19 (mixed; before the 19th round)
    _case("这款洗碗机是懒人的终极神器", "absolute_term"),
    _case("首屈一指的匠心工艺", "absolute_term"),
    _case("荣登天猫热销榜榜首", "absolute_term"),
    _case("中国人自己的顶级护肤品牌", "absolute_term"),
    _case("业内公认最好的吸尘器", "absolute_term"),
    _case("本店是这个类目的老店，开了十年", *OK),
    _case("本季主打款，颜色很正", *OK),
    _case("特别适合第一次养猫的新手", *OK),
    _case("军工级品质，经久耐用", *OK),
    _case("由北京协和医院专家团队监制", "authority_endorsement"),
    _case("获得国家领导人亲切接见的企业", "authority_endorsement"),
    _case("国家专利，质量有保证", *OK),
    _case("这款阿胶糕，补血养颜，女人必备", "medical_claim"),
    _case("红参饮，抗疲劳增强体质", "medical_claim"),
    _case("喝了它再也不用吃降压药", "medical_claim"),
    _case("本品可以替代降糖药", "medical_claim"),
    _case("五谷杂粮粉，代餐饱腹", *OK),
    _case("眼霜三天淡化黑眼圈", "guarantee_claim", "cosmetics_claim"),
    _case("这款卸妆水还能治螨虫", "medical_claim"),
    _case("防脱育发，头发越洗越多", "cosmetics_claim"),
    _case("水光针同款效果的面膜", "cosmetics_claim"),
    _case("晒后修护，舒缓泛红", *OK),
    _case("不满意全额退款，无效不收一分钱", "guarantee_claim"),
    _case("所有学员均已拿到心仪offer", "guarantee_claim"),
    _case("吃一个月，血糖稳稳的", "medical_claim"),
    _case("安全放心，无任何不良反应", "guarantee_claim"),
    _case("今天只有这一次机会，明天价格翻倍", "false_scarcity", "price_fraud"),
    _case("厂家清库存，最后一批赔钱走量", "price_fraud"),
    _case("比线下便宜几百块", "price_fraud"),
    _case("拼单价更划算", *OK),
    _case("还有最后几分钟，抢到就是赚到", "false_scarcity", "guarantee_claim"),
    _case("手慢则无，速抢", "false_scarcity"),
    _case("镇宅之宝，保佑全家平安", "superstition"),
    _case("招桃花的粉晶手链", "superstition"),
    _case("中国红的新年礼盒", *OK),
    _case("这种尺码只适合瘦子，胖子别想穿", "discrimination"),
    _case("真特么好看", "vulgar"),
    _case("澳门博彩同款骰子", "sensitive"),
    _case("这家的比别家好太多了，别家的都不行", "comparative_disparagement"),
    _case("其他牌子吹得天花乱坠，其实都是一样的货", "comparative_disparagement"),
    _case("想要的加我私人号", "platform_diversion"),
    _case("评论区留下你的微信，我来加你", "platform_diversion"),
    _case("下单后联系客服开发票", *OK),
    _case("Our product is the gold standard", "absolute_term", lang="en"),
    _case("Reverses diabetes in 30 days", "guarantee_claim", "medical_claim", lang="en"),
    _case("Zero calories, zero guilt", *OK, lang="en"),
    _case("Hand-picked, small-batch coffee", *OK, lang="en"),
    _case("Cheaper than anywhere else online", "price_fraud", lang="en"),
    _case("Going fast! Order before midnight", "false_scarcity", lang="en"),
    _case("DM us for the secret discount", "platform_diversion", lang="en"),
    # === batch 20 (short single claims; before the 20th round)
    _case("精华液可以修复受损的DNA", "cosmetics_claim"),
    _case("这款洗面奶能深入毛孔杀死螨虫和细菌", "cosmetics_claim"),
    _case("面霜含有激素成分，见效超快", "cosmetics_claim"),
    _case("祛痘凝胶，三天痘痘全消不留印", "cosmetics_claim", "guarantee_claim"),
    _case("美白丸，吃出白皙好皮肤", "cosmetics_claim"),
    _case("焕肤精华，一瓶让你告别粗糙暗沉", "cosmetics_claim"),
    _case("身体乳让鸡皮肤彻底消失", "cosmetics_claim", "guarantee_claim"),
    _case("保证不过敏，敏感肌随便用", "cosmetics_claim", "guarantee_claim"),
    _case("承诺三十天内见效", "guarantee_claim"),
    _case("本产品经过权威机构认证，绝对有效", "guarantee_claim"),
    _case("学会为止，不限次数重修", *OK),
    _case("保证你的孩子成绩提高20分", "guarantee_claim"),
    _case("这款燕窝吃了保证不会再感冒", "guarantee_claim", "medical_claim"),
    _case("别家的充电宝虚标容量，我们实打实20000毫安", "comparative_disparagement"),
    _case("不要被那些低价货骗了", "comparative_disparagement"),
    _case("和那些贴牌货不是一个档次", "comparative_disparagement"),
    _case("我们的价格可能不是最低的，但品质一定对得起价格", *OK),
    _case("倒计时开始，过时不候", "false_scarcity"),
    _case("今天不买，明天就没了", "false_scarcity"),
    _case("最后两个小时，活动即将结束", "false_scarcity"),
    _case("新品预售中，预计7天内发货", *OK),
    _case("全场清仓，一件不留", *OK),
    _case("这价格是全网独一份", "absolute_term"),
    _case("我们是源头工厂，价格比市场价低一半", "price_fraud"),
    _case("今天的价格是历史新低", "price_fraud"),
    _case("到手价比平时便宜30元", *OK),
    _case("一件也是批发价", "price_fraud"),
    _case("全国独家代理", *OK),
    _case("行业内唯一拥有三项专利的企业", "absolute_term"),
    _case("这是全网评分最高的一款", "absolute_term"),
    _case("荣获年度最佳产品奖（2023中国家电博览会）", *OK),
)


# --- scoring -----------------------------------------------------------------------------


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass
class Score:
    text: Counts = field(default_factory=Counts)
    blocked: Counts = field(default_factory=Counts)  # "flagged" = blocked only
    per_category: dict[str, Counts] = field(default_factory=dict)
    per_kind: dict[str, Counts] = field(default_factory=dict)
    mistakes: list[tuple[Case, str, frozenset[str]]] = field(default_factory=list)

    def category(self, name: str) -> Counts:
        return self.per_category.setdefault(name, Counts())

    def kind(self, name: str) -> Counts:
        return self.per_kind.setdefault(name, Counts())

    def flagged_rate(self, kind: str) -> float:
        """The share of ``kind`` (a compliant kind) that is flagged."""
        counts = self.per_kind.get(kind, Counts())
        total = counts.fp + counts.tn
        return counts.fp / total if total else 0.0


def predicted(checker: Checker, case: Case) -> tuple[str, frozenset[str]]:
    """The status and categories the rule packs give a case.

    Only findings of the YAML packs' categories count, so that the code-defined
    detectors (language, personal data, facts) do not blur what is measured here.
    """
    result = checker.check(
        case.text, lang=case.lang, category=case.category, platform=case.platform
    )
    content = [
        f
        for f in result.findings
        if f.severity in ("block", "warn") and f.category in CONTENT_CATEGORIES
    ]
    if any(f.severity == "block" for f in content):
        status = "blocked"
    else:
        status = "review" if content else "pass"
    return status, frozenset(f.category for f in content)


def score(checker: Checker, cases: Iterable[Case]) -> Score:
    out = Score()
    for case in cases:
        status, got = predicted(checker, case)
        want = case.expected
        flagged = status in ("blocked", "review")
        _tally(out.text, bool(want), flagged)
        _tally(out.blocked, bool(want), status == "blocked")
        if case.kind is not None:
            _tally(out.kind(case.kind), bool(want), flagged)
        for name in want | got:
            counts = out.category(name)
            if name in want and name in got:
                counts.tp += 1
            elif name in got:
                counts.fp += 1
            else:
                counts.fn += 1
        if got != (want - {UNCATEGORISED}) or bool(want) != flagged:
            out.mistakes.append((case, status, got))
    return out


def _tally(counts: Counts, expected: bool, flagged: bool) -> None:
    if expected and flagged:
        counts.tp += 1
    elif flagged:
        counts.fp += 1
    elif expected:
        counts.fn += 1
    else:
        counts.tn += 1


def format_score(title: str, result: Score) -> str:
    t, b = result.text, result.blocked
    lines = [
        f"{title}",
        f"  text level (blocked or review): P={t.precision:.3f} R={t.recall:.3f} "
        f"(tp={t.tp} fp={t.fp} fn={t.fn} tn={t.tn})",
        f"  text level (blocked only):      P={b.precision:.3f} R={b.recall:.3f}",
        f"  {'category':<28}{'support':>8}{'P':>7}{'R':>7}   tp  fp  fn",
    ]
    for name in sorted(result.per_category):
        c = result.per_category[name]
        lines.append(
            f"  {name:<28}{c.support:>8}{c.precision:>7.2f}{c.recall:>7.2f}"
            f"  {c.tp:>3} {c.fp:>3} {c.fn:>3}"
        )
    if result.per_kind:
        lines.append("  " + format_kinds(result))
    return "\n".join(lines)


def format_kinds(result: Score) -> str:
    """Recall per violating kind, flagged share per compliant kind."""
    parts: list[str] = []
    for kind in VIOLATING_KINDS:
        if kind in result.per_kind:
            c = result.per_kind[kind]
            parts.append(f"{kind} R={c.recall:.2f} ({c.tp}/{c.support})")
    for kind in CLEAN_KINDS:
        if kind in result.per_kind:
            c = result.per_kind[kind]
            parts.append(f"{kind} flagged={result.flagged_rate(kind):.1%} ({c.fp}/{c.fp + c.tn})")
    return "by kind: " + ", ".join(parts)


def labelled_cases() -> list[Case]:
    """The shared labelled texts with a verdict (null = context-dependent, left out)."""
    cases: list[Case] = []
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        verdict = row["expected_violation"]
        if verdict is None:
            continue
        expected = LABELLED_CATEGORIES.get(row["id"], frozenset()) if verdict else frozenset()
        assert bool(expected) == verdict, f"{row['id']}: category mapping out of date"
        cases.append(Case(row["text"], expected))
    return cases


def heldout_cases(path: Path) -> list[Case]:
    """One saved held-out batch (``tests/data/heldout_*.jsonl``) as cases."""
    cases: list[Case] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        expected = frozenset(row["categories"])
        assert bool(expected) == row["violating"], f"{path.name}:{number}: verdict/categories"
        assert expected <= set(CONTENT_CATEGORIES), f"{path.name}:{number}: {sorted(expected)}"
        kind = row.get("kind")
        if kind is not None:
            assert kind in VIOLATING_KINDS + CLEAN_KINDS, f"{path.name}:{number}: kind {kind}"
            assert (kind in VIOLATING_KINDS) == row["violating"], f"{path.name}:{number}: kind"
        cases.append(Case(row["text"], expected, row.get("lang"), row.get("category"), kind=kind))
    return cases


def advertisegen_texts() -> list[str]:
    return [
        json.loads(line)["summary"]
        for line in ADGEN.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


# --- tests -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker()


def _assert_floors(
    result: Score, *, text: float, category: float, min_support: int, skip: Sequence[str] = ()
) -> None:
    assert result.text.precision >= text, f"text precision {result.text.precision:.3f} < {text}"
    assert result.text.recall >= text, f"text recall {result.text.recall:.3f} < {text}"
    for name, counts in result.per_category.items():
        if name in skip or counts.support < min_support:
            continue
        assert counts.precision >= category, f"{name}: precision {counts.precision:.2f}"
        assert counts.recall >= category, f"{name}: recall {counts.recall:.2f}"


def test_labelled_cases(checker: Checker) -> None:
    if not LABELLED.is_file():
        pytest.skip(f"shared data not found: {LABELLED}")
    result = score(checker, labelled_cases())
    print("\n" + format_score("shared labelled cases (cn_labelled_adcopy_testcases)", result))
    # Two labelled-violating texts are indistinguishable from labelled-compliant ones
    # (用了都说好 / 相比传统方案…更高) and one compliant text is a personal 最好喝;
    # everything else must stay right.
    _assert_floors(result, text=0.9, category=0.75, min_support=3, skip=(UNCATEGORISED,))
    assert len(result.mistakes) <= 4, [m[0].text for m in result.mistakes]


def test_own_cases(checker: Checker) -> None:
    result = score(checker, OWN_CASES)
    print("\n" + format_score("own realistic cases", result))
    for case, _status, got in result.mistakes:
        print(f"  mistake: {case.text[:40]!r} expected={sorted(case.expected)} got={sorted(got)}")
    _assert_floors(result, text=0.95, category=0.9, min_support=3)


def test_own_cases_cover_every_category() -> None:
    covered = {name for case in OWN_CASES for name in case.expected}
    assert covered >= set(CONTENT_CATEGORIES)
    compliant = sum(1 for case in OWN_CASES if not case.expected)
    assert compliant >= len(OWN_CASES) // 3  # enough false-positive traps


def test_advertisegen_block_rate(checker: Checker) -> None:
    if not ADGEN.is_file():
        pytest.skip(f"shared data not found: {ADGEN}")
    texts = advertisegen_texts()
    statuses = [checker.check(text).status for text in texts]
    blocked = statuses.count("blocked") / len(texts)
    review = statuses.count("review") / len(texts)
    print(
        f"\nAdvertiseGen ({len(texts)} human-written ads): "
        f"blocked {blocked:.2%}, review {review:.2%}"
    )
    assert blocked < 0.02
    assert blocked + review < 0.07


# Floors on the saved held-out batches: measured values, minus a small margin. Batch 1
# (304 texts) was written before the paraphrase rounds and then tuned on; batch 2 (175)
# was written after round 2 and measured untouched first (P 0.91 / R 0.64 — see the rules
# README section), then tuned on in round 3; batch 3 (126) was written after round 3 and
# measured untouched (P 0.93 / R 0.56), then tuned on in round 4; batch 4 (98) was written
# after round 4 and measured untouched (P 0.91 / R 0.57), then tuned on in round 5;
# batch 5 (89, deliberately harder) after round 5: untouched P 0.91 / R 0.41, then round 6;
# batch 6 (81) after round 6: untouched P 0.97 / R 0.69, then round 7.
# batch 7 (126, weighted to the weak categories) after round 7: untouched P 1.00 / R 0.75
# (authority 0.85, disparagement 0.60, cosmetics 0.40, discrimination 0.56), then round 8.
# batch 8 (67) after round 8, measured untouched: P 0.96 / R 0.58 (disparagement 0.00,
# cosmetics 0.50, discrimination 0.40, sensitive 0.25), then round 8c (P 0.98 / R 0.95).
# batch 9 (54) after round 8c, measured untouched: P 1.00 / R 0.41 (authority 0.20,
# disparagement 0.00, cosmetics 0.00, discrimination 0.00), then round 8d; batch 10 (51) after
# round 8d, untouched: P 0.94 / R 0.52 (discrimination 0.00, sensitive 0.00), then round 8e;
# batch 11 (50, longer conversational copy) after round 8e, untouched: P 0.92 / R 0.33, then
# round 8f; batch 12 (46) after round 8f, untouched: P 1.00 / R 0.45, then round 8g.
# Fresh-copy recall stays well below the tuned numbers: treat the untouched ones as the estimate.
# Per-category precision
# sits lower than recall mainly because time-bound effect claims ("两天全消", "a month, no
# more ...") also raise guarantee_claim, which these batches did not always label.
HELDOUT_FLOORS: dict[str, dict[str, float]] = {
    "heldout_fresh.jsonl": {"text": 0.95, "precision": 0.75, "recall": 0.9, "support": 4},
    "heldout_fresh2.jsonl": {"text": 0.95, "precision": 0.6, "recall": 0.85, "support": 4},
    "heldout_fresh3.jsonl": {"text": 0.95, "precision": 0.7, "recall": 0.9, "support": 4},
    "heldout_fresh4.jsonl": {"text": 0.95, "precision": 0.6, "recall": 0.75, "support": 4},
    "heldout_fresh5.jsonl": {"text": 0.95, "precision": 0.7, "recall": 0.7, "support": 4},
    "heldout_fresh6.jsonl": {"text": 0.95, "precision": 0.7, "recall": 0.7, "support": 4},
    "heldout_fresh7.jsonl": {"text": 0.95, "precision": 0.85, "recall": 0.85, "support": 4},
    "heldout_fresh8.jsonl": {"text": 0.9, "precision": 0.8, "recall": 0.75, "support": 4},
    "heldout_fresh9.jsonl": {"text": 0.9, "precision": 0.7, "recall": 0.75, "support": 4},
    "heldout_fresh10.jsonl": {"text": 0.9, "precision": 0.8, "recall": 0.75, "support": 4},
    "heldout_fresh11.jsonl": {"text": 0.9, "precision": 0.75, "recall": 0.7, "support": 4},
    "heldout_fresh12.jsonl": {"text": 0.9, "precision": 0.7, "recall": 0.75, "support": 3},
    # issue 11, untouched: v2a (evasions) P 0.70 / R 0.55, v2b (paraphrases) P 0.65 /
    # R 0.33, v2c (mixed, en-heavy) P 0.65 / R 0.40; after compliance v2 (tuned on them):
    # P 1.00 / 1.00 / 0.99, R 0.96 / 0.95 / 1.00. Per-category precision is the weak side:
    # a paraphrase often raises a second category too (a cure story is also a guarantee).
    "heldout_v2a.jsonl": {"text": 0.93, "precision": 0.55, "recall": 0.6, "support": 4},
    "heldout_v2b.jsonl": {"text": 0.93, "precision": 0.55, "recall": 0.6, "support": 4},
    "heldout_v2c.jsonl": {"text": 0.93, "precision": 0.55, "recall": 0.6, "support": 4},
    # v2d was sealed until compliance v2 was done: untouched P 0.90 / R 0.67 (paraphrased
    # 0.42, evasion 0.77, hard clean flagged 16%); the packs before v2 scored P 0.64 / R 0.36
    # on it. Then tuned on its false positives and five families: P 1.00 / R 0.75.
    "heldout_v2d.jsonl": {"text": 0.7, "precision": 0.6, "recall": 0.45, "support": 4},
    # v2e was written after all of the above: untouched P 0.94 / R 0.70 (evasion 0.91,
    # paraphrased 0.35, hard clean flagged 9%; the packs before v2: P 0.70 / R 0.47), then
    # tuned on: P 0.98 / R 0.97.
    "heldout_v2e.jsonl": {"text": 0.9, "precision": 0.6, "recall": 0.6, "support": 4},
    # v2f was sealed until everything above was done and is NOT tuned on: P 0.94 / R 0.62
    # (evasion 0.89, paraphrased 0.20, hard clean flagged 9%; the packs before v2: P 0.69 /
    # R 0.33). The honest estimate for copy the rules have never seen.
    "heldout_v2f.jsonl": {"text": 0.6, "precision": 0.55, "recall": 0.45, "support": 6},
}


@pytest.mark.parametrize("name", sorted(HELDOUT_FLOORS))
def test_heldout_batches(checker: Checker, name: str) -> None:
    path = HELDOUT_DIR / name
    floors = HELDOUT_FLOORS[name]
    result = score(checker, heldout_cases(path))
    print("\n" + format_score(f"held-out batch {name}", result))
    for case, _status, got in result.mistakes:
        print(f"  mistake: {case.text[:40]!r} expected={sorted(case.expected)} got={sorted(got)}")
    assert result.text.precision >= floors["text"], f"text precision {result.text.precision:.3f}"
    assert result.text.recall >= floors["text"], f"text recall {result.text.recall:.3f}"
    for category, counts in result.per_category.items():
        if counts.support < floors["support"]:
            continue
        assert counts.precision >= floors["precision"], f"{category}: P {counts.precision:.2f}"
        assert counts.recall >= floors["recall"], f"{category}: R {counts.recall:.2f}"


def test_heldout_batches_are_balanced() -> None:
    names = sorted(p.name for p in HELDOUT_DIR.glob("heldout_*.jsonl"))
    assert names == sorted(HELDOUT_FLOORS), "a saved batch has no floors (or floors no batch)"
    for name in names:
        cases = heldout_cases(HELDOUT_DIR / name)
        if name.startswith("heldout_v2"):
            continue  # balanced by kind: test_v2_batches_cover_every_kind
        covered = {category for case in cases for category in case.expected}
        assert covered >= set(BALANCED_CATEGORIES), (
            f"{name}: {sorted(set(BALANCED_CATEGORIES) - covered)}"
        )
        compliant = sum(1 for case in cases if not case.expected)
        assert len(cases) // 3 <= compliant <= 2 * len(cases) // 3, name
        assert {case.lang for case in cases} == {"zh", "en"}, name


def v2_cases() -> list[Case]:
    """Every v2 held-out batch (issue 11), in one list."""
    return [
        case
        for path in sorted(HELDOUT_DIR.glob("heldout_v2*.jsonl"))
        for case in heldout_cases(path)
    ]


def test_v2_batches_cover_every_kind() -> None:
    cases = v2_cases()
    kinds = [case.kind for case in cases]
    assert len(cases) >= 300
    assert kinds.count("paraphrased") + kinds.count("evasion") >= 0.45 * len(cases)  # about half
    assert kinds.count("hard_clean") >= 0.3 * len(cases)  # about a third
    assert {case.lang for case in cases if case.kind == "hard_clean"} == {"zh", "en"}
    assert set(kinds) == set(VIOLATING_KINDS + CLEAN_KINDS)


# What the packs reach on the v2 batches as a whole (issue 11), with a margin: recall
# per violating kind, and the most of the compliant kinds they may flag.
KIND_FLOORS: dict[str, float] = {"direct": 0.95, "paraphrased": 0.7, "evasion": 0.9}
CLEAN_CEILINGS: dict[str, float] = {"hard_clean": 0.04, "clean": 0.05}


def test_v2_batches_by_kind(checker: Checker) -> None:
    result = score(checker, v2_cases())
    print("\n" + format_score("v2 held-out batches", result))
    for kind, floor in KIND_FLOORS.items():
        recall = result.per_kind[kind].recall
        assert recall >= floor, f"{kind}: recall {recall:.2f} < {floor}"
    for kind, ceiling in CLEAN_CEILINGS.items():
        rate = result.flagged_rate(kind)
        assert rate <= ceiling, f"{kind}: {rate:.1%} flagged > {ceiling:.0%}"


# Evasions the engine normalises: each must still hit a rule of the given category.
EVASIONS: tuple[tuple[str, str], ...] = (
    ("加 微 信 领券", "platform_diversion"),
    ("加-微-信领券", "platform_diversion"),
    ("加微·信领券", "platform_diversion"),
    ("ＶＸ：shop888", "platform_diversion"),
    ("有事找我Vx", "platform_diversion"),
    ("加V信详聊", "platform_diversion"),
    ("加 v 领福利", "platform_diversion"),
    ("薇信同号", "platform_diversion"),
    ("Ｗhats App me", "platform_diversion"),
    ("全　网　最　低　价", "price_fraud"),
    ("最*好的面霜", "absolute_term"),
    ("销量第①", "absolute_term"),
    ("ＮＯ．１的品质", "absolute_term"),
    ("Ｔｏｐ１爆款", "absolute_term"),
    ("THE BEST SERUM EVER", "absolute_term"),
    ("治.疗失眠", "medical_claim"),
    ("无/效/退/款", "guarantee_claim"),
    ("开_光貔貅", "superstition"),
)


@pytest.mark.parametrize(("text", "category"), EVASIONS)
def test_evasions_are_caught(checker: Checker, text: str, category: str) -> None:
    _status, got = predicted(checker, Case(text, frozenset()))
    assert category in got, f"{text!r}: got {sorted(got)}"


@pytest.mark.parametrize(
    ("text", "category", "flagged"),
    [
        ("瘦脸霜，每天涂抹", "beauty", True),
        ("瘦脸霜，每天涂抹", "apparel", False),
        ("美白精华，淡化痘印", "beauty", True),
        ("美白精华，淡化痘印", "electronics", False),
    ],
)
def test_cosmetics_rules_follow_product_category(
    checker: Checker, text: str, category: str, flagged: bool
) -> None:
    _status, got = predicted(checker, Case(text, frozenset(), category=category))
    assert ("cosmetics_claim" in got) is flagged


def test_livestream_rules_follow_platform(checker: Checker) -> None:
    script = "家人们已经抢了5000单了，原价299今天只要99"
    live = checker.check(script, platform="livestream")
    page = checker.check(script, platform="detail")
    assert {"platform.livestream.fake_data", "platform.livestream.original_price"} <= {
        f.rule for f in live.findings
    }
    assert not {f.rule for f in page.findings} & {
        "platform.livestream.fake_data",
        "platform.livestream.original_price",
    }


def test_english_rules_stay_out_of_chinese_copy(checker: Checker) -> None:
    # 'BEST' as part of a Chinese product line's name must not fire the English packs
    # when the copy is declared Chinese.
    result = checker.check("BEST系列保温杯，容量500ml", lang="zh")
    assert not [f for f in result.findings if f.rule.startswith("en.")]
