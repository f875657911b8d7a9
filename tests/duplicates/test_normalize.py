"""Matching keys: one person's email, phone and name as different sources write them."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from contacthub.duplicates.normalize import email_key, name_key, phone_key, region_of


@pytest.mark.parametrize("written", ["+372 5555 1234", "55551234", "(0)5555-1234"])
def test_the_three_estonian_forms_of_one_number_are_one_key(written: str) -> None:
    assert phone_key(written, "EE") == "+37255551234"


def test_a_number_without_country_code_has_no_key_without_a_region() -> None:
    assert phone_key("55551234", None) is None
    assert phone_key("+372 5555 1234", None) == "+37255551234"


def test_a_number_that_is_not_valid_has_no_key() -> None:
    assert phone_key("12", "EE") is None
    assert phone_key("call me", "EE") is None


def test_emails_differing_in_case_are_one_key() -> None:
    assert email_key("Jane.Doe@Example.COM") == email_key("jane.doe@example.com")


def test_an_international_domain_and_its_ascii_form_are_one_key() -> None:
    assert email_key("Anna@Bücher.Example") == "anna@xn--bcher-kva.example"
    assert email_key("anna@XN--BCHER-KVA.example") == "anna@xn--bcher-kva.example"


def test_a_value_without_an_at_is_no_email() -> None:
    assert email_key("not an address") is None


@pytest.mark.parametrize("written", ["Doe, Jane", "jane doe", "  Jane   Dóe ", "JANE DOE"])
def test_a_name_in_any_order_case_accent_or_punctuation_is_one_key(written: str) -> None:
    assert name_key(written) == name_key("Jane Doe") == "doe jane"


def test_a_name_that_is_an_email_is_no_name() -> None:
    assert name_key("jane.doe@example.com") == ""


def test_regions_are_iso_codes_phonenumbers_knows() -> None:
    assert region_of("ee") == "EE"
    assert region_of("") is None
    with pytest.raises(ValueError):
        region_of("XX")


def _example_numbers() -> list[tuple[str, phonenumbers.PhoneNumber]]:
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in vars(phonenumbers.PhoneNumberType).values():
            if isinstance(kind, int):
                number = phonenumbers.example_number_for_type(region, kind)
                if number is not None:
                    found.append((region, number))
    return found


EXAMPLES = _example_numbers()


def _written(number: phonenumbers.PhoneNumber, separator: str, trunk: bool) -> str:
    """The number in international form, its groups apart by `separator`, and "(0)" after
    the country code where the trunk prefix is 0 (as Europeans write it)."""
    text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    code, _, rest = text.partition(" ")
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(
        phonenumbers.region_code_for_number(number)
    )
    zero = trunk and metadata is not None and metadata.national_prefix == "0"
    return f"{code} {'(0)' if zero else ''}{rest.replace(' ', separator).replace('-', separator)}"


@settings(max_examples=1500, deadline=None)
@given(
    example=st.sampled_from(EXAMPLES),
    separator=st.sampled_from([" ", "-", "", ".", " - "]),
    trunk=st.booleans(),
    read_in=st.sampled_from([None, "EE", "US", "DE", "AU"]),
)
def test_a_number_written_with_its_country_code_keys_to_what_phonenumbers_reads(
    example: tuple[str, phonenumbers.PhoneNumber], separator: str, trunk: bool, read_in: str | None
) -> None:
    region, number = example
    written = _written(number, separator, trunk)
    assert phone_key(written, read_in) == phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.E164
    )


@settings(max_examples=500, deadline=None)
@given(example=st.sampled_from(EXAMPLES), separator=st.sampled_from([" ", "-", ""]))
def test_a_national_number_keys_as_phonenumbers_reads_it_in_its_region(
    example: tuple[str, phonenumbers.PhoneNumber], separator: str
) -> None:
    region, number = example
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    written = national.replace(" ", separator)
    parsed = phonenumbers.parse(written, region)
    expected = (
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        if phonenumbers.is_valid_number(parsed)
        else None
    )
    assert phone_key(written, region) == expected


def test_a_trunk_prefix_written_after_the_country_code_is_read_as_phonenumbers_does() -> None:
    assert phone_key("+44 020 7946 0000", None) == "+442079460000"
    assert phone_key("+44 (0)20 7946 0000", None) == "+442079460000"
    assert phone_key("+39 (0)6 1234 5678", None) == "+390612345678"  # Italy's 0 is the number's


def test_00_is_a_country_code_only_where_it_is_the_way_out() -> None:
    assert phone_key("0044 20 7946 0000", "EE") == "+442079460000"
    assert phone_key("0011 44 20 7946 0000", "AU") == "+442079460000"


def test_a_number_with_a_country_code_keys_by_its_digits_in_ranges_unknown_to_phonenumbers() -> (
    None
):
    assert phone_key("+372 1234 5678", None) == "+37212345678"  # no such range in Estonia yet
    assert phone_key("+372 555", None) is None  # too short for any number
    assert phone_key("+372 5555 1234 5678 9012", None) is None  # too long


def _parsed_e164(written: str, region: str) -> str | None:
    try:
        parsed = phonenumbers.parse(written, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _without_trunk_prefix(region: str) -> bool:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return metadata is not None and not (
        metadata.national_prefix or metadata.national_prefix_for_parsing
    )


PLAIN_REGIONS = sorted(r for r in phonenumbers.SUPPORTED_REGIONS if _without_trunk_prefix(r))


def _national(digits: str, region: str) -> bool:
    """Not a way out of the region ("00" in Benin): those are international numbers."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return metadata is not None and not re.match(metadata.international_prefix or "$^", digits)


def _near(digits: str) -> list[str]:
    """The digits, and numbers a digit away: changed at the end, one fewer, one more, a 0
    in front (most of them out of every range)."""
    last = str((int(digits[-1]) + 1) % 10)
    return [digits, digits[:-1] + last, digits[:-1], digits + "5", "0" + digits]


def test_national_digits_in_a_region_without_trunk_prefix_key_as_phonenumbers_reads_them() -> None:
    checked = 0
    for region, number in EXAMPLES:
        if region not in PLAIN_REGIONS:
            continue
        for digits in _near(phonenumbers.national_significant_number(number)):
            if not _national(digits, region):
                continue
            assert phone_key(digits, region) == _parsed_e164(digits, region), (region, digits)
            checked += 1
    assert checked > 1000


@settings(max_examples=1500, deadline=None)
@given(region=st.sampled_from(PLAIN_REGIONS), digits=st.text("0123456789", min_size=2, max_size=17))
def test_any_digits_in_a_region_without_trunk_prefix_key_as_phonenumbers_reads_them(
    region: str, digits: str
) -> None:
    assume(_national(digits, region))
    assert phone_key(digits, region) == _parsed_e164(digits, region)
