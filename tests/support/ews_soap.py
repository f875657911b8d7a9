"""The operations of the loopback EWS endpoint: a SOAP request in, the SOAP response out.

Answers as Exchange 2019 does; see tests/support/ews_server.py for what is covered.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from tests.support.ews_mailbox import (
    INDEXED,
    MESSAGES,
    SOAP,
    Contact,
    E,
    EwsFault,
    ItemError,
    M,
    Mailbox,
    T,
    apply_update,
    change_kind,
    decode_id,
    encode_id,
    extended_key,
    last_seq,
    local_name,
    mns,
    text_element,
    tns,
)
from tests.support.ews_schema import check_keys, check_lengths

API_VERSIONS = (
    "Exchange2007",
    "Exchange2007_SP1",
    "Exchange2010",
    "Exchange2010_SP1",
    "Exchange2010_SP2",
    "Exchange2013",
    "Exchange2013_SP1",
    "Exchange2015",
    "Exchange2016",
)


@dataclass(frozen=True)
class ServerVersion:
    build: tuple[int, int, int, int]
    version: str  # the Version of ServerVersionInfo: not always an API version name
    accepts: tuple[str, ...]  # the RequestServerVersion values it answers


EXCHANGE_2019 = ServerVersion((15, 2, 1118, 7), "V2017_07_11", API_VERSIONS)
EXCHANGE_2010_SP3 = ServerVersion((14, 3, 123, 4), "Exchange2010_SP2", API_VERSIONS[:5])
# Schema order of the elements a contact is returned with; unknown ones follow in arrival order.
ORDER = (
    "ItemId",
    "ParentFolderId",
    "ItemClass",
    "Subject",
    "Sensitivity",
    "Body",
    "Categories",
    "Importance",
    "DateTimeCreated",
    "LastModifiedTime",
    "Culture",
    "FileAs",
    "FileAsMapping",
    "DisplayName",
    "GivenName",
    "Initials",
    "MiddleName",
    "Nickname",
    "CompleteName",
    "CompanyName",
    "EmailAddresses",
    "PhysicalAddresses",
    "PhoneNumbers",
    "Birthday",
    "Department",
    "JobTitle",
    "PostalAddressIndex",
    "Surname",
)
FOLDERS = {  # distinguished id → (folder id, element, class, display name, parent)
    "root": ("Zm9sZGVyOnJvb3Q=", "Folder", None, "", None),
    "msgfolderroot": ("Zm9sZGVyOnRvaXM=", "Folder", "IPF.Note", "Top of Information Store", "root"),
    "contacts": (
        "Zm9sZGVyOmNvbnRhY3Rz",
        "ContactsFolder",
        "IPF.Contact",
        "Contacts",
        "msgfolderroot",
    ),
}


# -- rendering ------------------------------------------------------------------------------


def _requested(shape: etree._Element | None) -> set[str] | None:
    """Element names a ResponseShape asks for; None means all (AllProperties)."""
    if shape is None:
        return set()
    base = shape.findtext(tns("BaseShape"))
    if base == "AllProperties":
        return None
    names: set[str] = set()
    if base == "Default":
        names.update({"DisplayName", "GivenName", "Surname", "CompanyName", "EmailAddresses"})
    for prop in shape.iterfind(f"{tns('AdditionalProperties')}/*"):
        uri = prop.get("FieldURI", "")
        if local_name(prop.tag) == "ExtendedFieldURI":
            names.add(extended_key(prop))
        elif local_name(prop.tag) == "IndexedFieldURI":
            names.add(INDEXED.get(uri.rsplit(":", 1)[0] if uri.count(":") > 1 else uri, uri))
        else:
            names.add(uri.split(":", 1)[-1])
    return names


def _contact_element(contact: Contact, names: set[str] | None) -> etree._Element:
    elem = etree.Element(tns(contact.kind))
    etree.SubElement(elem, tns("ItemId"), Id=contact.item_id, ChangeKey=contact.changekey)
    values = dict(contact.fields)
    values.update(_computed(contact))
    ordered = [n for n in ORDER if n in values] + [n for n in values if n not in ORDER]
    for name in ordered:
        if name != "ItemId" and (names is None or name in names):
            elem.append(copy.deepcopy(values[name]))
    return elem


def _computed(contact: Contact) -> dict[str, etree._Element]:
    """The read-only fields Exchange fills in itself."""
    folder_id = FOLDERS["contacts"][0]
    parent = etree.Element(tns("ParentFolderId"), Id=folder_id, ChangeKey="AQAAAA==")
    display = contact.fields.get("DisplayName")
    values = {
        "ParentFolderId": parent,
        "ItemClass": text_element("ItemClass", f"IPM.{contact.kind.replace('List', '')}"),
        "Subject": text_element("Subject", display.text or "" if display is not None else ""),
        "DateTimeCreated": text_element("DateTimeCreated", contact.created),
        "LastModifiedTime": text_element("LastModifiedTime", contact.modified),
    }
    complete = etree.Element(tns("CompleteName"))
    for source, target in (
        ("GivenName", "FirstName"),
        ("MiddleName", "MiddleName"),
        ("Surname", "LastName"),
        ("DisplayName", "FullName"),
    ):
        if source in contact.fields:
            _sub_text(complete, target, contact.fields[source].text or "")
    values["CompleteName"] = complete
    return values


def _sub_text(parent: etree._Element, name: str, text: str) -> etree._Element:
    elem = etree.SubElement(parent, tns(name))
    elem.text = text
    return elem


def _message(service: str, code: str = "NoError") -> etree._Element:
    message = etree.Element(
        mns(f"{service}ResponseMessage"), ResponseClass="Success" if code == "NoError" else "Error"
    )
    if code != "NoError":
        etree.SubElement(message, mns("MessageText")).text = MESSAGES.get(code, code)
    etree.SubElement(message, mns("ResponseCode")).text = code
    if code != "NoError":
        etree.SubElement(message, mns("DescriptiveLinkKey")).text = "0"
    return message


def _envelope(
    server: ServerVersion, body_child: etree._Element | None, fault: EwsFault | None = None
) -> bytes:
    envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"s": SOAP})
    if fault is None:
        header = etree.SubElement(envelope, f"{{{SOAP}}}Header")
        major, minor, major_build, minor_build = map(str, server.build)
        etree.SubElement(
            header,
            tns("ServerVersionInfo"),
            MajorVersion=major,
            MinorVersion=minor,
            MajorBuildNumber=major_build,
            MinorBuildNumber=minor_build,
            Version=server.version,
            nsmap={"h": T},
        )
    body = etree.SubElement(envelope, f"{{{SOAP}}}Body")
    if fault is not None:
        elem = etree.SubElement(body, f"{{{SOAP}}}Fault")
        etree.SubElement(elem, "faultcode", nsmap={"a": T}).text = f"a:{fault.code}"
        etree.SubElement(elem, "faultstring").text = str(fault)
        detail = etree.SubElement(elem, "detail")
        etree.SubElement(detail, f"{{{E}}}ResponseCode", nsmap={"e": E}).text = fault.code
        etree.SubElement(detail, f"{{{E}}}Message", nsmap={"e": E}).text = str(fault)
        if fault.back_off_ms is not None:
            xml = etree.SubElement(detail, tns("MessageXml"), nsmap={"t": T})
            value = etree.SubElement(xml, tns("Value"), Name="BackOffMilliseconds")
            value.text = str(fault.back_off_ms)
    elif body_child is not None:
        body.append(body_child)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def _folder_key(ref: etree._Element) -> str | None:
    """The FOLDERS key of a FolderId or DistinguishedFolderId, if this mailbox has it."""
    if local_name(ref.tag) == "DistinguishedFolderId":
        key = ref.get("Id", "").lower()
        return key if key in FOLDERS else None
    return next((key for key, entry in FOLDERS.items() if entry[0] == ref.get("Id")), None)


def _targets(operation: etree._Element) -> list[etree._Element]:
    """The items, item changes or folders a request is about: one response message each."""
    containers = ("Items", "ItemChanges", "ItemIds", "FolderIds", "SourceIds")
    return [child for name in containers for child in operation.iterfind(f"{mns(name)}/*")]


def _matches(contact: Contact, condition: etree._Element) -> bool:
    """Whether a contact meets a FindItem restriction: IsEqualTo on a field or an extended
    property, and Or and And of those; others are refused loudly."""
    kind = local_name(condition.tag)
    if kind == "Or":
        return any(_matches(contact, part) for part in condition)
    if kind == "And":
        return all(_matches(contact, part) for part in condition)
    if kind != "IsEqualTo":
        raise EwsFault("ErrorInvalidOperation", f"the contacthub test double has no {kind}")
    path = condition[0]
    constant = condition.find(f"{tns('FieldURIOrConstant')}/{tns('Constant')}")
    if local_name(path.tag) == "ExtendedFieldURI":
        stored = contact.fields.get(extended_key(path))
        value = stored.findtext(tns("Value")) if stored is not None else None
    else:
        field = contact.fields.get(path.get("FieldURI", "").split(":", 1)[-1])
        value = field.text if field is not None else None
    return constant is not None and value == constant.get("Value")


# -- the operations -------------------------------------------------------------------------


class Ews:
    """Answers one parsed SOAP request against a mailbox."""

    def __init__(self, mailbox: Mailbox, server: ServerVersion = EXCHANGE_2019) -> None:
        self.mailbox = mailbox
        self.server = server

    def answer(self, request: etree._Element) -> tuple[str, bytes, bool]:
        """(operation name, response, whether it is a fault) for a request envelope."""
        header = request.find(f"{{{SOAP}}}Header")
        version = header.find(tns("RequestServerVersion")) if header is not None else None
        body = request.find(f"{{{SOAP}}}Body")
        if body is None or len(body) == 0:
            fault = EwsFault("ErrorSchemaValidation", "No SOAP body")
            return "?", _envelope(self.server, None, fault), True
        operation = body[0]
        name = local_name(operation.tag)
        try:
            if version is not None and version.get("Version") not in self.server.accepts:
                raise EwsFault("ErrorInvalidServerVersion")
            handler = getattr(self, f"op_{name}", None)
            if handler is None:
                raise EwsFault(
                    "ErrorInvalidOperation", f"the contacthub test double does not implement {name}"
                )
            response = etree.Element(mns(f"{name}Response"), nsmap={"m": M, "t": T})
            messages = etree.SubElement(response, mns("ResponseMessages"))
            with self.mailbox.lock:
                for message in handler(operation):
                    messages.append(message)
            return name, _envelope(self.server, response), False
        except EwsFault as fault:
            return name, _envelope(self.server, None, fault), True

    def fault(self, fault: EwsFault) -> bytes:
        return _envelope(self.server, None, fault)

    def refuse(self, request: etree._Element, code: str) -> tuple[str, bytes]:
        """(operation name, response) answering each item or folder of the request with an
        error ``code``, nothing done; a request without any gets one such message."""
        body = request.find(f"{{{SOAP}}}Body")
        operation = body[0] if body is not None and len(body) else None
        name = local_name(operation.tag) if operation is not None else "?"
        response = etree.Element(mns(f"{name}Response"), nsmap={"m": M, "t": T})
        messages = etree.SubElement(response, mns("ResponseMessages"))
        targets = [] if operation is None else _targets(operation)
        for _ in targets or [None]:
            messages.append(_message(name, code))
        return name, _envelope(self.server, response)

    def op_ConvertId(self, op: etree._Element) -> Iterator[etree._Element]:  # noqa: N802
        # Only exchangelib's version probe (the id "DUMMY") comes here; Exchange says malformed.
        for _ in op.iterfind(f"{mns('SourceIds')}/*"):
            yield _message("ConvertId", "ErrorInvalidIdMalformed")

    def op_GetFolder(self, op: etree._Element) -> Iterator[etree._Element]:  # noqa: N802
        for ref in op.iterfind(f"{mns('FolderIds')}/*"):
            key = _folder_key(ref)
            if key is None:
                message = _message("GetFolder", "ErrorFolderNotFound")
                etree.SubElement(message, mns("Folders"))
                yield message
                continue
            message = _message("GetFolder")
            etree.SubElement(message, mns("Folders")).append(self._folder(key))
            yield message

    def _folder(self, key: str) -> etree._Element:
        folder_id, element, folder_class, name, parent = FOLDERS[key]
        elem = etree.Element(tns(element))
        etree.SubElement(elem, tns("FolderId"), Id=folder_id, ChangeKey="AQAAAA==")
        if parent is not None:
            etree.SubElement(
                elem, tns("ParentFolderId"), Id=FOLDERS[parent][0], ChangeKey="AQAAAA=="
            )
        if folder_class is not None:
            _sub_text(elem, "FolderClass", folder_class)
        _sub_text(elem, "DisplayName", name)
        count = len(self.mailbox.live()) if key == "contacts" else 0
        _sub_text(elem, "TotalCount", str(count))
        _sub_text(elem, "ChildFolderCount", "0" if key == "contacts" else "1")
        _sub_text(elem, "UnreadCount", "0")
        return elem

    def _check_contacts_folder(self, ref: etree._Element | None) -> None:
        if ref is None:
            raise EwsFault("ErrorSchemaValidation", "no folder given")
        if _folder_key(ref) != "contacts":
            raise EwsFault("ErrorFolderNotFound")

    def op_SyncFolderItems(self, op: etree._Element) -> Iterator[etree._Element]:  # noqa: N802
        self._check_contacts_folder(op.find(f"{mns('SyncFolderId')}/*"))
        state = op.findtext(mns("SyncState"))
        since = 0 if not state else decode_id("sync", state)
        if since is None or since > self.mailbox.seq:
            message = _message("SyncFolderItems", "ErrorInvalidSyncStateData")
            etree.SubElement(message, mns("SyncState"))
            etree.SubElement(message, mns("IncludesLastItemInRange")).text = "true"
            yield message
            return
        limit = int(op.findtext(mns("MaxChangesReturned")) or "512")
        names = _requested(op.find(mns("ItemShape")))
        changed = sorted(
            (c for c in self.mailbox.contacts.values() if last_seq(c) > since), key=last_seq
        )
        pending = [c for c in changed if change_kind(c, since) is not None]
        page = pending[:limit]
        complete = len(page) == len(pending)
        new_state = self.mailbox.seq if complete else last_seq(page[-1])
        message = _message("SyncFolderItems")
        etree.SubElement(message, mns("SyncState")).text = encode_id("sync", new_state)
        etree.SubElement(message, mns("IncludesLastItemInRange")).text = str(complete).lower()
        changes = etree.SubElement(message, mns("Changes"))
        for contact in page:
            kind = change_kind(contact, since) or ""
            change = etree.SubElement(changes, tns(kind))
            if kind == "Delete":
                etree.SubElement(
                    change, tns("ItemId"), Id=contact.item_id, ChangeKey=contact.changekey
                )
            else:
                change.append(_contact_element(contact, names))
        yield message

    def op_FindItem(self, op: etree._Element) -> Iterator[etree._Element]:  # noqa: N802
        self._check_contacts_folder(op.find(f"{mns('ParentFolderIds')}/*"))
        names = _requested(op.find(mns("ItemShape")))
        restriction = op.find(mns("Restriction"))
        found = [
            c for c in self.mailbox.live() if restriction is None or _matches(c, restriction[0])
        ]
        view = op.find(mns("IndexedPageItemView"))
        offset = int(view.get("Offset", "0")) if view is not None else 0
        limit = int(view.get("MaxEntriesReturned", "1000")) if view is not None else 1000
        page = found[offset : offset + limit]
        end = offset + len(page)
        message = _message("FindItem")
        root = etree.SubElement(
            message,
            mns("RootFolder"),
            IndexedPagingOffset=str(end),
            TotalItemsInView=str(len(found)),
            IncludesLastItemInRange=str(end >= len(found)).lower(),
        )
        items = etree.SubElement(root, tns("Items"))
        for contact in page:
            items.append(_contact_element(contact, names))
        yield message

    def op_GetItem(self, op: etree._Element) -> Iterator[etree._Element]:  # noqa: N802
        names = _requested(op.find(mns("ItemShape")))
        for ref in op.iterfind(f"{mns('ItemIds')}/*"):
            try:
                contact = self.mailbox.get(ref.get("Id"))
            except ItemError as error:
                message = _message("GetItem", error.code)
                etree.SubElement(message, mns("Items"))
                yield message
                continue
            message = _message("GetItem")
            etree.SubElement(message, mns("Items")).append(_contact_element(contact, names))
            yield message

    def op_CreateItem(self, op: etree._Element) -> Iterator[etree._Element]:  # noqa: N802
        check_keys(op)
        self._check_contacts_folder(op.find(f"{mns('SavedItemFolderId')}/*"))
        for item in op.iterfind(f"{mns('Items')}/*"):
            kind = local_name(item.tag)
            if kind not in ("Contact", "DistributionList"):
                raise EwsFault(
                    "ErrorInvalidOperation", "the contacthub test double stores contacts only"
                )
            try:
                if item.findtext(tns("DisplayName")) in self.mailbox.refused:
                    raise ItemError("ErrorPropertyValidationFailure")
                check_lengths(item)
            except ItemError as error:
                message = _message("CreateItem", error.code)
                etree.SubElement(message, mns("Items"))
                yield message
                continue
            contact = self.mailbox.contacts[self.mailbox.store(list(item), kind)]
            message = _message("CreateItem")
            result = etree.SubElement(etree.SubElement(message, mns("Items")), tns(kind))
            etree.SubElement(result, tns("ItemId"), Id=contact.item_id, ChangeKey=contact.changekey)
            yield message

    def op_UpdateItem(self, op: etree._Element) -> Iterator[etree._Element]:  # noqa: N802
        check_keys(op)
        never_overwrite = op.get("ConflictResolution") == "NeverOverwrite"
        for change in op.iterfind(f"{mns('ItemChanges')}/{tns('ItemChange')}"):
            ref = change.find(tns("ItemId"))
            try:
                contact = self.mailbox.get(ref.get("Id") if ref is not None else None)
                changekey = ref.get("ChangeKey") if ref is not None else None
                if changekey is not None:
                    version = decode_id(f"ck{contact.number}", changekey)
                    if version is None:
                        raise ItemError("ErrorInvalidChangeKey")
                    # AutoResolve and AlwaysOverwrite apply a stale change; Exchange merges
                    # per property, this double simply applies it.
                    if version != contact.version and never_overwrite:
                        raise ItemError("ErrorIrresolvableConflict")
                check_lengths(change)
                fields = copy.deepcopy(contact.fields)  # an item changes whole or not at all
                for update in change.iterfind(f"{tns('Updates')}/*"):
                    apply_update(fields, update)
                contact.fields = fields
            except ItemError as error:
                message = _message("UpdateItem", error.code)
                etree.SubElement(message, mns("Items"))
                yield message
                continue
            self.mailbox.touch(contact)
            message = _message("UpdateItem")
            result = etree.SubElement(etree.SubElement(message, mns("Items")), tns(contact.kind))
            etree.SubElement(result, tns("ItemId"), Id=contact.item_id, ChangeKey=contact.changekey)
            conflicts = etree.SubElement(message, mns("ConflictResults"))
            _sub_text(conflicts, "Count", "0")
            yield message
