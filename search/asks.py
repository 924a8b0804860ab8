"""What a question asks for (a number, a date, a person, a name or code) and what a sentence
offers, so the sentence that holds the asked-for thing can win over one that only repeats
the question's words. Patterns for Chinese and English questions alike."""

from __future__ import annotations

import re

from ..ingest.clean import HAN

NUMBER, DATE, PERSON, NAME, PERCENT, DEFINITION, LIST, RANK = ("number", "date", "person", "name", "percent",
                                                              "definition", "list", "rank")

_SHARE = (r"\bwhat (?:percentage|percent|share|proportion|fraction)\b|\bhow many percent\b"
          r"|百分之|比例|占比|比重|百分比|渗透率|增长率|增速|份额")
_ASKS = {
    PERCENT: re.compile(_SHARE, re.I),  # a share is a number too: asked() adds NUMBER
    NUMBER: re.compile(r"\bhow (?:many|much|large|big|far|long|often|fast|high|heavy|old|tall|wide|deep"
                       r"|frequently)\b|\b(?:at )?what (?:number|amount|rate|ratio|size|age)\b"
                       r"|(?:^|[.?!] )what\b.*\b(?:rate|accuracy|percentage|share|revenue|cost|price|number|amount"
                       r"|total|threshold|limit|minimum|maximum|cap|size|income|profit|score|salary|fine|penalty|fee"
                       r"|budget|volume|capacity|population|average|median)\b|\bwhat (?:is|was|were) the (?:\w+ )?value of\b"
                       r"|多少|(?<!第)几(?![乎何])|多大|多高|多长|多久|规模|数量|阈值|上限|下限", re.I),
    # "When …?" asks a date unless it only opens a clause the question's own wh-word follows
    # ("When shipping a crate abroad, which form …?")
    DATE: re.compile(r"^when\b(?!.*\b(?:what|which|who|whom|how)\b)|\bwhen (?:did|was|is|were|will|does|do|has|had)\b"
                     r"|\b(?:what|which) (?:year|date|month|day)\b|\bin what year\b|\bsince when\b|\bdeadline\b"
                     r"|哪一?年|哪一?天|哪一?月|何时|何年|什么时候|几月|几号|日期|年份", re.I),
    PERSON: re.compile(r"\bwho(?:m|se)?\b|谁|哪位|何人", re.I),
    # a place in an order: "排名第几", "what rank", "which place did it take"
    RANK: re.compile(r"第几|排名(?:多少|怎样|如何)|名次|\bwhat (?:rank|ranking|place|position)\b"
                     r"|\b(?:which|what) place\b|\bhow (?:did|does|do) .+ rank\b|\branks?(?:ed)? where\b", re.I),
    # "how does X define Y" asks a definition; "what threshold defines Y" asks the threshold
    DEFINITION: re.compile(r"^what (?:is|are) (?:an? )?[\w-]+(?: [\w-]+)?\?$|^define\b|\bdefinition\b"
                           r"|\bhow (?:is|are|was|were|does|do|did) .+ defined?\b"
                           r"|\bwhat does .+ mean\b|\brefer(?:s|red)? to\b|\bwhat is meant by\b"
                           r"|指的是什么|是指什么|是什么意思|的定义|什么是|含义", re.I),
    # "which year" asks a date, not a name
    NAME: re.compile(r"\bwhich\b(?! (?:year|date|month|day|place|rank|position)\b)"
                     r"|\bwhat (?:is|are|was|were) (?:the )?(?:name|names|acronym|abbreviation)\b"
                     r"|\bcalled\b|\bnamed\b|\bwhat (?:standard|algorithm|protocol|framework|model|method|tool|law)"
                     r"|哪[种个家款项部类些]|(?<!为)什么[^\s\d，。,?？]{0,4}?(?:算法|标准|协议|技术|模型|方法|机制|框架|名称|工具|法律|平台|机构|公司)"
                     r"|\bstands? for\b|\bfull name\b|\bwhat term\b|叫什么|名称|称为|简称|全称|全名|缩写"
                     r"|(?<![该这此])(?:机构|公司|企业|单位|组织|部门|平台|标准|算法|协议|框架|工具|产品)"
                     r"(?:是|叫)(?:什么|哪)", re.I),
}

_EN_NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
                    "hundred thousand million billion trillion half dozen percent").split()
