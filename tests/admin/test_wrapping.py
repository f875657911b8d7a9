"""Where a long address may break in a narrow column (web/admin/wrapping.py)."""

from __future__ import annotations

from contacthub.web.admin.wrapping import breakable


def test_an_address_breaks_after_its_slashes_and_dots_and_before_its_at_sign() -> None:
    assert str(breakable("https://files.example.org/staff.csv")) == (
        "https://<wbr>files.<wbr>example.<wbr>org/<wbr>staff.<wbr>csv"
    )
    assert str(breakable("ann.lee@example.org")) == "ann.<wbr>lee<wbr>@example.<wbr>org"


def test_words_and_sentences_are_left_whole_and_everything_is_escaped() -> None:
    assert str(breakable("Uploaded file. Next")) == "Uploaded file. Next"
    assert str(breakable("<b>x</b>")) == "&lt;b&gt;x&lt;/<wbr>b&gt;"
    assert str(breakable(None)) == ""
