"""How people disguise a listed term, as data: emoji, look-alike letters and
characters, pinyin, and the variants of rule terms generated from them.

Two halves. The character tables are used by normalize.py on every text: an emoji
that stands for a character (降🩸压), a Cyrillic or Greek letter that looks Latin
(Ѕаfеst), a financial numeral or variant character (第壹, 囯家), Traditional
characters (OpenCC's t2s table, one character for one). The variant generators are
used once, when the rules are compiled (matcher.py): every Chinese term also
matches spelled in pinyin (zui好, zhiliao), with initials (q斑), with one
homophone (加薇信) or with one look-alike (冶疗). Variants are keys of the same
automaton, so evasive spellings cost nothing at check time.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from functools import lru_cache

# Emoji that stand for a word or character in Chinese internet copy. Any other emoji
# between two characters is dropped as a separator (减🔥肥 -> 减肥).
EMOJI_CHARS: dict[str, str] = {
    "🩸": "血",
    "🏥": "院",
    "💰": "财",
    "💴": "钱",
    "💵": "钱",
    "💧": "水",
    "🍶": "酒",
    "🍺": "酒",
    "🍻": "酒",
    "🍷": "酒",
    "🥃": "酒",
    "🍾": "酒",
    "🉑": "可",
    "➕": "加",
    "🈚": "无",
    "🈶": "有",
    "🈲": "禁",
    "🔝": "顶",
    "🥇": "no.1",
    "💯": "100%",
    "🆓": "免费",
    "💊": "药",
    "📞": "电话",
    "☎": "电话",
}

# Letters of other scripts that look Latin (Unicode confusables, the common ones).
CONFUSABLES: dict[str, str] = dict(
    zip(
        "аеорсухіјѕԁһӏԛԝвкмнтѡαβεικμνορτυχοΑΒΕΖΗΙΚΜΝΟΡΤΥΧАВЕКМНОРСТУХІЈЅ",
        "aeopcyxijsdhlqwbkmhtwabeikmvoptuxoabezhikmnoptyxabekmhopctyxijs",
        strict=True,
    )
)

# Financial numerals and variant characters OpenCC leaves alone. 伍/陆/肆 are left
# out: 队伍, 大陆, 肆意 are words.
VARIANT_CHARS: dict[str, str] = {
    "壹": "一",
    "贰": "二",
    "貳": "二",
    "叁": "三",
    "參": "三",
    "柒": "七",
    "捌": "八",
    "玖": "九",
    "囯": "国",
    "圀": "国",
}

# Look-alike characters used to dodge a listed term (冶疗 for 治疗, 徽信 for 微信).
LOOK_ALIKES: dict[str, str] = {
    "治": "冶洽",
    "微": "徽薇",
    "信": "芯",
    "疗": "辽",
    "消": "肖",
    "癌": "嵒",
    "药": "葯",
    "最": "蕞",
    "第": "弟",
}

# Toneless pinyin syllables (ü written v), from pypinyin over U+4E00-U+9FA5.
_SYLLABLE_TEXT = (
    "a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu "
    "ca cai can cang cao ce cen ceng cha chai chan chang chao che chen cheng chi "
    "chong chou chu chua chuai chuan chuang chui chun chuo ci cong cou cu cuan cui "
    "cun cuo da dai dan dang dao de den deng di dian diao die ding diu dong dou du "
    "duan dui dun duo e ei en eng er fa fan fang fei fen feng fiao fo fou fu ga gai "
    "gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo ha hai "
    "han hang hao he hei hen heng hm hong hou hu hua huai huan huang hui hun huo ji "
    "jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao "
    "ke ken keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao le "
    "lei leng li lia lian liang liao lie lin ling liu lo long lou lu luan lun luo lv "
    "lve m ma mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou "
    "mu n na nai nan nang nao ne nei nen neng ni nian niang niao nie nin ning niu "
    "nong nou nu nuan nun nuo nv nve o ou pa pai pan pang pao pei pen peng pi pian "
    "piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu "
    "quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai "
    "san sang sao se sen seng sha shai shan shang shao she shen sheng shi shou shu "
    "shua shuai shuan shuang shui shun shuo si song sou su suan sui sun suo ta tai "
    "tan tang tao te teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa wai "
    "wan wang wei wen weng wo wu xi xia xian xiang xiao xie xin xing xiong xiu xu "
    "xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun za zai "
    "zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhen zheng zhi zhong "
    "zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo "
)
SYLLABLES: frozenset[str] = frozenset(_SYLLABLE_TEXT.split())

# The 3,500 most used GB2312 characters (weighted by jieba's dictionary): homophones are
# drawn from these only, since a rare character is no disguise.
COMMON_CHARS = (
    "一是人了不在有大中国和为这上他个地年来我会以到时要出的生学说道民家子也成行下们于"
    "后就发自之对得主长可过天作分方用多你着部能市等业全里工公经本都而高政法面门动日进"
    "区事代那去心小同北定开产前其军还然起种所如现理机体表力好外与文当两实重新三么只山"
    "水关明从化平建又制南内西没此将员名手最东头者月间无安看见各城十相但已些正口通想度"
    "加第她合院物性战由位常点海意场武使次二向治因立数样身情入原问把路被并利石老教万知"
    "级量任江及应省资委务元美特期世湖回系比气汉总展电科金先声提品设或义王社很统处四首"
    "共马形己儿司太目基领队直计别女权话少流命至报米给打变果书清活几州华解议更称程今决"
    "张导术府才保交放管结师便走达族反再题色五京河接条规式县白它改风光运信受什组听布百"
    "济党指论强做取技黄神选记斯真却职号界件花类何眼兵传带空干农边据集联古广完质阳难增"
    "历史专官每住商即步认车台林必死游举线言皇土团收考求德叫近备研争非具李众连调感转笑"
    "革该持始英克士尔让拉思根格造较际亲单朝红型价校约器字段周亚深候则功属积快图火千准"
    "究往极育装许参半令吃观鱼精办像帝八复影告远群包整构料随划算象容示投势热值夫网望源"
    "息语股铁断派速怎需片爱律纪支早况病境证编越局推满且列觉服双未居除乐企引标确织初青"
    "志率项飞球节察龙响药站施均消客失轻存低甚般击曾防请离落显罗营足素视护副食创余照兴"
    "占巴虽洲村费易试星木黑左宝置跟央识维采六底宫房音环案批切斗富乡另倒若按查故突责严"
    "桥模仅胜杀围席态破承招杨负层须父供续状域似依银范修找九致密终血旅钱赛独细效玉冲获"
    "习医演毛尽脸弹楼艺航陆右协七攻镇检写苏宗章注阿抗弟坐验封紧劳户优财养适陈喜卫排射"
    "哥油刻留急降念云微伤例景拿绝阶座刘刚害印亿沙母酒助闻超审待压升送监策略限竟香配藏"
    "敌呢差仍兰温园树征善波哪词岛止预怕继皮执味份角草男普答益谁船惊核街夏宣掌田久著画"
    "辑奇尼剑吧谈背免孩礼材愿洋春架筑括晚乱乎讲尚良友临激刀夜室既敢邦挥昌板胡欧福港叶"
    "简苦担句岁荆贵娘守辖威宜衣帮块堂额错剧充欢够孙班呼阵销坚练脚退读测吴希宁换版异某"
    "顾曲楚典朱毒菜判救宋茶洪含顺啊鲜败货矿端兄归冷忙买险康评肉吗厂永哈沉散遗停笔假输"
    "牛洞松渐顶训录否述毕督控丰献姑忽爷互亮纳襄登咱钟伯臣雄季脑介鄂召饭暗扩祖齐短烈赶"
    "牌恩诉移诗础露届蒙静喝盘卖植授伊湾博痛减穿逐秘庭陵固禁票灵杂姓泽吸侧庆妈遇追甲馆"
    "补唐炮沿殿刺怪彩俄旧警索岸轮妇载靠附毫怀软骨探雷旁罪枪牙迎序慢盛雨墙恶谷顿危稳熟"
    "概酸操诸绿佛荣针托宽折野付午肯库厚缺罢耳屋嘴末谢巨培页瓦款犯困店智拥雪翻圣戏旗吉"
    "婚奖岩疑币圆歌廷健卡烧析讨跑烟误仙疗舞亡闭汽伸脱秋姐繁侵川莫麻秀借寻私岗卷跳丽横"
    "驻套兼您君丁束纸夺袁灯坏坦丝径购阴床瞧择墓宪峰遍鲁庙掉丹桃御舰避售怒课播拔奥延虚"
    "隐粮络遭摇潜庄混厅婆奴鼓赵访睡震予童徐韦殖抓拜吨扬址洛休纵逃染纷贸透汇灭蛋森仪塔"
    "距狐融郡缓聚盖拍迹忠释润粉涓孔岭搜紫虑促抵钢塞寺津液码虎坛珍硬梁奔累役偏迫锛凡损"
    "壁哭替税综伦冰盟挂韩竞乌尤弱铺妹秦尊竹珠迅脉泥鬼纯睛刑途隆潮幅杯握谋剂幸奉乘抱朋"
    "谓频崇壮骑恐享鸡虫绍铜呈泛械摆欲奶敬措爆暴签猛郭嘉障缩亦废搞胞埃曰撤暖寒订俗绩阻"
    "盐萨勒忘奏孝贴灰梅触玩默醒胸莲篇柱裁啦淡抢捕闹纺截讯朗誉雅忍梦伙勇峡徒丈尾迷唱泉"
    "泰佳残闪伍呀疾署剩贼冠倾豆申贫诺麦泪羊尖辈镜涉贡爹缘摩妻殊贝零映甘骂糖岳饮奋棉雕"
    "跃汗冒渡努赞启阁斤裂患伏池鹿洗劲晋倍圈媒箭沟锋胆凭挑抬闯隔弄曹汤苗迁叹唯振储贯彻"
    "桌祭符僧衡炸旋喊凤黎郎援肥磁忌赏辽祥董仁辛瑞询敏浪貌毁昨巧腿抽荷陷焦净腹弃乃湘亩"
    "滑狗冬宏皆番尸伟桂览恢龄绕趣晶坡魏摸伴墨浓绪舍蓝荡阅井鸿旦惯症鸟窗扎辞聘穷堰宇键"
    "荒递恨隶厉杜闲腰袭侍灾涨叔湿寨幕豪郑磨浮薄券赤腐译租氧戴邓煤肠牧孤诏妙旨堡册锅胖"
    "柳阔吹丘趋锦颜悬陶拳诚尺晓插蒋艇勤穴摄燕垂罚辆戒稀腾粗袋绘炎氏肩枝狂泊估杭扑臂哲"
    "寡偷懂琴悲盾炒稍矛愈籍颁吐呆违亭眉撞贷刊巡屈堆曼饰碎滚悉寄浜迟描污辅魔烦鼻盗餐幼"
    "凉仗冈澳驾菌肚肃爸仰抚慈扶盆仿炼纲倘碗杰忧惜扫暂祝跨渔宾漫寿猪涌凝邻赴恰劝仇践顷"
    "赋悄莱拟贤愤姆乏轰粒逼傅陕昆溶葬燃魂挺腊耐犹辉乳陪颇斜棋熊浅沈姊返翼丧拖惨俊驱袖"
    "惠涂添牵咸详碰割侯纤柔档糊岂跪拒覆绣吓宿偶揭赖烤卢娃颗邮扇伐循衰弦凯羽枚帅锁疏搭"
    "俱帐胶赫埋蒸壳彼脏箱浙弯瓜挡拱筹疆肿膜刷杆凶债甜泡玄贾谱夹乾遣薪灌咬尘填廊钻丛狼"
    "牢脊熙卒碑漠躲削徽踏贺朵遵狠菲撒扰蛇锡炉纹匹亏鉴慕跌慌穆邀芳爬豫吾奸棒淮捷耕艘齿"
    "醉脂兽滴盈卵滋柴溪妃浠碍瓶辩遂怨拨肌俘挖恒励鸣肝腔偿秒拦允塑拆靖耗凌披胁吏纽烂尝"
    "垸辟耶艰佩敦疼荐厘匠柏悠壤拾乔轴妖喷掩璃孟轨歇猜晨坊桑堤畅瞎氨辨鞋昏恭畜浩迪雾丢"
    "咨擦窝洁飘捉搬奈肤愁砖辣幽嘛赢藕挤舒狮耀诊扣篮尿唤梯勾霍舌侠筋枢屏衙殷栏纠链恋惧"
    "笼寸冶弥晃叙吊哩稿娜剥拼欺榜囊汪逆骗堪猎棺胎俩郊掘匆缝乙藻携慧函辱扯嫩癌悟滩祸秉"
    "慰驰狱砍糕漏吞纬茅渠催踪叛浑牲杖鞭腺邪欣汝碳彭咐椒绳颈漆遥夷郁斑忆阀卑宴抑逻嫁扭"
    "胃仔恼贪兆庸僭疯侦鹰驶斩鹤猴蜂瘦赐闷柄椅轿拓扮砂傻粘辐啥伪抛玻昂圳侨吟刃饱吕玛碱"
    "冯仓钦哼庞儒叉泄臭艾蓉鼠祯捧舱坝芙瘤勃敲帽吻契舟夸葡剪抖霸艳宸聪仆躺瑶谦炭卧袍猫"
    "珊溜漂衔苍坑串浆碧巷咽铸押惩迈锐颤疲滨履盒宅喀饿缠翁幻逢扁旱罕怜姻蓄磷惟帕掠稻劫"
    "撑姿肾胀慎哨摔谨鹅丑塘肺镑趁蜀兑哦贞禧葛仲惑蔡踢妥筒诞禀朴祀饼萄狭澶杩赔绵诱卜陀"
    "呵抹疫辰顽蓬摊倡浦账矩翠煌茂畏劣氛廉鸭瓷戈秩弗悔尉挣拐鼎芦睁脾聊株枯纱幺冻唇茫哀"
    "芬轩蛮醇棍晕嫂宙酷郧欠稷鹏孕槽栖吩姚昭罐叠墩盼舆芒酬斥捐斋眠脆萧璋皱卿蚀淋卓翰钉"
    "棣丫宰阐翅沃挨霖哄爵涔衫逊铭戚旺硕擅嫌赌隋肖饶沪雇罩煎丐掷誓摘冤坤屁竭宛菱厌矮潭"
    "渊俺崖氢棚喇涵裕溃堵媳抄怔蒂肢瑜泌甫檐寂颠撰逝霜羞铅佐帖硫蹈瞬痕爽挽禅娶柯屯韵婴"
    "悦肴螺凑兹烛歼毅杉慨钧渗蜜遮窑谐厦柜匈喉愧栽扔苯谊肆霞吵夕壶赚尹窄弓谭盲勋饲窟俞"
    "嗣煮巾裤膨奠瞪珞愚膏喘姜膀蔬糟僚匾妄畴喂沔耻牺旭妨硅崩雌陛卸砸贩竖攀晒伞惹裹屠汁"
    "擒鳞佣渴浣叩龟雀掀唉泼亥僵屡瞒璇厮刮钩桐谅隙丞盯霉侄逸浸爪阙坟咳宠脖彪朕虹衍甸鳍"
    "讼虾芝涛巩熔峻怖嘿磕洒掏枣滞舅昔哑焕娱芯衷捞卦旬矣茨蜡喻挪婶琉枕娇豹厨傲腕巢氯燥"
    "焚乖嘱禄赠晌琦铃雁姨蹄焰虏粑饥潘兀捏缔歪蕴鸦嘻俯锻骤庵吁剿禽勉膝捣茎晴厢匀灏涯梨"
    "蒲驼匪撕嗯樊搏缚垄寓愣斌麋劈旷舵薛沸丸泳绸炬缴寰贱躯褐酶嚷拌颂帜陡募佑皖绑啡仑麓"
    "帘镖钠刹妆禾藤弊痴哇凰歧驴铝闸喃滥耍桶酱惶躬熬娥啸淘裙骚亨勘窃挫凿塌咖垫芽凸钙框"
    "哟翔逮舶锥怡魄灶浴蔽橡懒硝晰盏赦庐谕鄙拂菩栗琳沼圭屿砌倚棵瑰羲酿诈锌杏婉沦卤躁斧"
    "淳兔凛哎阮淫剖蕲烹姥咕蚕兜璧搅帆暇趟裸粹吼哗冀呜瞻搁乞骇炕垮拘嵌笛鹃菊淀肪鞍愉犬"
    "弧蹲椎阎浏诵烘榴腥裘萝颊蟹灿摧棱琼骄凄怯淑梢丙暮媚钊沫糯驳崔谏炳畔缅襟锤觅拢胪诀"
    "奢苹叮榨瀹沾渝枉辜髓坠瑟棕萍贿泣嫣峨憾胺甩陂寇烯钓瞅沧坪暑耸垒傍睹薯溢谜咋缁嗓贬"
    "窜戟葱屑胚犁莎囚颖诡腻藩彦巍痒蹇芷赣沐膊婢粤喧逛贮恍菇邢绮厥澄邵耽讽衬恕烫毯仕昼"
    "闽拚勿桓钾膛歉膳詹坎敛碌狄沽侮寝妾嗽埔眷揪牡毙荫涡桩锣釜瀛缮梳揽咀雍铲倦岱厄弘淤"
    "尴玲祠恳粥衢戳秃瀑搂迭垃缸郝挠莽瑙瞄粟跋呐歹豚驿圾胳魁诧绒鞑谎尬陌讳蝶咒裔凳梭涅"
    "杈泻苇焉娟迦巫扒翊敷谣隅撇凹蚁氮苑妓潇禹朽寮郢伽粪诛醋栋谴隧簇踩礁庶衮堕噪嘲濂鲟"
    "彝柬斐沛卞篷祁耿嚼宦溯黔浇敞绞瓣窦蕃汰鲍遏魅槐鞘钞徙讶碟琐琢滤嗤蠢锰嵋逾弼绅腑瑚"
    "稽溉宵祈庇蒿蛛窍玫煞笨鸽泵袱薇捡拈驯骡肇砰垣迄斟灼澜漕萼葫梗洼筷僻鳌镶捆昧跺棘曙"
    "阜豁挟睿矢湛酥眨惕淹岔稼邹逵灞揉俭蛙匣陋盔羌缆聂莉抒痰慷後懈芜琛骆扳汛悍呕虞瑕酚"
    "伺拽羡蔗滇苔彬拇冥厕絮藉窥羹奕铮矶晖匕逗哺倪怠瞩窖檀蕉缀苕猿浊瞥簿璁缉皋楠萌斡焖"
    "揖祺烷芋绽侗匙谬睦橙剌撼撮熏碾亢垦逍彰佃邑梓啪诰驹嗡羁敝汞嚣辫蝇汹沅惭蠡墟娴咧漳"
    "滔韧孢缕炯涩嵩缎饷唬哉褰濒峭鳙筛殉霎椭啤咯婿眯眶鸪珂靡矫诲渤钥肘嘶孽杞饵咚敕桨樱"
    "戎榻愕晤蔓啼憋鹧笃侣懿骸摹磋皂咏趾吭翘鲤拣骞乍鳄酯栅绰氟渣鸠娌锯邱莹脓闺颐譬钛奎"
    "揣溅绢茸蜒烁畸姝棠怦晦瘫朔疮蓦靶攒渭铀磅唾茄蕾馨廖荤傣胥兢扛葵丕舜鲨乒逞诬苟廓镍"
    "槛狡牟鸳俏芥浼裴麟稚叭悼漓楞毗赎倭玺蝉憎楷柑杠蚊妒馈删孜拙韬祷熄鸯虐蒯紊酰佬翌妮"
    "蚌沁侈噶剃芭烩稠锭娑胧琅坞褂筵轧褶觑酮篆醛洽唧趴绉崛圻扼叨蒜寞毡簧砥撬煨嫉腮慑朦"
    "嗅鲢聋炖酌冉胤攘牒吱嫔笙蜿裳碘霄瘾捻乓澧吆劾瞰橘澡酋灸竿矗耙寥钝蛾姹勺庚剁狩隘靴"
    "搓狸讥擂豌馒茬伶秭鲸苛镁梵垛臀颌颅徊捎幢弩讧咦嘎涕俸纂呻卯嗜札榆噢蔑峙姬萎绷赂蚂"
    "戮瓮蹦穗肋壕辇陇椰氓蟾辕恃狈孵嘟濮粱袜浚刨蛟栈筝箢铬惺糍兮蕊褚涝潼驸黛箍匡椁梧惮"
    "胰擎绥荧拗啃弛匿蟠寅疹枭殡尧悖桦骼呛黯赃茵褪甬挚嗔澈毋拴倏帷嗦淙蘑夔羚屎搀袄岚沮"
    "挎侥箫醚瀵腌埠搴砾竣睐栓秽焊禺煽攸琵璺睬"
)

_CJK_TERM = re.compile(r"^[\u4e00-\u9fff]+$")
# Longer terms get fewer variants: the count grows as 2**n.
_ALL_MIXES_UP_TO = 4
_HOMOPHONES_FROM = 3  # two-character homophones are everyday words (低一 in 低一点)
# A term all in pinyin is a variant only from six letters (zhiliao, weixin, zuihao): a
# shorter one is often an English word (妈的 -> made) or an abbreviation.
_MIN_ALL_PINYIN = 6


_T2S: dict[int, str] | None = None


def t2s_table() -> dict[int, str]:
    """Traditional -> Simplified, one character for one (OpenCC's t2s over the CJK
    block), plus VARIANT_CHARS: a str.translate table. Made once per process, or taken
    from the rules cache (``use_t2s_table``): asking OpenCC costs some 10 ms."""
    global _T2S
    if _T2S is None:
        _T2S = _opencc_t2s()
    return _T2S


def use_t2s_table(table: dict[int, str]) -> None:
    """Use ``table``, a ``t2s_table()`` made by another process with the same OpenCC
    (the rules cache keeps one with the compiled rules), unless this process has one."""
    global _T2S
    if _T2S is None:
        _T2S = table


def _opencc_t2s() -> dict[int, str]:
    import opencc

    block = "".join(chr(code) for code in range(0x4E00, 0xA000))
    converted = opencc.OpenCC("t2s").convert(block)
    table: dict[int, str] = {}
    if len(converted) == len(block):
        table = {ord(a): b for a, b in zip(block, converted, strict=True) if a != b}
    table.update({ord(a): b for a, b in VARIANT_CHARS.items()})
    return table


@lru_cache(maxsize=1)
def t2s_gate() -> re.Pattern[str]:
    """Any character ``t2s_table`` changes: a search is much cheaper than a translate,
    and most copy has none."""
    return re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(t2s_table())) + "]")


def _readings(term: str) -> list[str] | None:
    from pypinyin import Style, lazy_pinyin

    readings = lazy_pinyin(term, style=Style.NORMAL, errors="ignore", v_to_u=False)
    readings = [r.replace("ü", "v") for r in readings]
    if len(readings) != len(term) or not all(r in SYLLABLES for r in readings):
        return None
    return readings


@lru_cache(maxsize=1)
def _by_syllable() -> dict[str, str]:
    from pypinyin import Style, lazy_pinyin

    groups: dict[str, list[str]] = {}
    for char in COMMON_CHARS:
        reading = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
        if reading:
            groups.setdefault(reading[0].replace("ü", "v"), []).append(char)
    return {syllable: "".join(chars) for syllable, chars in groups.items()}


@lru_cache(maxsize=8192)
def term_variants(term: str) -> tuple[tuple[str, str], ...]:
    """(variant, how) for a folded Chinese term: pinyin mixes, initials, one
    homophone, one look-alike. Nothing for a term with other characters. (Cached: the
    packs list many terms in several rules, and a process may compile them twice.)"""
    return tuple(_variants(term))


def _variants(term: str) -> Iterator[tuple[str, str]]:
    if len(term) < 2 or not _CJK_TERM.match(term):
        return
    readings = _readings(term)
    if readings is not None:
        yield from _pinyin_variants(term, readings)
        if len(term) >= _HOMOPHONES_FROM:
            homophones = _by_syllable()
            for position, char in enumerate(term):
                for other in homophones.get(readings[position], ""):
                    if other != char:
                        yield term[:position] + other + term[position + 1 :], "homophone"
    for position, char in enumerate(term):
        for other in LOOK_ALIKES.get(char, ""):
            yield term[:position] + other + term[position + 1 :], "look-alike"


def _pinyin_variants(term: str, readings: list[str]) -> Iterator[tuple[str, str]]:
    n = len(term)
    if n <= _ALL_MIXES_UP_TO:
        # every mix of characters and full syllables (最好 -> zui好, 最hao, zuihao)
        for mask in itertools.product((False, True), repeat=n):
            if all(mask) and len("".join(readings)) < _MIN_ALL_PINYIN:
                continue  # 妈的 -> made, 第一 -> diyi: English words, or too short to tell
            if any(mask):
                mixed = zip(term, readings, mask, strict=True)
                yield "".join(r if m else c for c, r, m in mixed), "pinyin"
    else:
        if len("".join(readings)) >= _MIN_ALL_PINYIN:
            yield "".join(readings), "pinyin"
        for position in range(n):
            yield term[:position] + readings[position] + term[position + 1 :], "pinyin"
    # one initial among characters (q斑, 月入过w): all initials are too ambiguous
    for position in range(n):
        yield term[:position] + readings[position][0] + term[position + 1 :], "initial"