_OFFERS = {
    # "三成" is 30%, "三分之一" a third; 成 after no numeral is a verb (形成, 完成)
    PERCENT: re.compile(r"\d\s*%|\bper ?cent\b|[\d一二三四五六七八九十百千万]分之[\d一二三四五六七八九十百]"
                        r"|[一二两三四五六七八九十半]成(?![为立本员功果熟])", re.I),
    NUMBER: re.compile(r"\d|\b(?:" + "|".join(_EN_NUMBER_WORDS) + r")\b"
                       r"|\b(?:daily|weekly|monthly|quarterly|annually|yearly|hourly)\b|每[日天周月年季]"
                       r"|[一二两三四五六七八九十百千万亿]+[个家种项次倍成位条层级类名人所亿万元%]|[一二三四五六七八九十百千万]分之",
                       re.I),
    # a year (also a decade, 1990s, 九十年代, or in Chinese numerals, 二〇二一年), a month, a day
    DATE: re.compile(r"\b(?:1[89]|20)\d\d(?:'?s)?\b|\d{1,2}\s*[月日]|\d{4}\s*年|[〇零一二三四五六七八九]{4}年"
                     r"|(?:\d0|[一二三四五六七八九]十)年代|[上本]世纪"
                     r"|\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\b",
                     re.I),
    # a place in an order: 第四 (not a chapter's or clause's number), fourth, 3rd, No. 1
    RANK: re.compile(r"第[一二三四五六七八九十百\d]+(?![章节条款篇卷部期届次\d.])"
                     r"|\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th)"
                     r"|top \d+|no\. ?\d+|number (?:one|two|three|\d+))\b|首位|榜首|冠军", re.I),
    DEFINITION: re.compile(r"\brefers? to\b|\bis defined as\b|\bmeans\b|\bis (?:a|an|the) (?:process|method|way|term)\b"
                           r"|是指|指的是|是一种|被定义为|定义为|即是|意思是", re.I),
    # two capitalised words in a row not at the start ("Giulio Polerio"), or a Chinese name after a title word
    PERSON: re.compile(r"(?<=[a-z,;] )[A-Z][a-z]+(?: [A-Z]\.?)?(?: [A-Z][a-z]+)+"
                       r"|(?:创始人|董事长|总裁|CEO|主席|院长|所长|负责人|作者|教授|博士|先生|女士)"),
    # a code or proper name: capitals with digits or joiners (SHA_256, SM4, GB/T 35273, ISO 27001), or in 《》
    NAME: re.compile(r"(?<![A-Za-z0-9])(?:[A-Z][A-Z0-9]*[_\-/][A-Z0-9][A-Za-z0-9_\-/]*|[A-Z]+\d+[A-Za-z]*"
                     r"|[A-Z]{2,}(?:/[A-Z]+)? ?\d[\d\-.:]*[A-Z]?)(?![A-Za-z0-9])"
                     r"|(?<=[a-z,;] )[A-Z][a-z]+(?: [A-Z][a-z]+)+"
                     r"|(?<![A-Za-z])(?:[a-z]+[A-Z]|[A-Z][a-z]+[A-Z])[A-Za-z]*"  # a capital inside a word: ChatGPT, iPhone
                     r"|《[^》]+》|“[^”]{2,20}”|\"[^\"]{2,20}\""),
}


_MONTH = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
_DATES = re.compile(rf"\b{_MONTH}\.? \d{{1,2}}(?:st|nd|rd|th)?,? (?:1[89]|20)\d\d"
                    rf"|\b\d{{1,2}} {_MONTH}\.?,? (?:1[89]|20)\d\d"
                    r"|\b(?:1[89]|20)\d\d\b(?!\s*(?:万|亿|元|%|个|家|人))"
                    r"|\d{4}\s*年(?:\s*\d{1,2}\s*月)?(?:\s*\d{1,2}\s*日)?|\d{1,2}\s*月\s*\d{1,2}\s*日", re.I)


# Chinese words that only ask (哪种, 哪几个, 谁, 怎样…: the index's ZH_STOP already drops 什么, 多少,
# 如何): an answer never holds them, and the measure word after 哪 or 几 (哪 种) asks with it.
# Nor do a question's function words (adverbs, pronouns, modals, particles: 正, 又, 一共, 这些,
# 可以, 一个) say what it is about, nor the "s" and "t" of "Acme's" and "don't".
_SAY_NOTHING = frozenset("几 谁 怎样 怎么样 什么样 为什么 何 为何 何时 第几 多大 多高 多长 多久 多远 吗 呢 是不是 有没有 "
                    "正 正在 又 还 才 再 很 已 已经 曾 曾经 一直 总是 共 一共 总共 大约 约 分别 各 仅 只 只是 "
                    "究竟 到底 能否 这个 那个 这些 那些 它 它们 他们 她们 此 能 能够 会 可以 可 要 应 应该 应当 "
                    "着 过 吧 啊 呀 么 得 所 于 向 给 由 按 按照 关于 对于 做 到 一个 一种 一些 s t".split())
_MEASURE = frozenset("种 类 个 家 项 位 款 部 样 条 份 次 本".split())


