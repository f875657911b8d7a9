"""The mailbox of the loopback EWS endpoint: contacts as the XML Exchange holds, in memory.

Each contact keeps the elements a client sent, keyed by element name, so every field comes
back as it went in. A change sequence numbers creates, edits and deletions; SyncFolderItems
states, item ids and change keys are opaque base64 strings made from these numbers.
"""

from __future__ import annotations

import base64
import copy
import datetime
import itertools
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from lxml import etree

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
E = "http://schemas.microsoft.com/exchange/services/2006/errors"
MESSAGES = {
    "ErrorAccessDenied": "Access is denied. Check credentials and try again.",
    "ErrorImpersonateUserDenied": "The account does not have permission to impersonate the "
    "requested user.",
    "ErrorInternalServerError": "An internal server error occurred. The operation failed.",
    "ErrorInvalidExchangeImpersonationHeaderData": "ExchangeImpersonation SOAP header must be "
    "present for this type of OAuth token.",
    "ErrorServerBusy": "The server cannot service this request right now. Try again later.",
    "ErrorFolderNotFound": "The specified folder could not be found in the store.",
    "ErrorInvalidChangeKey": "The change key is invalid.",
    "ErrorInvalidIdMalformed": "Id is malformed.",
    "ErrorInvalidServerVersion": "The specified server version is invalid.",
    "ErrorInvalidSyncStateData": "Synchronization state data is corrupt or otherwise invalid.",
    "ErrorIrresolvableConflict": "The send or update operation could not be performed because "
    "the change key passed in the request does not match the current "
    "change key for the item.",
    "ErrorItemNotFound": "The specified object was not found in the store.",
    "ErrorPropertyValidationFailure": "Property validation failed.",
}
# Element names of fields whose values are entries keyed by label (IndexedFieldURI).
INDEXED = {
    "contacts:EmailAddress": "EmailAddresses",
    "contacts:PhoneNumber": "PhoneNumbers",
    "contacts:PhysicalAddress": "PhysicalAddresses",
    "contacts:ImAddress": "ImAddresses",
}


def tns(name: str) -> str:
    return f"{{{T}}}{name}"


def mns(name: str) -> str:
    return f"{{{M}}}{name}"


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def encode_id(prefix: str, number: int) -> str:
    return base64.b64encode(f"{prefix}:{number}".encode()).decode()


def decode_id(prefix: str, value: str | None) -> int | None:
    """The number in an id, change key or sync state this server made, else None."""
    try:
        kind, number = base64.b64decode(value or "", validate=True).decode().split(":")
        return int(number) if kind == prefix else None
    except ValueError:  # covers binascii.Error and UnicodeDecodeError
        return None


class EwsFault(Exception):
    """A SOAP fault: the whole request is refused (HTTP 500)."""

    def __init__(
        self, code: str, text: str | None = None, *, back_off_ms: int | None = None
    ) -> None:
        super().__init__(text or MESSAGES.get(code, code))
        self.code = code
        self.back_off_ms = back_off_ms  # ErrorServerBusy's BackOffMilliseconds


class ItemError(Exception):
    """An error in one response message; the others in the request still succeed."""

    def __init__(self, code: str) -> None:
        super().__init__(MESSAGES.get(code, code))
        self.code = code


@dataclass
class Contact:
    number: int
    fields: dict[str, etree._Element]
    kind: str = "Contact"  # or "DistributionList", the other item a Contacts folder holds
    version: int = 1
    created_seq: int = 0
    changed_seq: int = 0
    deleted_seq: int | None = None
    created: str = ""
    modified: str = ""

    @property
    def item_id(self) -> str:
        return encode_id("item", self.number)

    @property
    def changekey(self) -> str:
        return encode_id(f"ck{self.number}", self.version)


