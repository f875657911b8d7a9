"""A correspondent as a vCard 3.0 contact (through contacthub.vcard.write)."""

from __future__ import annotations

from contacthub.sources.imap.harvest import Correspondent
from contacthub.vcard.fields import ContactFields, Email
from contacthub.vcard.write import to_vcard

MESSAGES_PROPERTY = "X-CONTACTHUB-MESSAGES"
LAST_CONTACT_PROPERTY = "X-CONTACTHUB-LAST-CONTACT"


def split_name(name: str) -> tuple[str, str]:
    """(given, family): "Doe, Jane" and "Jane Doe" both give ("Jane", "Doe")."""
    if name.count(",") == 1:
        family, given = (part.strip() for part in name.split(","))
        if family and given:
            return given, family
    given, _, family = name.rpartition(" ")
    return (given, family) if given else (family, "")


def correspondent_fields(correspondent: Correspondent) -> ContactFields:
    given, family = split_name(correspondent.name)
    # FN in "given family" order also for names written "Family, Given".
    full_name = f"{given} {family}".strip() if correspondent.name else ""
    return ContactFields(
        full_name=full_name,
        given=given,
        family=family,
        emails=[Email(correspondent.email, "other", primary=True)],
    )


def correspondent_vcard(correspondent: Correspondent, uid: str) -> str:
    """vCard 3.0 text: FN (the address when there is no name), N, EMAIL, the X- counts."""
    extra = {MESSAGES_PROPERTY: str(correspondent.messages)}
    if correspondent.last_date is not None:
        extra[LAST_CONTACT_PROPERTY] = correspondent.last_date.date().isoformat()
    return to_vcard(correspondent_fields(correspondent), uid, extra=extra)