def content_words(words: list[str]) -> list[str]:
    """A question's words without those that only ask or only join the others."""
    def says_nothing(i: int, w: str) -> bool:
        return (w in _SAY_NOTHING or w[0] == "哪" or (len(w) == 2 and w[0] == "几" and w[1] in _MEASURE)
                or (w in _MEASURE and i > 0 and words[i - 1] in ("哪", "几")))
    return [w for i, w in enumerate(words) if not says_nothing(i, w)]


def asked(question: str) -> frozenset[str]:
    """The kinds of thing the question asks for (empty for a why or how question)."""
    kinds = {kind for kind, pattern in _ASKS.items() if pattern.search(question)}
    if asks_several(question):
        kinds.add(LIST)
    return frozenset(kinds | {NUMBER} if PERCENT in kinds else kinds)


# A question that asks for several things ("哪三大类", "哪几个步骤", "which two risks", "what are
# the main challenges"): a list of the points, even as headings, may be its answer.
_SEVERAL = re.compile(r"哪[几两三四五六七八九十]|哪些|几[个大种类项点方面]|分为|划分|包括哪|分别是"
                      r"|[两三四五六七八九]大[^，。,?？]{0,8}(?:是什么|有哪|包括)"
                      r"|\bwhich (?:two|three|four|five|six|seven)\b"
                      r"|\bwhat are (?:the )?(?:\w+ )?(?:two|three|four|five|main|key)\b|\blist\b", re.I)


# What such a question asks for: three or more things in a row ("A、B和C", "A, B, and C", "一是…二是",
# "(1) … (2)"). Not "第一…第二": numbered headings run together are priors.heading_run's, not an answer.
_LISTS = re.compile(r"[^、,，。]{1,30}、[^、,，。]{1,30}(?:、|和|与|及|以及)"
                    r"|\b[\w-]+(?: [\w-]+){0,3}, [\w-]+(?: [\w-]+){0,3},? (?:and|or) "
                    r"|一是.{1,60}二是|[(（]1[)）].{1,80}[(（]2[)）]|\bfirst\b.{1,80}\bsecond\b", re.I)


def asks_several(question: str) -> bool:
    return _SEVERAL.search(question) is not None


# a footnote mark glued to a word or after its stop ("questions.34 Among", "costs,12"): no figure
_FOOTNOTE = re.compile(r"(?<=[A-Za-z][.,;:])\d{1,3}(?=\s|$)|(?<=[a-z])\d{1,2}(?=[.,;:]?\s)")


def offered(sentence: str, among: frozenset[str] | None = None) -> frozenset[str]:
    """The kinds of thing the sentence holds, of ``among`` (by default every kind): a question's
    answer sentences are only looked at for what it asks, and the patterns cost more than the
    rest of the words' scores. A date is no count: "On December 8, 2011" offers a date, not the
    number a "how many" question asks for; nor is a footnote mark."""
    def wanted(kind: str) -> bool:
        return among is None or kind in among
    kinds = {kind for kind, pattern in _OFFERS.items() if kind != NUMBER and wanted(kind) and pattern.search(sentence)}
    if wanted(LIST) and _LISTS.search(sentence):
        kinds.add(LIST)
    if wanted(NUMBER) and _OFFERS[NUMBER].search(_DATES.sub(" ", _FOOTNOTE.sub(" ", sentence))):
        kinds.add(NUMBER)
    return frozenset(kinds)


def type_match(asks: frozenset[str], offers: frozenset[str]) -> float:
    """1 when the sentence holds everything asked, 0 when nothing; 0 for a question that asks for
    no particular kind of thing (every sentence is alike then)."""
    return len(asks & offers) / len(asks) if asks else 0.0


# "How many farmers took part…": the words after "how many", up to the verb or a preposition
_COUNTED = re.compile(r"\bhow many ((?:[a-z-]+ ){0,2}?[a-z-]+?)(?= (?:did|do|does|had|have|has|were|was|are|is|will|"
                      r"would|can|could|in|of|at|on|took|take|used|use)\b|[?,])", re.I)


def counted(question: str) -> str | None:
    """The noun a "how many" question counts ("How many coastal provinces had…" -> provinces)."""
    m = _COUNTED.search(question)
    return m.group(1).split()[-1].lower() if m else None


def counts(sentence: str, units: tuple[str, ...]) -> bool:
    """Whether a figure in the sentence counts one of ``units``: "2600 adults" for the stem
    "adult", "16个省市区" for 省."""
    for unit in units:
        if re.search(f"[{HAN}]", unit):
            pattern = rf"\d[\d,.]*\s*[万亿千百]?\s*[个家名位项座辆种]?\s*{re.escape(unit)}"
        else:  # a stem: "adult" counts "adults", "countri" counts "countries"
            pattern = rf"\d[\d,.]*\s+(?:[\w-]+\s+){{0,2}}{re.escape(unit)}"
        if re.search(pattern, sentence, re.I):
            return True
    return False
