"""Cards per second: contacthub's vCard writer against building the same card with vobject.

python benchmarks/vcard_writer_bench.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

import vobject

from contacthub.sources.csv import ContactFields
from contacthub.vcard.fields import Email, Phone
from contacthub.vcard.write import to_vcard

ADA = ContactFields(
    full_name="Ada Lovelace",
    given="Ada",
    family="Lovelace",
    emails=[Email("ada@example.org", "work", True), Email("ada@home.example", "home", False)],
    phones=[Phone("+44 20 7946 0000", "mobile", True)],
    organisation="Analytical Engines",
    department="Research",
    notes="Wrote the first program;\nnotes, commas and semicolons",
    categories=["math", "vip"],
)


def with_vobject() -> str:
    card = vobject.vCard()
    card.add("uid").value = "u"
    card.add("fn").value = ADA.full_name
    card.add("n").value = vobject.vcard.Name(family=ADA.family, given=ADA.given)
    for email in ADA.emails:
        card.add("email").value = email.value
    for phone in ADA.phones:
        card.add("tel").value = phone.value
    card.add("org").value = [ADA.organisation, ADA.department]
    card.add("note").value = ADA.notes
    card.add("categories").value = ADA.categories
    return str(card.serialize())


def rate(build: Callable[[], str], seconds: float = 2.0) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        build()
        count += 1
    return count / (time.perf_counter() - start)


if __name__ == "__main__":
    ours = rate(lambda: to_vcard(ADA, "u"))
    theirs = rate(with_vobject)
    print(
        f"| writer | cards/s |\n| --- | --- |\n| contacthub to_vcard | {ours:,.0f} |\n"
        f"| vobject | {theirs:,.0f} |\n\n{ours / theirs:.0f}x"
    )