@dataclass
class Mailbox:
    """The contacts folder of one mailbox, with a change sequence for SyncFolderItems."""

    contacts: dict[str, Contact] = field(default_factory=dict)
    seq: int = 0
    # Display names whose contacts CreateItem refuses (ErrorPropertyValidationFailure), as
    # Exchange refuses values it cannot store.
    refused: set[str] = field(default_factory=set)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # -- what a user in Outlook does ------------------------------------------------------------

    def create(self, values: Mapping[str, str], kind: str = "Contact") -> str:
        """Add a contact of simple text fields (element name → text); returns its item id."""
        with self.lock:
            return self.store([text_element(name, value) for name, value in values.items()], kind)

    def edit(self, item_id: str, values: Mapping[str, str | None]) -> None:
        """Set (or with None remove) simple text fields; the change key and sequence move on."""
        with self.lock:
            contact = self.get(item_id)
            for name, value in values.items():
                if value is None:
                    contact.fields.pop(name, None)
                else:
                    contact.fields[name] = text_element(name, value)
            self.touch(contact)

    def set_entry(self, item_id: str, container: str, key: str, value: str) -> None:
        """Set one entry of EmailAddresses or PhoneNumbers, as Outlook's form does."""
        with self.lock:
            contact = self.get(item_id)
            elem = contact.fields.setdefault(container, etree.Element(tns(container)))
            for entry in elem.findall(tns("Entry")):
                if entry.get("Key") == key:
                    elem.remove(entry)
            etree.SubElement(elem, tns("Entry"), Key=key).text = value
            self.touch(contact)

    def delete(self, item_id: str) -> None:
        with self.lock:
            contact = self.get(item_id)
            self.seq += 1
            contact.deleted_seq = self.seq

    def text(self, item_id: str, name: str) -> str | None:
        """The text of a simple field as stored, for assertions."""
        elem = self.get(item_id).fields.get(name)
        return None if elem is None else elem.text

    # -- what the operations do ---------------------------------------------------------------

    def live(self) -> list[Contact]:
        return [c for c in self.contacts.values() if c.deleted_seq is None]

    def get(self, item_id: str | None) -> Contact:
        number = decode_id("item", item_id)
        if number is None:
            raise ItemError("ErrorInvalidIdMalformed")
        contact = self.contacts.get(encode_id("item", number))
        if contact is None or contact.deleted_seq is not None:
            raise ItemError("ErrorItemNotFound")
        return contact

    def store(self, elements: list[etree._Element], kind: str = "Contact") -> str:
        self.seq += 1
        now = _now()
        contact = Contact(
            number=next(self._numbers),
            fields={},
            kind=kind,
            created_seq=self.seq,
            changed_seq=self.seq,
            created=now,
            modified=now,
        )
        for elem in elements:
            contact.fields[field_key(elem)] = copy.deepcopy(elem)
        self.contacts[contact.item_id] = contact
        return contact.item_id

    def touch(self, contact: Contact) -> None:
        self.seq += 1
        contact.version += 1
        contact.changed_seq = self.seq
        contact.modified = _now()


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def field_key(elem: etree._Element) -> str:
    """The key a contact keeps a field under: its element name; for an ExtendedProperty, the
    property it is (a contact has any number of them)."""
    name = local_name(elem.tag)
    uri = elem.find(tns("ExtendedFieldURI")) if name == "ExtendedProperty" else None
    return extended_key(uri) if uri is not None else name


def extended_key(uri: etree._Element) -> str:
    """An ExtendedFieldURI as a field key: the property set and name or id (not the type)."""
    parts = sorted(f"{key}={value}" for key, value in uri.attrib.items() if key != "PropertyType")
    return "ExtendedProperty:" + "|".join(parts)


def text_element(name: str, value: str) -> etree._Element:
    elem = etree.Element(tns(name))
    elem.text = value
    return elem


def last_seq(contact: Contact) -> int:
    return contact.deleted_seq if contact.deleted_seq is not None else contact.changed_seq


def change_kind(contact: Contact, since: int) -> str | None:
    """What a client synced up to ``since`` is told about ``contact``, if anything."""
    if contact.deleted_seq is not None:
        return "Delete" if contact.created_seq <= since < contact.deleted_seq else None
    if contact.created_seq > since:
        return "Create"
    return "Update" if contact.changed_seq > since else None


def apply_update(fields: dict[str, etree._Element], update: etree._Element) -> None:
    """One SetItemField, AppendToItemField or DeleteItemField, on a contact's fields."""
    kind = local_name(update.tag)
    path = update[0]
    uri = path.get("FieldURI", "")
    index = path.get("FieldIndex")
    value = update[1] if len(update) > 1 else None  # the item element with the new value
    if local_name(path.tag) == "IndexedFieldURI":
        base, _, subfield = uri.partition(":")[2].partition(":")
        container = INDEXED[f"contacts:{base}"]
        _apply_entry(fields, container, index or "", subfield, kind, value)
        return
    name = uri.split(":", 1)[-1]
    if kind == "DeleteItemField":
        fields.pop(name, None)
        return
    if value is None or len(value) != 1:
        raise EwsFault("ErrorSchemaValidation", f"{kind} for {uri} has no single value")
    new = copy.deepcopy(value[0])
    if kind == "AppendToItemField" and name in fields:
        fields[name].extend(list(new))
    else:
        fields[name] = new


def _apply_entry(
    fields: dict[str, etree._Element],
    container: str,
    key: str,
    subfield: str,
    kind: str,
    value: etree._Element | None,
) -> None:
    elem = fields.setdefault(container, etree.Element(tns(container)))
    entry = next((e for e in elem.findall(tns("Entry")) if e.get("Key") == key), None)
    if kind == "DeleteItemField":
        if entry is not None and subfield:
            for child in entry.findall(tns(subfield)):
                entry.remove(child)
        if entry is not None and (not subfield or len(entry) == 0):
            elem.remove(entry)
    else:
        new = value.find(f"{tns(container)}/{tns('Entry')}") if value is not None else None
        if new is None:
            raise EwsFault("ErrorSchemaValidation", f"no {container} entry for {key}")
        if entry is None or not subfield:
            if entry is not None:
                elem.remove(entry)
            elem.append(copy.deepcopy(new))
        else:
            for child in entry.findall(tns(subfield)):
                entry.remove(child)
            entry.extend(copy.deepcopy(child) for child in new)
    if len(elem) == 0:
        del fields[container]
