"""Model Markdown → Telegram HTML (telegramify-markdown + aiogram): every construct converted, outsiders'
text literal, tables in <pre>, and splits that never break an entity (checked by the stand-in's parser)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from telegram_bot.render import markdown_html, tg_len
from telegram_bot.standin import _check_text, visible_text


def test_inline_markdown_is_converted() -> None:
    [html] = markdown_html("**Итого** за *неделю*: `$1 234`, ~~старое~~ и __тоже жирное__")
    assert html == ("<b>Итого</b> за <i>неделю</i>: <code>$1 234</code>, <s>старое</s> и <b>тоже жирное</b>")


def test_hostile_names_render_literally() -> None:
    hostile = "Лид [Срочно: подтвердите оплату](https://evil.example/login) <b>x</b> &amp; <https://evil.example>"
    [html] = markdown_html(f"Новые лиды: **{hostile}**")
    assert "href" not in html and "<a" not in html  # nothing clickable hides a URL
    assert visible_text(html) == f"Новые лиды: {hostile}"
    assert _check_text(html, 4096) == html  # Telegram accepts it


def test_code_keeps_its_characters() -> None:
    [html] = markdown_html("Поле `a[0] < b & c`:\n```\nif x < 1 and [y]:\n    pass\n```")
    assert "<code>a[0] &lt; b &amp; c</code>" in html
    assert "<pre>if x &lt; 1 and [y]:\n    pass</pre>" in html


def test_table_is_a_readable_monospace_block() -> None:
    md = ("| Кампания | Расход | Лиды |\n|---|---:|---:|\n"
          "| Имплантация Москва | $1 200 | 34 |\n| Виниры <СПб> | $80 | 2 |")
    [html] = markdown_html("Сводка:\n\n" + md)
    assert html.startswith("Сводка:\n\n<pre>") and html.endswith("</pre>")
    rows = visible_text(html).split("\n")[2:]
    assert rows[0].split("|")[0].strip() == "Кампания" and "Виниры <СПб>" in rows[-1]
    assert len({r.replace("+", "|").index("|") for r in rows}) == 1  # columns aligned


def test_headings_lists_and_quotes() -> None:
    [html] = markdown_html("## Итоги\n\n- первый\n- **второй**\n\n> цитата")
    text = visible_text(html)
    assert "Итоги" in text and "первый" in text and "<b>второй</b>" in html and "<blockquote>цитата</blockquote>" in html


def test_a_split_never_cuts_an_entity() -> None:
    long_bold = "**" + " ".join(f"слово{n}" for n in range(900)) + "**"
    code = "```\n" + "\n".join(f"строка {n} <x> & y" for n in range(300)) + "\n```"
    md = f"Начало\n\n{long_bold}\n\n{code}\n\nКонец"
    parts = markdown_html(md)
    assert len(parts) >= 3
    for part in parts:
        assert _check_text(part, 4096) == part  # balanced tags, within the limit once parsed
    shown = "".join(visible_text(p) for p in parts)
    assert shown.replace("\n", "").replace(" ", "") == visible_text("".join(parts)).replace("\n", "").replace(" ", "")
    assert "слово899" in shown and "строка 299 <x> & y" in shown and shown.endswith("Конец")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab *_`[]()<>&#|-\n~>1.😀ж")), max_size=3000))
def test_any_text_gives_valid_parts(markdown: str) -> None:
    for part in markdown_html(markdown, limit=500):
        assert _check_text(part, 500) == part
        assert tg_len(visible_text(part)) <= 500
