"""What the loopback EWS endpoint refuses of the contacts it is sent, as Exchange does.

* Dictionary keys outside the schema's enumerations (EmailAddressKeyType is EmailAddress1..3,
  PhoneNumberKeyType the 19 phone labels, PhysicalAddressKeyType Home, Business and Other,
  ImAddressKeyType ImAddress1..3): the request fails schema validation before anything is
  done, a SOAP fault ``ErrorSchemaValidation`` naming the value, as Exchange answers.
* Text longer than ``MAX_TEXT`` (255) in the name, company, title and category fields: that
  item gets ``ErrorPropertyValidationFailure``, the others of the request go through. 255 is
  the limit the hub's mapping takes Exchange to have (mapping._MAX_NAME); it is not in the
  published schema, so this double holds the hub to its own assumption.
"""

from __future__ import annotations

from lxml import etree

from tests.support.ews_mailbox import EwsFault, ItemError, local_name, tns

KEYS = {
    "EmailAddresses": ("EmailAddressKeyType", {"EmailAddress1", "EmailAddress2", "EmailAddress3"}),
    "PhoneNumbers": (
        "PhoneNumberKeyType",
        {
            "AssistantPhone",
            "BusinessFax",
            "BusinessPhone",
            "BusinessPhone2",
            "Callback",
            "CarPhone",
            "CompanyMainPhone",
            "HomeFax",
            "HomePhone",
            "HomePhone2",
            "Isdn",
            "MobilePhone",
            "OtherFax",
            "OtherTelephone",
            "Pager",
            "PrimaryPhone",
            "RadioPhone",
            "Telex",
            "TtyTddPhone",
        },
    ),
    "PhysicalAddresses": ("PhysicalAddressKeyType", {"Home", "Business", "Other"}),
    "ImAddresses": ("ImAddressKeyType", {"ImAddress1", "ImAddress2", "ImAddress3"}),
}
MAX_TEXT = 255
LIMITED = (
    "DisplayName",
    "GivenName",
    "MiddleName",
    "Surname",
    "CompanyName",
    "Department",
    "JobTitle",
    "String",  # each category
)


def check_keys(operation: etree._Element) -> None:
    """Raises the schema's EwsFault for a dictionary entry key the schema does not have."""
    for entry in operation.iter(tns("Entry")):
        parent = entry.getparent()
        container = local_name(parent.tag) if parent is not None else ""
        if container not in KEYS:
            continue
        kind, allowed = KEYS[container]
        key = entry.get("Key")
        if key not in allowed:
            raise EwsFault(
                "ErrorSchemaValidation",
                f"The request failed schema validation: The 'Key' attribute is invalid - The "
                f"value '{key}' is invalid according to its datatype "
                f"'http://schemas.microsoft.com/exchange/services/2006/types:{kind}' - The "
                "Enumeration constraint failed.",
            )


def check_lengths(item: etree._Element) -> None:
    """Raises ItemError for a text longer than Exchange keeps."""
    for name in LIMITED:
        for elem in item.iter(tns(name)):
            if len(elem.text or "") > MAX_TEXT:
                raise ItemError("ErrorPropertyValidationFailure")
