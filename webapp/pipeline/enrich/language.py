"""Language detection without models or downloads: Unicode script first, then stopwords, letters and trigrams.

Long text is cut into ~200-word windows; each window is split by script and every part gets a language. The
document's language is the one holding the largest share of the analysed text, and ``mixed`` says a second language
holds at least 20% of it (Korean with English paragraphs, a bilingual contract ...).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from typing import Any

# Function words (plus a few very common words) per language. Words shared by several languages count for each of
# them with weight 1/n, so only the distinctive ones decide; character trigrams are derived from the same lists.
_LATIN_WORDS = {
    "en": "the of and to in a is that for it as with was on be by at this are from or an have not but his they he "
    "she which you we had has were their all one there been would will can more if no when who so what its them out "
    "up about into than other some could only then also these over time two may after most such should any our where "
    "those very just now how much both between each many because through being under while own here before during "
    "without again against us did does her him my me your do said made",
    "de": "der die das und in zu den von mit sich des auf für ist im dem nicht ein eine als auch es an er hat aus bei "
    "sie nach wird einer um am sind noch wie einem über einen so zum war haben nur oder aber vor zur bis mehr durch "
    "man sein wurde sei ich wir ihr ihre werden kann können schon wenn dann dass weil also sehr unter gegen zwischen "
    "immer wieder ohne hier diese dieser dieses jetzt nichts heute keine",
    "fr": "le la les de des du et en un une est que qui dans pour pas sur au par ce il elle plus avec ne se son sa "
    "ses ont été sont aux mais comme ou nous vous leur leurs cette ces tout tous être avoir fait peut aussi bien très "
    "sans sous entre après avant encore même où dont lui ils elles y je on quand donc car l d qu c n s j était avait "
    "chez deux toujours",
    "es": "el la los las de del y en un una que es por con no se para al lo como más pero sus su le ya o este esta "
    "fue ha son entre cuando muy sin sobre también me hasta hay donde quien desde todo nos durante todos uno les ni "
    "contra otros ese eso ante ellos e esto mí antes algunos qué unos yo otro otras otra él tanto esa estos mucho "
    "quienes nada muchos cual poco ella estar estas algo nosotros está están ser hacer puede",
    "it": "il lo la i gli le di da in con su per tra fra un uno una e è che non si come anche più ma del della dei "
    "delle degli al alla ai alle nel nella nei sul sulla dal dalla questo questa quello sono era essere ha hanno "
    "stato molto ancora dove quando perché se ci ne mi ti suo sua loro tutto tutti solo sempre già poi così o dopo "
    "prima io noi voi lui lei cosa fare può l un",
    "pt": "o a os as de do da dos das e em no na nos nas um uma que é com não por para se mais como mas ao aos foi "
    "ser são está ou seu sua seus suas ele ela eles elas isso este esta esse essa também já pelo pela pelos pelas "
    "muito quando até sem entre depois sobre quem há nem me eu você tem ter foram era mesmo ainda só onde porque "
    "todos todo bem",
    "nl": "de het een en van in is dat op te zijn voor met die niet aan er om ook als bij of door maar naar dan nog "
    "wel uit over tot ze zo hij zij wij we ik je u was werd worden wordt heeft hebben kan kunnen meer geen al dit "
    "deze zich onder tegen tussen na omdat waar wat wie hoe toen nu hier daar veel moet zou zal mijn haar hun ons",
    "sv": "och i att det som en på är av för med till den har de inte om ett var men så vi han hon kan från eller "
    "när efter också mycket skulle sig nu bara här vara blir vad där under alla vid mot hade denna detta sina hans "
    "hennes deras än upp ut över utan mellan genom många andra sedan ska finns två år jag du hur varför eftersom "
    "något ingen man",
    "da": "og i at det som en på er af for med til den har de ikke om et var men så vi han hun kan fra eller når "
    "efter også meget skulle sig nu bare her være bliver hvad der under alle ved mod havde denne dette sine hans "
    "hendes deres end op ud over uden mellem gennem mange andre siden skal findes to år jeg du hvordan hvorfor fordi "
    "noget ingen man blev nogle",
    "no": "og i at det som en på er av for med til den har de ikke om et var men så vi han hun kan fra eller når "
    "etter også mye skulle seg nå bare her være blir hva der under alle ved mot hadde denne dette sine hans hennes "
    "deres enn opp ut over uten mellom gjennom mange andre siden skal finnes to år jeg du hvordan hvorfor fordi noe "
    "ingen man ble noen",
    "fi": "ja on ei se että oli olla hän kun niin mutta tai kuin myös jo vain sen joka ovat sitä ole mitä kanssa "
    "mukaan tämä nämä ne me te he minä sinä hänen heidän sekä jos nyt vielä sitten koska kaikki mikä jotka ollut "
    "olivat siitä siinä tässä tähän kuitenkin jälkeen aikana välillä ennen yli alle noin paljon hyvin aina",
    "pl": "i w na z że do się nie to jest o jak a po co ale od za tak dla przez jego jej ich już tylko czy może być "
    "był była było są jako przy oraz lub też by jednak bardzo który która które których tym tego ten ta te gdy go mu "
    "mi nas was pod nad bez między kiedy gdzie jeszcze teraz więc u ze we",
    "cs": "a v na se je že to s z do o k i jako ve pro ale by jsem jsou jeho její jejich tak už jen nebo také když "
    "jak po za od bylo byl byla být může podle při mezi kde ještě však který která které tento tato toto této tohoto "
    "bez pod nad před proto aby či jsme jste má mají ze",
    "tr": "ve bir bu da de ile için olarak olan gibi daha çok en ne var yok ama kadar sonra her şey o ben sen biz "
    "siz onlar değil mi mı mu mü ki ise veya hem göre ancak bile böyle şu şimdi nasıl neden çünkü üzerinde arasında "
    "tarafından olduğu oldu olur yani sadece kendi diye bunu buna bunun onun",
    "ro": "și şi în de la a cu pe că nu se un o este care din pentru sau mai al ale ai au fost sunt fi ca dar prin "
    "după până foarte lui lor ei el ea noi voi eu tu acest această aceste acesta despre când unde doar fără între sub "
    "peste cel cea cei cele îl îi să ce cum am",
    "hu": "a az és hogy nem is egy van meg de el ez azt csak mint már volt még ki be fel le kell lehet vagy mert ha "
    "sem pedig amely aki ami majd most itt ott nagyon minden mindig között után alatt szerint által vannak lesz lett "
    "voltak neki nekem őket ő én te mi ti ők annak ennek azonban valamint így úgy",
    "id": "yang dan di ke dari ini itu dengan untuk pada adalah dalam tidak akan atau juga ada oleh sebagai karena "
    "saya kami kita mereka ia dia telah sudah bisa dapat lebih harus tersebut seperti jika saat masih hanya antara "
    "setelah sebelum tetapi namun banyak semua sangat bahwa hal para kepada secara menjadi bagi tentang hingga sampai",
    "vi": "và của là có được cho không những các một trong người với này đã khi để cũng như từ đến về theo ra làm "
    "nhiều sẽ đó nhưng thì nào vào lại rất trên năm tôi chúng ta họ anh em bị hay mà nên sau còn đây gì nó nhất hơn "
    "thể",
}
# Letters that appear in few of the languages above; each occurrence is evidence, shared the same 1/n way.
_LATIN_LETTERS = {
    "de": "äöüß",
    "fr": "éèêàçùœëî",
    "es": "ñáéíóú¿¡",
    "it": "àèéìòù",
    "pt": "ãõçáâêóôé",
    "sv": "åäö",
    "da": "æøå",
    "no": "æøå",
    "fi": "äö",
    "pl": "ąćęłńóśźż",
    "cs": "áčďéěíňóřšťúůýž",
    "tr": "çğıöşü",
    "ro": "ăâîșțşţ",
    "hu": "áéíóöőúüű",
    "vi": "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ",
}
_CYRILLIC_WORDS = {
    "ru": "и в не на что с по я он как это а то все она так его но к у же вы за бы от из мы о ты было только когда "
    "уже для вот да ее мне был нет ли если или ни быть до ему они тоже чтобы при который которые этого этот эта "
    "потому даже между очень где сейчас себя будет может",
    "uk": "і в не на що з по я він як це а то все вона так його але до у же ви за б від із ми о ти було тільки коли "
    "вже для ось її мені був немає чи якщо або ні бути йому вони також щоб при який які цього цей ця тому навіть між "
    "дуже де зараз себе буде може є та й",
    "bg": "и в не на че с по аз той как това а то всички тя така но към у вие за би от из ние ти беше само когато "
    "вече ето да нея ми няма ли ако или ни бъде до му те също при който които този тази защото дори между много "
    "където сега себе си ще може е са се",
    "sr": "и у не на да је се са по ја он како то а све она тако али ка ви за би од из ми о ти било само када већ "
    "ево њу био нема ли ако или ни бити до му они такође при који које овај ова зато чак између веома где сада себе "
    "ће може су",
    "be": "і ў не на што з па я ён як гэта а то ўсе яна так яго але да у ж вы за б ад мы пра ты было толькі калі "
    "ўжо для вось яе мне быў няма ці або ні быць яму яны таксама каб пры які якія гэтага гэты гэтая таму нават "
    "паміж вельмі дзе цяпер сябе будзе можа",
    "mk": "и во не на што со по јас тој како тоа а сите таа така но кон кај вие за би од ние ти беше само кога веќе "
    "да неа ми нема ли ако или ни биде до му тие исто при кој кои овој оваа затоа дури меѓу многу каде сега себе ќе "
    "може е се",
}
# Letters a language lacks matter as much as its own: Serbian and Macedonian write no я, ю, й, щ or ь.
_CYRILLIC_LETTERS = {
    "ru": "иыэёйьяющъ",
    "uk": "иіїєґйьяющ",
    "be": "ўіыэёйьяю",
    "bg": "иъйьяющ",
    "sr": "иђћџљњј",
    "mk": "иѓќѕџљњј",
}
_ARABIC_WORDS = {
    "ar": "في من على إلى أن التي الذي هذا هذه عن مع كان لا ما هو هي قد كل بين أو ثم عند لم بعد ذلك حتى إن وهو وقد "
    "كما أيضا الى ان او تلك الذين",
    "fa": "و در به از که این را با است برای آن یک خود تا بر هم نیز شده شود می اند بود کرد شد ای دیگر ما من او هر وی "
    "پس اگر یا چه",
    "ur": "کے کی ہے میں اور سے کو نے یہ ایک کا ہیں پر بھی تھا تھی گیا کر وہ اس جو نہیں ہو لیے کیا ان تو",
}
_ARABIC_LETTERS = {"ar": "ةيكىأإ", "fa": "پچژگیک", "ur": "ٹڈڑںےھپچگیک"}

# Scripts used by one language in practice, and the families resolved by the profiles above. "cjk" is split later.
_SCRIPT_RANGES = [
    (0x0041, 0x024F, "latin"),
    (0x0370, 0x03FF, "el"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0530, 0x058F, "hy"),
    (0x0590, 0x05FF, "he"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x0900, 0x097F, "hi"),
    (0x0980, 0x09FF, "bn"),
    (0x0A00, 0x0A7F, "pa"),
    (0x0A80, 0x0AFF, "gu"),
    (0x0B00, 0x0B7F, "or"),
    (0x0B80, 0x0BFF, "ta"),
    (0x0C00, 0x0C7F, "te"),
    (0x0C80, 0x0CFF, "kn"),
    (0x0D00, 0x0D7F, "ml"),
    (0x0D80, 0x0DFF, "si"),
    (0x0E00, 0x0E7F, "th"),
    (0x0E80, 0x0EFF, "lo"),
    (0x1000, 0x109F, "my"),
    (0x10A0, 0x10FF, "ka"),
    (0x1100, 0x11FF, "cjk"),
    (0x1200, 0x139F, "am"),
    (0x1780, 0x17FF, "km"),
    (0x1C90, 0x1CBF, "ka"),
    (0x1E00, 0x1EFF, "latin"),
    (0x1F00, 0x1FFF, "el"),
    (0x2E80, 0x9FFF, "cjk"),
    (0xA960, 0xA97F, "cjk"),
    (0xAC00, 0xD7FF, "cjk"),
    (0xF900, 0xFAFF, "cjk"),
    (0xFB1D, 0xFB4F, "he"),
    (0xFB50, 0xFDFF, "arabic"),
    (0xFE70, 0xFEFF, "arabic"),
    (0xFF66, 0xFFDC, "cjk"),
    (0x20000, 0x2FA1F, "cjk"),
]
_RANGE_STARTS = [start for start, _, _ in _SCRIPT_RANGES]
# Scripts shared by several languages we do not tell apart (Devanagari: hi/mr/ne, Hebrew: he/yi ...).
_SCRIPT_CONFIDENCE = {"hi": 0.85, "bn": 0.9, "he": 0.95, "pa": 0.95}

# A letter run, keeping combining marks (Indic vowel signs, Arabic and Hebrew points) inside the word.
_WORD = re.compile(
    r"(?:[^\W\d_]|[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    r"\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff])+"
)
# URLs and e-mail addresses look like words ("com", "www") but carry no language.
_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\uffa0-\uffdc]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")

# Roughly how many Latin letters one character stands for, so that shares compare like with like.
_UNITS = {"ko": 2.0, "ja": 2.5, "zh": 3.0}
_CHUNK_CHARS = 1200  # about 200 words of European text
_MAX_CHUNKS = 32  # ~38k characters analysed at most, whatever the length of the text
_MIN_UNITS = 20  # less than this (a few words) says nothing about a language
_MIXED_SHARE = 0.2
_LETTER_WEIGHT = 0.3
_TRIGRAM_WEIGHT = 0.1

Owners = tuple[tuple[int, float], ...]


@dataclass(frozen=True, slots=True)
class _Profile:
    codes: tuple[str, ...]
    words: dict[str, Owners]
    trigrams: dict[str, Owners]
    letters: dict[str, Owners]


def _trigrams(word: str) -> list[str]:
    padded = f" {word} "
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


def _owners(codes: tuple[str, ...], items: dict[str, set[str]]) -> dict[str, Owners]:
    langs: dict[str, list[int]] = {}
    for index, code in enumerate(codes):
        for item in sorted(items.get(code, ())):
            langs.setdefault(item, []).append(index)
    return {item: tuple((index, 1.0 / len(owners)) for index in owners) for item, owners in langs.items()}


def _profile(words: dict[str, str], letters: dict[str, str]) -> _Profile:
    codes = tuple(sorted(words))
    word_sets = {code: set(unicodedata.normalize("NFC", text).split()) for code, text in words.items()}
    trigram_sets = {code: {tri for word in found for tri in _trigrams(word)} for code, found in word_sets.items()}
    letter_sets = {code: set(unicodedata.normalize("NFC", text)) for code, text in letters.items()}
    return _Profile(codes, _owners(codes, word_sets), _owners(codes, trigram_sets), _owners(codes, letter_sets))


_PROFILES = {
    "latin": _profile(_LATIN_WORDS, _LATIN_LETTERS),
    "cyrillic": _profile(_CYRILLIC_WORDS, _CYRILLIC_LETTERS),
    "arabic": _profile(_ARABIC_WORDS, _ARABIC_LETTERS),
}


def detect_language(text: str) -> dict[str, Any]:
    """Return the main language (ISO 639-1), a 0-1 confidence, whether the text mixes languages, and the top three."""
    units: dict[str, float] = {}
    weighted_confidence: dict[str, float] = {}
    for chunk in _chunks(text):
        for code, amount, confidence in _analyse(chunk):
            units[code] = units.get(code, 0.0) + amount
            weighted_confidence[code] = weighted_confidence.get(code, 0.0) + amount * confidence
    total = sum(units.values())
    if total < _MIN_UNITS:
        return {"code": None, "confidence": 0.0, "mixed": False, "candidates": []}
    ranked = sorted(units, key=lambda code: (-units[code], code))
    top = ranked[0]
    shares = [units[code] / total for code in ranked]
    confidence = shares[0] * weighted_confidence[top] / units[top]
    return {
        "code": top,
        "confidence": round(confidence, 3),
        "mixed": len(shares) > 1 and shares[1] >= _MIXED_SHARE,
        "candidates": [{"code": code, "share": round(share, 3)} for code, share in zip(ranked[:3], shares)],
    }


def _chunks(text: str) -> list[str]:
    """Consecutive windows for short text; evenly spaced windows for long text, so the cost has a ceiling."""
    length = len(text)
    if length <= _CHUNK_CHARS * _MAX_CHUNKS:
        count = max(1, round(length / _CHUNK_CHARS))
        step = length / count
        return [text[round(i * step) : round((i + 1) * step)] for i in range(count)]
    stride = (length - _CHUNK_CHARS) / (_MAX_CHUNKS - 1)
    return [text[round(i * stride) : round(i * stride) + _CHUNK_CHARS] for i in range(_MAX_CHUNKS)]


def _script_of(char: str) -> str | None:
    point = ord(char)
    index = bisect_right(_RANGE_STARTS, point) - 1
    if index >= 0 and point <= _SCRIPT_RANGES[index][1]:
        return _SCRIPT_RANGES[index][2]
    return None


def _analyse(chunk: str) -> list[tuple[str, float, float]]:
    """Split one window by script and name each part's language: (code, size in units, confidence)."""
    chunk = _URL.sub(" ", unicodedata.normalize("NFC", chunk)).lower()
    by_script: dict[str, list[str]] = {}
    for word in _WORD.findall(chunk):
        script = _script_of(word[0])
        if script is not None:
            by_script.setdefault(script, []).append(word)
    parts: list[tuple[str, float, float]] = []
    for script in sorted(by_script):
        words = by_script[script]
        if script == "cjk":
            parts.extend(_cjk("".join(words)))
            continue
        size = float(sum(map(len, words)))
        profile = _PROFILES.get(script)
        if profile is None:
            parts.append((script, size, _SCRIPT_CONFIDENCE.get(script, 1.0)))
            continue
        code, confidence = _classify(profile, words)
        if code is not None:
            parts.append((code, size, confidence))
    if not parts:
        return []
    # Stray fragments (a Latin product name in Korean text, π in an English formula) are not a second language.
    largest = max(size for _, size, _ in parts)
    return [part for part in parts if part[1] >= _MIN_UNITS or part[1] == largest]


