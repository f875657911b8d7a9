"""The issue's fixture written straight into the store: the same 50 people in four books,
as a phone's push, an IMAP harvest, a CSV sync and Exchange write them (their phone numbers
and emails written differently), two different people with one name in one organisation,
and a few cards that must not match.

The join's end-to-end test feeds the same people through each kind's real server; here
their cards are what those runs write, so the lanes are tested without the servers.
"""

from __future__ import annotations

from dataclasses import dataclass

from contacthub.store import Actor, Store
from contacthub.vcard.parse import item_data

OWNER = "alice"
PHONE_BOOK = "alice/from-ios"
IMAP_BOOK = "alice/from-imap"
CSV_BOOK = "alice/from-csv"
EXCHANGE_BOOK = "alice/from-exchange"
BOOKS = (PHONE_BOOK, IMAP_BOOK, CSV_BOOK, EXCHANGE_BOOK)
REGION = "EE"
PHONE = Actor(OWNER, "carddav", "iOS/17.4 (21E219) dataaccessd/1.0")

FIRST = ("Jane", "Mart", "Liis", "Peeter", "Kadri", "Tõnu", "Eva", "Jüri", "Anu", "Rein")
LAST = ("Doe", "Kask", "Saar", "Mets", "Lepp")

# Two different people with one name at Acme, and a colleague: all three have the office's
# switchboard on their cards besides their own mobiles.
NAMESAKE = "Maria Tamm"
SWITCHBOARD = "+372 600 1000"


@dataclass(frozen=True)
class Person:
    number: int
    first: str
    last: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def email(self) -> str:
        return f"{_ascii(self.first)}.{_ascii(self.last)}@example.com".lower()

    @property
    def local_number(self) -> str:
        return f"5555{1234 + self.number:04d}"

    @property
    def e164(self) -> str:
        return f"+372{self.local_number}"

    def uid(self, book: str) -> str:
        return f"{book.rsplit('/', 1)[1]}-{self.number}"


PEOPLE = [Person(n, FIRST[n % 10], LAST[n // 10]) for n in range(50)]


def _ascii(text: str) -> str:
    return text.replace("õ", "o").replace("ü", "u")


def card(uid: str, fn: str, *lines: str) -> str:
    return "\r\n".join(
        ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{fn}", *lines, "END:VCARD", ""]
    )


def cards_of(person: Person) -> dict[str, str]:
    """The person's card in each book, as each source writes it."""
    local = person.local_number
    return {
        PHONE_BOOK: card(
            person.uid(PHONE_BOOK),
            person.name,
            f"N:{person.last};{person.first};;;",
            f"EMAIL;TYPE=INTERNET:{person.email.title()}",
            f"TEL;TYPE=CELL:+372 {local[:4]} {local[4:]}",
        ),
        IMAP_BOOK: card(
            person.uid(IMAP_BOOK),
            # The harvest names a correspondent by the mail's display name when it has one.
            person.email if person.number % 2 else person.name.lower(),
            f"EMAIL:{person.email.upper()}",
            "X-CONTACTHUB-MESSAGES:12",
        ),
        CSV_BOOK: card(
            person.uid(CSV_BOOK),
            f"{person.last}\\, {person.first}",
            f"EMAIL:{person.email}",
            f"TEL:{local}",
        ),
        EXCHANGE_BOOK: card(
            person.uid(EXCHANGE_BOOK),
            person.name,
            f"TEL;TYPE=WORK:(0){local[:4]}-{local[4:]}",
        ),
    }


# Cards that are not the 50 people: the namesakes and their colleague (CSV), a person
# whose only match is her name (Exchange and IMAP), and one whose name is close.
OTHERS: dict[str, list[str]] = {
    CSV_BOOK: [
        card(
            "maria-1",
            NAMESAKE,
            "EMAIL:maria.tamm@acme.ee",
            "TEL:+372 5100 0001",
            f"TEL:{SWITCHBOARD}",
        ),
        card(
            "maria-2", NAMESAKE, "EMAIL:m.tamm@acme.ee", "TEL:+372 5100 0002", f"TEL:{SWITCHBOARD}"
        ),
        card("colleague", "Ants Acme", "EMAIL:ants@acme.ee", f"TEL:{SWITCHBOARD}"),
    ],
    EXCHANGE_BOOK: [
        card("kati-x", "Kati Karu", "EMAIL:kati@work.example"),
        card("kristjan-x", "Kristjan Saar", "EMAIL:kristjan@work.example"),
    ],
    IMAP_BOOK: [
        card("kati-i", "Kati Karu", "EMAIL:kati.karu@home.example"),
        card("kristjan-i", "Kristjan Saare", "EMAIL:ks@home.example"),
    ],
}


def group_card(uid: str, name: str, *lines: str) -> str:
    return card(uid, name, "X-ADDRESSBOOKSERVER-KIND:group", *lines)


def write_people(store: Store, owner_books: tuple[str, ...] = BOOKS) -> None:
    """The 50 people in the four books, and the others."""
    with store.write([OWNER], actor=PHONE) as tx:
        tx.ensure_collection(OWNER)
        for path in owner_books:
            name = path.rsplit("/", 1)[1]
            tx.ensure_collection(path, {"tag": "VADDRESSBOOK", "D:displayname": name})
    with store.write(list(owner_books), actor=PHONE) as tx:
        for path in owner_books:
            book = tx.require_collection(path)
            for person in PEOPLE:
                text = cards_of(person)[path]
                tx.put_item(book, f"{person.uid(path)}.vcf", item_data(text))
            for index, text in enumerate(OTHERS.get(path, [])):
                tx.put_item(book, f"other-{index}.vcf", item_data(text))


def put(store: Store, path: str, href: str, text: str) -> None:
    with store.write([path], actor=PHONE) as tx:
        tx.put_item(tx.require_collection(path), href, item_data(text))


def delete(store: Store, path: str, href: str) -> None:
    with store.write([path], actor=PHONE) as tx:
        tx.delete_item(tx.require_collection(path), href)
