"""Language detection on real corpus documents and hand-written sentences: scripts, profiles, mixing, speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from webapp.pipeline.enrich.language import detect_language

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

# One sentence per language, written for these tests (15+ words each, ordinary news-style prose).
SENTENCES = {
    "en": "The committee said on Tuesday that it would not change the rules before the end of the year, because most "
    "of the members were still waiting for the report.",
    "de": "Die Stadt hat im letzten Jahr mehr Geld für Schulen ausgegeben als je zuvor, aber viele Eltern sind mit der "
    "Situation immer noch nicht zufrieden.",
    "fr": "Le gouvernement a annoncé mardi qu'il ne modifierait pas les règles avant la fin de l'année, car la plupart "
    "des membres attendent encore le rapport.",
    "es": "El ayuntamiento ha decidido que las obras de la nueva biblioteca comenzarán en primavera, aunque todavía no "
    "se conoce el presupuesto final del proyecto.",
    "it": "Il comune ha deciso che i lavori della nuova biblioteca inizieranno in primavera, anche se non si conosce "
    "ancora il costo finale del progetto.",
    "pt": "A prefeitura decidiu que as obras da nova biblioteca vão começar na primavera, embora ainda não se conheça "
    "o orçamento final do projeto.",
    "nl": "De gemeente heeft besloten dat de bouw van de nieuwe bibliotheek in het voorjaar begint, maar de "
    "uiteindelijke kosten zijn nog niet bekend.",
    "sv": "Kommunen har beslutat att bygget av det nya biblioteket ska börja under våren, men den slutliga kostnaden "
    "är ännu inte känd för invånarna.",
    "da": "Kommunen har besluttet, at byggeriet af det nye bibliotek skal begynde i foråret, men den endelige pris er "
    "endnu ikke kendt af borgerne.",
    "no": "Kommunen har bestemt at byggingen av det nye biblioteket skal starte til våren, men den endelige prisen er "
    "ennå ikke kjent for innbyggerne.",
    "fi": "Kunta on päättänyt, että uuden kirjaston rakentaminen alkaa keväällä, mutta lopullisia kustannuksia ei "
    "vielä tiedetä, koska suunnitelma on kesken.",
    "pl": "Miasto zdecydowało, że budowa nowej biblioteki rozpocznie się wiosną, ale ostateczny koszt projektu nie "
    "jest jeszcze znany mieszkańcom.",
    "cs": "Město rozhodlo, že stavba nové knihovny začne na jaře, ale konečná cena celého projektu zatím není "
    "obyvatelům známá a radnice ji neuvedla.",
    "tr": "Belediye, yeni kütüphanenin inşaatının ilkbaharda başlayacağına karar verdi, ancak projenin nihai maliyeti "
    "henüz bilinmiyor ve açıklanmadı.",
    "ro": "Primăria a decis că lucrările la noua bibliotecă vor începe în primăvară, dar costul final al proiectului "
    "nu este încă cunoscut de locuitori.",
    "hu": "Az önkormányzat úgy döntött, hogy az új könyvtár építése tavasszal kezdődik, de a projekt végleges költsége "
    "még nem ismert a lakosok számára.",
    "id": "Pemerintah kota telah memutuskan bahwa pembangunan perpustakaan baru akan dimulai pada musim semi, tetapi "
    "biaya akhir proyek ini belum diketahui.",
    "vi": "Chính quyền thành phố đã quyết định rằng việc xây dựng thư viện mới sẽ bắt đầu vào mùa xuân, nhưng chi phí "
    "cuối cùng của dự án vẫn chưa được công bố.",
    "ru": "Городские власти решили, что строительство новой библиотеки начнётся весной, но окончательная стоимость "
    "проекта пока не известна жителям города.",
    "uk": "Міська влада вирішила, що будівництво нової бібліотеки почнеться навесні, але остаточна вартість проєкту "
    "поки що невідома мешканцям міста.",
    "bg": "Общината реши, че строителството на новата библиотека ще започне през пролетта, но крайната цена на "
    "проекта все още не е известна на жителите.",
    "sr": "Градске власти су одлучиле да ће изградња нове библиотеке почети на пролеће, али коначна цена пројекта још "
    "увек није позната грађанима.",
    "el": "Ο δήμος αποφάσισε ότι η κατασκευή της νέας βιβλιοθήκης θα ξεκινήσει την άνοιξη, αλλά το τελικό κόστος του "
    "έργου δεν είναι ακόμη γνωστό.",
    "ko": "시청은 새 도서관 공사가 봄에 시작될 것이라고 결정했지만, 프로젝트의 최종 비용은 아직 시민들에게 알려지지 "
    "않았습니다. 많은 주민들이 결과를 기다리고 있습니다.",
    "ja": "市は新しい図書館の工事を春に始めることを決めましたが、計画の最終的な費用はまだ住民に知らされていません。"
    "多くの人が結果を待っています。",
    "zh": "市政府决定新图书馆的建设工程将于春季开始，但是项目的最终费用目前还没有向市民公布。"
    "许多居民正在等待进一步的消息。",
    "ar": "قررت البلدية أن أعمال بناء المكتبة الجديدة ستبدأ في فصل الربيع، لكن التكلفة النهائية للمشروع لم تعلن بعد "
    "للسكان الذين ينتظرون المزيد من المعلومات.",
    "fa": "شهرداری تصمیم گرفت که ساخت کتابخانه جدید در بهار آغاز شود، اما هزینه نهایی این پروژه هنوز برای ساکنان شهر "
    "اعلام نشده است و مردم منتظر هستند.",
    "ur": "شہر کی انتظامیہ نے فیصلہ کیا ہے کہ نئی لائبریری کی تعمیر بہار میں شروع ہوگی، لیکن منصوبے کی حتمی لاگت ابھی "
    "تک شہریوں کو نہیں بتائی گئی ہے۔",
    "hy": "Քաղաքապետարանը որոշել է, որ նոր գրադարանի շինարարությունը կսկսվի գարնանը, բայց նախագծի վերջնական "
    "արժեքը դեռ հայտնի չէ։",
    "ka": "ქალაქის მერიამ გადაწყვიტა, რომ ახალი ბიბლიოთეკის მშენებლობა გაზაფხულზე დაიწყება, მაგრამ პროექტის "
    "საბოლოო ღირებულება ჯერ უცნობია.",
    "he": "העירייה החליטה שבניית הספרייה החדשה תתחיל באביב, אבל העלות הסופית של הפרויקט עדיין לא ידועה לתושבי העיר "
    "שמחכים למידע נוסף.",
    "hi": "नगर निगम ने फैसला किया है कि नए पुस्तकालय का निर्माण वसंत में शुरू होगा, लेकिन परियोजना की अंतिम लागत अभी तक "
    "नागरिकों को नहीं बताई गई है।",
    "th": "เทศบาลตัดสินใจว่าการก่อสร้างห้องสมุดแห่งใหม่จะเริ่มในฤดูใบไม้ผลิ แต่ค่าใช้จ่ายสุดท้ายของโครงการยังไม่ได้ประกาศให้ประชาชนทราบ",
}


def corpus_text(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("txt_norwich-city.txt", "en"),
        ("txt_war-and-peace-1225p.txt", "en"),
        # A Wikipedia article (about an American radio station), rendered to Markdown with its navigation.
        ("html_wiki_wkey_am.html.expected.md", "en"),
        ("md_docling_wiki.md", "en"),
        ("md_kreuzberg_comprehensive.md", "en"),
        ("pdf_docling_normal_4pages.pdf.expected.md", "ko"),
        ("pdf_docling_right_to_left_01.pdf.expected.md", "ar"),
        ("pdf_large_GeoTopo_117p.pdf.expected.txt", "de"),
    ],
)
def test_corpus_documents_get_their_language(name, code):
    result = detect_language(corpus_text(name))

    assert result["code"] == code
    assert result["mixed"] is False
    assert result["candidates"][0]["code"] == code


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_one_sentence_is_enough(code):
    result = detect_language(SENTENCES[code])

    assert result["code"] == code
    assert 0.0 < result["confidence"] <= 1.0
    assert result["candidates"] == [{"code": code, "share": 1.0}]


def test_clear_prose_is_detected_with_high_confidence():
    result = detect_language(corpus_text("txt_war-and-peace-1225p.txt"))

    assert result["confidence"] >= 0.9


def test_result_has_the_documented_shape():
    result = detect_language(corpus_text("html_wiki_world_war_ii.html.expected.md"))

    assert set(result) == {"code", "confidence", "mixed", "candidates"}
    assert 1 <= len(result["candidates"]) <= 3
    shares = [candidate["share"] for candidate in result["candidates"]]
    assert shares == sorted(shares, reverse=True)
    assert sum(shares) <= 1.0 + 1e-9
    assert all(set(candidate) == {"code", "share"} for candidate in result["candidates"])


@pytest.mark.parametrize("text", ["", "   \n\t", "Hi there", "12345 67890 !!! ---", "안녕하세요"])
def test_too_little_text_has_no_language(text):
    assert detect_language(text) == {"code": None, "confidence": 0.0, "mixed": False, "candidates": []}


def test_placeholder_latin_is_not_a_language():
    """GIVEN lorem ipsum (pseudo-Latin that no profile covers) WHEN detecting THEN no language is claimed."""
    text = corpus_text("pdf_docling_picture_classification.pdf.expected.md")

    assert detect_language(text)["code"] is None


def test_korean_document_with_english_paragraphs_is_mixed():
    """GIVEN real Korean paragraphs alternating with real English ones WHEN detecting THEN both are reported."""
    korean = [p for p in corpus_text("pdf_docling_normal_4pages.pdf.expected.md").split("\n\n") if len(p) > 200]
    english = [p for p in corpus_text("md_docling_wiki.md").split("\n\n") if len(p) > 200]
    mixed = "\n\n".join(part for pair in zip(korean[:6], english[:6], strict=True) for part in pair)

    result = detect_language(mixed)

    assert result["mixed"] is True
    assert {candidate["code"] for candidate in result["candidates"][:2]} == {"ko", "en"}
    assert result["candidates"][1]["share"] >= 0.2


def test_english_terms_in_korean_text_do_not_make_it_mixed():
    result = detect_language(corpus_text("pdf_docling_normal_4pages.pdf.expected.md"))

    assert result["code"] == "ko"
    assert result["mixed"] is False


def test_a_language_in_the_body_of_a_long_text_is_seen():
    """GIVEN 3 MB of text whose first 40 kB are English and the rest German
    WHEN detecting THEN the sample covers the whole text, not just its head, and German wins."""
    english = corpus_text("txt_war-and-peace-1225p.txt")[:40_000]
    german = (SENTENCES["de"] + " ") * (3_000_000 // len(SENTENCES["de"]))

    result = detect_language(english + german)

    assert result["code"] == "de"


def test_same_input_same_output():
    text = corpus_text("html_wiki_world_war_ii.html.expected.md")

    first = detect_language(text)
    detect_language(SENTENCES["ko"])

    assert detect_language(text) == first


def test_output_does_not_depend_on_hash_order():
    """GIVEN two interpreters with different string-hash seeds WHEN detecting THEN the results are identical."""
    script = (
        "import json, sys; from webapp.pipeline.enrich.language import detect_language; "
        "print(json.dumps([detect_language(text) for text in json.load(sys.stdin)]))"
    )
    texts = json.dumps([SENTENCES["da"], SENTENCES["no"], corpus_text("html_wiki_world_war_ii.html.expected.md")])
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script], input=texts, capture_output=True, text=True, cwd=REPO, env=env, check=True
        )
        outputs.append(done.stdout)

    assert outputs[0] == outputs[1]