def _cjk(text: str) -> list[tuple[str, float, float]]:
    hangul, kana, han = (len(pattern.findall(text)) for pattern in (_HANGUL, _KANA, _HAN))
    parts = []
    # Japanese puts kana in nearly every sentence; Chinese text has none, Korean uses Han only as occasional hanja.
    if kana and kana >= 0.1 * (kana + han):
        parts.append(("ja", (kana + han) * _UNITS["ja"], 1.0))
        han = 0
    elif hangul > han:
        hangul, han = hangul + han, 0
    if hangul:
        parts.append(("ko", hangul * _UNITS["ko"], 1.0))
    if han:
        parts.append(("zh", han * _UNITS["zh"], 0.9))
    return parts


def _classify(profile: _Profile, words: list[str]) -> tuple[str | None, float]:
    """Score stopwords, distinctive letters and (for the words that are not stopwords) trigrams."""
    scores = [0.0] * len(profile.codes)
    hits = 0
    others: list[tuple[str, int]] = []
    for word, count in sorted(Counter(words).items()):
        owners = profile.words.get(word)
        if owners is None:
            others.append((word, count))
            continue
        hits += count
        for index, weight in owners:
            scores[index] += count * weight
    for letter, count in sorted(Counter("".join(words)).items()):
        for index, weight in profile.letters.get(letter, ()):
            scores[index] += _LETTER_WEIGHT * count * weight
    for word, count in others:
        for trigram in _trigrams(word):
            for index, weight in profile.trigrams.get(trigram, ()):
                scores[index] += _TRIGRAM_WEIGHT * count * weight
    ranked = sorted(range(len(scores)), key=lambda index: (-scores[index], profile.codes[index]))
    best, second = scores[ranked[0]], scores[ranked[1]]
    if best <= 0.0:
        return None, 0.0
    margin = (best - second) / best
    # Few stopwords means little to go on (names, codes, headings): say so in the confidence.
    support = min(1.0, (hits + 0.2 * len(others)) / 10)
    return profile.codes[ranked[0]], round((0.5 + 0.5 * margin) * support, 3)
