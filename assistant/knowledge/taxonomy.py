"""Domain vocabulary: countries and their aliases, value-chain stages and their plain words, elements."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.types import STAGES

# A year as written in questions and documents.
YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")

# Profiled countries: key -> (display name, aliases incl. demonyms and codes).
COUNTRIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "china": ("China", ("chinese", "prc", "people's republic of china", "cn")),
    "kazakhstan": ("Kazakhstan", ("kazakh", "kazakhstani", "kz", "qazaqstan")),
    "united_states": (
        "United States",
        ("us", "u.s.", "usa", "u.s.a.", "the us", "america", "american", "united states of america", "the states"),
    ),
    "australia": ("Australia", ("australian", "aus", "au")),
    "malaysia": ("Malaysia", ("malaysian", "my")),
    "myanmar": ("Myanmar", ("burma", "burmese", "mm")),
    "vietnam": ("Vietnam", ("viet nam", "vietnamese", "vn")),
    "japan": ("Japan", ("japanese", "jp")),
    "estonia": ("Estonia", ("estonian", "ee")),
    "france": ("France", ("french", "fr")),
    "canada": ("Canada", ("canadian", "ca")),
    "brazil": ("Brazil", ("brazilian", "brasil", "br")),
    "india": ("India", ("indian", "in")),
    "russia": ("Russia", ("russian", "russian federation", "ru")),
    "south_korea": ("South Korea", ("korea", "korean", "republic of korea", "rok", "kr")),
    "germany": ("Germany", ("german", "de", "deutschland")),
    "united_kingdom": ("United Kingdom", ("uk", "u.k.", "britain", "great britain", "british", "england", "gb")),
    "saudi_arabia": ("Saudi Arabia", ("saudi", "ksa", "sa")),
    "greenland": ("Greenland", ("greenlandic", "gl")),
    "south_africa": ("South Africa", ("south african", "za", "rsa")),
    "madagascar": ("Madagascar", ("malagasy",)),
    "nigeria": ("Nigeria", ("nigerian",)),
    "thailand": ("Thailand", ("thai",)),
    "tanzania": ("Tanzania", ("tanzanian", "united republic of tanzania")),
    "malawi": ("Malawi", ("malawian",)),
    "uganda": ("Uganda", ("ugandan",)),
    "laos": ("Laos", ("lao pdr", "lao", "laotian", "lao people's democratic republic")),
    "mongolia": ("Mongolia", ("mongolian",)),
    "kyrgyzstan": ("Kyrgyzstan", ("kyrgyz", "kyrgyz republic", "kirghizia")),
    "turkey": ("Turkey", ("türkiye", "turkiye", "turkish")),
    "chile": ("Chile", ("chilean",)),
    "philippines": ("Philippines", ("philippine", "filipino", "the philippines")),
    "norway": ("Norway", ("norwegian",)),
    "sweden": ("Sweden", ("swedish",)),
    "finland": ("Finland", ("finnish",)),
    "namibia": ("Namibia", ("namibian",)),
    "angola": ("Angola", ("angolan",)),
}

# Two-letter codes are only recognised in upper case ("KZ", "US"), never as ordinary words ("in", "my").
_CODE = re.compile(r"^[a-z]{2}$")

# Base forms only: a stage is named by any inflection of them ("separated", "refiners", "mines").
STAGE_WORDS: dict[str, tuple[str, ...]] = {
    "deposit": ("deposit", "reserve", "resource", "exploration", "discovery", "geology", "ore body", "orebody"),
    "mining": ("mine", "mining", "dig", "extract ore"),
    "concentrate": ("concentrate", "beneficiation", "beneficiate", "flotation"),
    "cracking": ("crack", "leach", "digestion"),
    "separation": ("separate", "separation", "refine", "refinery", "solvent extraction", "oxide", "process"),
    "metal": ("metal", "metallisation", "metallization", "electrolysis", "reduction", "metal making"),
    "alloy": ("alloy", "strip cast", "strip-cast"),
    "magnet": ("magnet", "ndfeb", "smco", "permanent magnet"),
    "recycling": ("recycle", "recycling", "recycler"),
}

# Domain vocabulary for questions over records (each entry matches a word or phrase in any inflection).
# What a table measures: reserves, mine output, or a plant's capacity.
MEASURE_WORDS: dict[str, tuple[str, ...]] = {
    "reserves": ("reserve",),
    "resource": ("resource", "contained"),
    "capacity": ("capacit", "throughput", "nameplate"),
    "mine_production": ("mine production", "mine output", "produc", "output", "miner ", "miners", "mined"),
}
# The figures of the tables that rank countries: reserves, and mine output named as an amount (not "production",
# which may be the process).
FIGURE_WORDS: tuple[str, ...] = (*MEASURE_WORDS["reserves"], "mine production", "mine output", "output", "mined",
                                 "tonnes", "tons")
# What a facility's tonnes weigh (its figures' basis) as a question says it: "oxide output" is REO or separated
# oxide, "ore" is ore, and so on.
BASIS_WORDS: dict[str, tuple[str, ...]] = {
    "REO": ("oxide", "reo", "treo"),
    "oxide": ("oxide", "ndpr"),
    "ore": ("ore",),
    "concentrate": ("concentrate",),
    "carbonate": ("carbonate", "mrec"),
    "metal": ("metal",),
    "alloy": ("alloy",),
    "magnet": ("magnet",),
    "scrap": ("scrap",),
}
# How long a site has run, as a question asks it: the oldest first, unless it asks for the newest.
AGE_WORDS: tuple[str, ...] = ("oldest", "longest", "earliest", "newest", "youngest", "most recent")
NEWEST_WORDS: tuple[str, ...] = ("newest", "youngest", "most recent")
# The map's statuses as a question says them.
STATUS_WORDS: dict[str, tuple[str, ...]] = {
    "at_scale": ("at scale", "commercial", "industrial scale", "in production"),
    "emerging": ("pilot", "emerging", "small scale", "demonstration"),
    "planned": ("planned", "planning", "proposed"),
}
# A project's phase as a question says it.
PHASE_WORDS: dict[str, tuple[str, ...]] = {
    "operating": ("operating", "in operation", "operational", "running"),
    "commissioning": ("commissioning",),
    "construction": ("under construction", "being built", "construction"),
    "feasibility": ("feasibility",),
    "exploration": ("exploration",),
    "suspended": ("suspended", "idle", "mothballed", "stalled", "halted", "on hold", "paused"),
    "closed": ("closed", "shut down", "abandoned", "scrapped", "cancelled", "canceled"),
}
# A project's dated steps (the registry's milestones) as a question says them. Output words come last: a question
# that names another step and output ("began construction to produce in 2027") asks about that step.
MILESTONE_WORDS: dict[str, tuple[str, ...]] = {
    "licence": ("licence", "license", "licensed", "permit", "mining lease", "concession"),
    "financing": ("financ", "loan", "funding", "funded", "equity", "raised"),
    "construction_start": ("construction", "broke ground", "break ground", "groundbreaking", "build"),
    "commissioning": ("commission",),
    "suspension": ("suspend", "suspension", "care and maintenance", "halted"),
    "closure": ("closed", "closure", "abandon", "cancelled", "scrapped"),
    "first_output": ("first output", "produc", "output"),
}
# Public backing of a project: strategic-project listings, state lenders and agencies.
SUPPORT_WORDS: tuple[str, ...] = ("strategic project", "backed", "backing", "support", "loan", "financ", "funding",
                                  "funded", "grant", "crma", "dfc", "exim", "jogmec", "dod", "pentagon")
# The nouns for sites someone runs (singular and plural), and for countries: the subject of a set or a ranking.
SITE_WORDS: tuple[str, ...] = ("project", "projects", "plant", "plants", "mine", "mines", "facility", "facilities",
                               "refinery", "refineries", "factory", "factories", "site", "sites", "operation",
                               "operations", "smelter", "smelters", "deposit", "deposits")
# The nouns for the companies that run sites: asked for as members of a set of sites ("Which companies are
# building magnet plants in the US?") they ask for the sites, each shown with who runs it. ("Producer" is left out:
# the tables call a country a producer.)
COMPANY_WORDS: tuple[str, ...] = ("companies", "firms", "operators", "manufacturers", "makers")
# Groups of elements, which a stage's status does not distinguish.
ELEMENT_GROUPS: dict[str, tuple[str, ...]] = {
    "heavy": ("heavy rare earth", "heavy rare-earth", "heavies", "hree", "hrees"),
    "light": ("light rare earth", "light rare-earth", "lree", "lrees"),
}
# How a question speaks of concentration: the share one supplier holds, dominance, diversity of supply.
CONCENTRATION_WORDS: tuple[str, ...] = ("concentrated", "concentration", "dominan", "dominat", "hhi", "herfindahl",
                                        "diversif", "market power")
# Superlatives that put the smallest first.
SMALLEST_WORDS: tuple[str, ...] = ("smallest", "lowest", "least", "fewest", "minimum", "tiniest")
# A change downwards, which a ranking of changes puts first ("the biggest drop").
DECLINE_WORDS: tuple[str, ...] = ("drop", "fall", "fell", "declin", "decreas", "shrank", "shrink", "slump", "plung",
                                  "lost", "contract")
# A change measured relative to its start ("in percentage terms").
RELATIVE_WORDS: tuple[str, ...] = ("percent", "per cent", "percentage", "relative", "proportion")
COUNTRY_WORDS: tuple[str, ...] = ("country", "countries", "nation", "nations")

ELEMENTS: dict[str, tuple[str, ...]] = {
    "La": ("lanthanum",), "Ce": ("cerium",), "Pr": ("praseodymium",), "Nd": ("neodymium",),
    "Pm": ("promethium",), "Sm": ("samarium",), "Eu": ("europium",), "Gd": ("gadolinium",),
    "Tb": ("terbium",), "Dy": ("dysprosium",), "Ho": ("holmium",), "Er": ("erbium",), "Tm": ("thulium",),
    "Yb": ("ytterbium",), "Lu": ("lutetium",), "Sc": ("scandium",), "Y": ("yttrium",),
}

MAGNET_TYPES: dict[str, tuple[str, ...]] = {
    "ndfeb": ("ndfeb", "neodymium magnet", "neodymium magnets", "neo magnet", "nd-fe-b", "nd2fe14b"),
    "smco": ("smco", "samarium-cobalt", "samarium cobalt"),
}

# Mined commodities other than rare earths: a question about one of them, with no rare-earth word, is outside
# the corpus's subject.
OTHER_COMMODITIES = (
    "copper", "gold", "silver", "lithium", "cobalt", "nickel", "zinc", "iron ore", "aluminium", "aluminum",
    "bauxite", "platinum", "palladium", "uranium", "coal", "crude oil", "natural gas", "potash", "graphite",
    "manganese", "vanadium", "tungsten", "molybdenum", "chromium",
)

# Words that mark a question as about this domain at all.
# The name of the subject every document shares: in a question it frames, it never tells one sentence from another.
DOMAIN_NAME = "rare earth earths rare-earth rare-earths"
DOMAIN_WORDS = (
    "rare earth", "rare-earth", "ree", "rees", "reo", "treo", "magnet", "lanthanide", "ndpr", "monazite",
    "bastnasite", "bastnäsite", "ionic clay", "separation", "supply chain", "value chain", "export control",
    "quota", "lynas", "mp materials", "mountain pass", "bayan obo", "mofcom", "usgs", "iea", "oxide",
    "solvent extraction", "heavy rare", "light rare", "critical mineral", "critical raw material",
)


def country_name(key: str) -> str:
    if key in COUNTRIES:
        return COUNTRIES[key][0]
    return key.replace("_", " ").title()


def country_names(key: str) -> list[str]:
    """Every name a country goes by here, capitalised as in text ("Viet Nam", "Burma")."""
    display, aliases = COUNTRIES.get(key, (country_name(key), ()))
    return [display, *(a.title() for a in aliases if len(a) > 2)]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


@lru_cache(maxsize=1)
def _country_matchers() -> tuple[re.Pattern[str], dict[str, str], re.Pattern[str], dict[str, str]]:
    """One regex for every country name and alias (longest first), one for upper-case codes ("KZ", "US")."""
    names: dict[str, str] = {}
    codes: dict[str, str] = {}
    try:
        import pycountry

        for c in pycountry.countries:
            for nm in {getattr(c, "common_name", None), c.name, getattr(c, "official_name", None)}:
                if nm and "," not in nm:
                    names.setdefault(nm.lower(), slug(getattr(c, "common_name", None) or c.name))
    except ImportError:  # pragma: no cover - pycountry is a dependency; the profiled list still works
        pass
    ours = {slug(display): key for key, (display, _) in COUNTRIES.items()}
    names = {nm: ours.get(key, key) for nm, key in names.items()}
    for key, (display, aliases) in COUNTRIES.items():
        names[display.lower()] = key
        for alias in aliases:
            if _CODE.match(alias):
                codes[alias.upper()] = key
            else:
                names[alias] = key
    # A people's name (an alias ending in -an or -i: "Brazilian", "Kazakhstani") is also used in the plural.
    alternation = "|".join(re.escape(n) + ("s?" if n.endswith(("an", "i")) and " " not in n else "")
                           for n in sorted(names, key=len, reverse=True))
    name_re = re.compile(r"(?<![\w.])(" + alternation + r")(?!\w)", re.I)
    code_re = re.compile(r"\b(" + "|".join(sorted(codes)) + r")\b")
    return name_re, names, code_re, codes


def country_spans(text: str) -> list[tuple[int, int, str]]:
    name_re, names, code_re, codes = _country_matchers()
    spans = [(m.start(), m.end(), names.get(m.group(1).lower()) or names[m.group(1).lower()[:-1]])
             for m in name_re.finditer(text)]
    for m in code_re.finditer(text):
        if not any(s < m.end() and m.start() < e for s, e, _ in spans):
            spans.append((m.start(), m.end(), codes[m.group(1)]))
    return sorted(spans)


def find_countries(text: str) -> list[str]:
    """Country keys in order of first mention."""
    seen: list[str] = []
    for _, _, key in country_spans(text):
        if key not in seen:
            seen.append(key)
    return seen


def replace_country(text: str, old: str, new: str) -> str:
    """Swap every mention of country `old` (by any name, alias or code) for the name `new`."""
    for start, end, key in reversed(country_spans(text)):
        if key == old:
            text = text[:start] + new + text[end:]
    return text


def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b", re.I)


def _inflected(word: str) -> str:
    """A regex for a word or phrase with any regular English inflection of its last word (-s, -es, -ed, -ing,
    -er, -ers; a final e or y replaced)."""
    head, _, last = word.rpartition(" ")
    if last.endswith("e"):
        tail = re.escape(last[:-1]) + "(?:e|es|ed|ing|er|ers)"
    elif last.endswith("y"):
        tail = re.escape(last[:-1]) + "(?:y|ies|ied|ying)"
    else:
        tail = re.escape(last) + "(?:s|es|ed|ing|er|ers)?"
    return (re.escape(head) + r"\s+" if head else "") + tail


@lru_cache(maxsize=1)
def _stage_patterns() -> dict[str, re.Pattern[str]]:
    return {s: re.compile(r"\b(?:" + "|".join(_inflected(w) for w in words) + r")\b", re.I)
            for s, words in STAGE_WORDS.items()}


def find_stages(text: str) -> list[str]:
    """Stage keys mentioned, in value-chain order."""
    pats = _stage_patterns()
    return [s for s in STAGES if pats[s].search(text)]


def last_stage(text: str) -> str | None:
    """The stage named last in the text ("strip-cast NdFeB alloy": alloy, though "NdFeB" names magnets)."""
    at = {s: max((m.start() for m in p.finditer(text)), default=-1) for s, p in _stage_patterns().items()}
    best = max(at, key=lambda s: at[s])
    return best if at[best] >= 0 else None


def _element_pattern(sym: str) -> str:
    """An element by its names (in any case) or by its two-letter symbol (as written: "Dy", not "dy")."""
    names = rf"\b(?:{'|'.join(ELEMENTS[sym])})\b"
    return names + (rf"|(?-i:(?<![A-Za-z]){sym}(?![a-z]))" if len(sym) == 2 else "")


def find_elements(text: str) -> list[str]:
    out = [sym for sym in ELEMENTS if re.search(_element_pattern(sym), text, re.I)]
    if re.search(r"\bndpr\b", text, re.I):
        out += [e for e in ("Nd", "Pr") if e not in out]
    return out


def element_mention(text: str, elements: list[str]) -> re.Match[str] | None:
    """Where the text first names one of the elements: by name, by symbol, or as NdPr (neodymium with
    praseodymium)."""
    pattern = "|".join([*([r"\bndpr\b"] if {"Nd", "Pr"} & set(elements) else []),
                        *(_element_pattern(e) for e in elements if e in ELEMENTS)])
    return re.search(pattern, text, re.I) if pattern else None


def find_magnet_types(text: str) -> list[str]:
    return [k for k, words in MAGNET_TYPES.items() if _word_pattern(words).search(text)]


def other_commodity(text: str) -> str | None:
    """The first non-rare-earth commodity a text names, if any."""
    m = _word_pattern(OTHER_COMMODITIES).search(text)
    return m.group(1).lower() if m else None


def has_domain_words(text: str) -> bool:
    low = text.lower()
    if any(re.search(r"\b" + re.escape(w) + r"\b", low) for w in DOMAIN_WORDS):
        return True
    return bool(find_elements(text) or find_magnet_types(text))
