"""CSV import: sniff and read a file, map its columns to contact fields, turn rows into contacts.

    csv_file = CsvFile(path_or_bytes)                      # encoding, delimiter detected
    mapping = suggest_mapping(csv_file.header)              # or Mapping.from_json(stored)
    for row in contact_rows(csv_file, mapping):             # streamed
        row.line, row.fields, row.problems, row.usable

The vCard text of a ContactFields comes from ``contacthub.vcard.write.to_vcard``.
"""

from contacthub.sources.csv.fields import (
    NOT_IMPORTED,
    FieldInfo,
    InvalidField,
    all_fields,
    custom_field,
    custom_property_name,
    field_info,
)
from contacthub.sources.csv.mapping import (
    ColumnMapping,
    Mapping,
    MappingError,
    mapping_from_json,
    mapping_to_json,
    parse_assignment,
    suggest_mapping,
)
from contacthub.sources.csv.problems import Problem
from contacthub.sources.csv.reader import CsvFile, Row
from contacthub.sources.csv.rows import ContactRow, RowConverter, contact_rows
from contacthub.sources.csv.sniff import (
    DELIMITER_NAMES,
    NotCsvError,
    delimiter_name,
    parse_delimiter,
)
from contacthub.vcard.fields import Address, ContactFields, Email, Phone

__all__ = [
    "DELIMITER_NAMES",
    "NOT_IMPORTED",
    "Address",
    "ColumnMapping",
    "ContactFields",
    "ContactRow",
    "CsvFile",
    "Email",
    "FieldInfo",
    "InvalidField",
    "Mapping",
    "MappingError",
    "NotCsvError",
    "Phone",
    "Problem",
    "Row",
    "RowConverter",
    "all_fields",
    "contact_rows",
    "custom_field",
    "custom_property_name",
    "delimiter_name",
    "field_info",
    "mapping_from_json",
    "mapping_to_json",
    "parse_assignment",
    "parse_delimiter",
    "suggest_mapping",
]
