"""Matching keys: one person's email, phone and name as different sources write them."""

from __future__ import annotations

import pytest

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
