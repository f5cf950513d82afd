"""Properties of phone normalisation: every spelling of a valid number is one E.164, junk never is.

Valid numbers come from libphonenumber itself: its example number of every type in every region
(and of every non-geographic calling code), with the last digits changed at random while the
number stays valid. Each is then spelled at random the ways people write numbers. Through the
API, on both databases: what must be refused is answered 400 and nothing is stored, and a contact
stored under one spelling is found under any other.
"""

import re
from collections.abc import Callable

import httpx2 as httpx
import hypothesis
import phonenumbers as pn
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given
from hypothesis import strategies as st
from sqlalchemy import Engine

from contacthub.core.phones import InvalidPhone, to_e164
from contacthub.models import Contact
from tests.factories import Account, count_rows

E164 = re.compile(r"\+[1-9][0-9]{1,14}")
# What the contract lets a number carry besides its digits and a leading + (API.md §1), plus the
# slashes to_e164 documents; any Unicode space counts as a space.
PUNCTUATION = frozenset("+-.()/")

pure = hypothesis.settings(max_examples=200, deadline=None, derandomize=True, database=None)
# The API tests share one account per test across examples, on purpose: nothing may be stored.
through_the_api = hypothesis.settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _examples() -> list[pn.PhoneNumber]:
    types = [
        getattr(pn.PhoneNumberType, name)
        for name in dir(pn.PhoneNumberType)
        if name.isupper() and name not in ("UNKNOWN", "FIXED_LINE_OR_MOBILE")
    ]
    numbers = [
        pn.example_number_for_type(region, kind)
        for region in sorted(pn.SUPPORTED_REGIONS)
        for kind in types
    ]
    numbers += [
        pn.example_number_for_non_geo_entity(code)
        for code in sorted(pn.COUNTRY_CODES_FOR_NON_GEO_REGIONS)
    ]
    return [number for number in numbers if number is not None and pn.is_valid_number(number)]


EXAMPLES = _examples()


def e164_of(number: pn.PhoneNumber) -> str:
    return str(pn.format_number(number, pn.PhoneNumberFormat.E164))


def is_junk_char(char: str) -> bool:
    return not ("0" <= char <= "9" or char in PUNCTUATION or char.isspace())


def valid_for_libphonenumber(digits: str) -> bool:
    """Whether libphonenumber deems these digits (country code first) a valid number."""
    try:
        return bool(pn.is_valid_number(pn.parse("+" + digits, None)))
    except pn.NumberParseException:
        return False


def digits_of(text: str) -> str:
    return "".join(char for char in text if "0" <= char <= "9")


def is_subsequence(small: str, big: str) -> bool:
    rest = iter(big)
    return all(char in rest for char in small)


@st.composite
def valid_numbers(draw: st.DrawFn) -> pn.PhoneNumber:
    """A number libphonenumber deems valid: an example with up to 4 of its last digits changed."""
    example = draw(st.sampled_from(EXAMPLES))
    national = pn.national_significant_number(example)
    changed = draw(st.integers(0, min(4, len(national) - 1)))
    tail = draw(st.text("0123456789", min_size=changed, max_size=changed))
    number = pn.parse(f"+{example.country_code}{national[: len(national) - changed]}{tail}", None)
    assume(pn.is_valid_number(number))
    return number


@st.composite
def invalid_numbers(draw: st.DrawFn) -> str:
    """The digits (country code first) of a number libphonenumber deems invalid: an example cut
    short, made longer or with its end changed."""
    example = draw(st.sampled_from(EXAMPLES))
    national = pn.national_significant_number(example)
    keep = draw(st.integers(0, len(national)))
    digits = f"{example.country_code}{national[:keep]}{draw(st.text('0123456789', max_size=6))}"
    assume(not valid_for_libphonenumber(digits))
    return digits


SEPARATORS = ["", " ", "  ", "-", " - ", ".", "/", "\t", "\u00a0"]


@st.composite
def spellings(draw: st.DrawFn, digits: str) -> str:
    """One way a person may write these digits (country code first) as a phone number."""
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(digits) - 1)), max_size=5)))
    groups = [
        digits[start:end] for start, end in zip([0, *cuts], [*cuts, len(digits)], strict=True)
    ]
    groups = [group for group in groups if group]
    if len(groups) > 0 and draw(st.booleans()):
        at = draw(st.integers(0, len(groups) - 1))
        groups[at] = f"({groups[at]})"
    text = "".join(group + draw(st.sampled_from(SEPARATORS)) for group in groups[:-1])
    text += groups[-1] if groups else ""
    prefix = draw(st.sampled_from(["+", "00", "", "+ ", "00 "]))
    padding = draw(st.sampled_from(["", " ", "\t"]))
    return f"{padding}{prefix}{text}{padding}"


@st.composite
def spellings_of(draw: st.DrawFn, number: pn.PhoneNumber) -> str:
    """A spelling of a number, libphonenumber's own international format among them."""
    if draw(st.integers(0, 4)) == 0:
        return str(pn.format_number(number, pn.PhoneNumberFormat.INTERNATIONAL))
    return draw(spellings(e164_of(number)[1:]))


def refuses(text: str) -> bool:
    try:
        to_e164(text)
    except InvalidPhone:
        return True
    return False


junk_chars = st.characters(
    exclude_characters="0123456789+-.()/", exclude_categories=("Zs", "Zl", "Zp", "Cs")
).filter(is_junk_char)


@st.composite
def with_junk(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> str:
    """A text with one character that has no place in a phone number put somewhere in it."""
    text = draw(texts)
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(junk_chars) + text[at:]


valid_spellings = valid_numbers().flatmap(spellings_of)
# Text that may or may not be a number: anything, phone-ish characters, and bare digits.
phoneish = st.one_of(
    st.text(),
    st.text(alphabet="0123456789+-.()/ ", max_size=24),
    st.from_regex(r"(\+|00)?[0-9]{0,18}", fullmatch=True),
)
# What must be refused: a valid spelling or any text with a stray character, an invalid number.
refusable = st.one_of(
    with_junk(valid_spellings),
    with_junk(phoneish),
    invalid_numbers().flatmap(spellings),
)


class TestSpellings:
    @pure
    @given(data=st.data(), number=valid_numbers())
    def test_every_spelling_of_a_valid_number_gives_its_e164(
        self, data: st.DataObject, number: pn.PhoneNumber
    ) -> None:
        expected = e164_of(number)
        first = data.draw(spellings_of(number), label="first")
        second = data.draw(spellings_of(number), label="second")

        assert to_e164(first) == to_e164(second) == expected

    @pure
    @given(number=valid_numbers())
    def test_the_e164_round_trips(self, number: pn.PhoneNumber) -> None:
        result = to_e164(e164_of(number))

        assert E164.fullmatch(result)
        assert to_e164(result) == result
        assert pn.parse(result, None) == number

    def test_every_example_of_libphonenumber_is_accepted_as_written_internationally(
        self,
    ) -> None:
        for number in EXAMPLES:
            written = pn.format_number(number, pn.PhoneNumberFormat.INTERNATIONAL)
            assert to_e164(written) == e164_of(number), written


class TestJunk:
    @pure
    @given(text=with_junk(st.one_of(valid_spellings, phoneish)))
    def test_a_character_that_is_no_part_of_a_number_is_refused(self, text: str) -> None:
        assert refuses(text)

    @pure
    @given(number=invalid_numbers().flatmap(spellings))
    def test_a_number_libphonenumber_deems_invalid_is_refused(self, number: str) -> None:
        assert refuses(number)

    @pure
    @given(text=st.one_of(phoneish, valid_spellings))
    def test_text_passes_only_as_a_valid_number_made_of_its_own_digits(self, text: str) -> None:
        try:
            result = to_e164(text)
        except InvalidPhone:
            hypothesis.event("refused")
            return
        hypothesis.event("accepted")
        assert not any(is_junk_char(char) for char in text)
        assert E164.fullmatch(result)
        assert pn.is_valid_number(pn.parse(result, None))
        assert to_e164(result) == result
        assert is_subsequence(result[1:], digits_of(text))  # no digit is made up


class TestThroughTheApi:
    @through_the_api
    @given(raw=refusable)
    def test_an_invalid_number_is_refused_and_never_stored(
        self, api: TestClient, engine: Engine, account: Account, raw: str
    ) -> None:
        writes: list[Callable[[], httpx.Response]] = [
            lambda: api.post("/v1/contacts", json={"phoneNumber": raw}),
            lambda: api.post("/v1/contacts/upsert", json={"phoneNumber": raw}),
            lambda: api.get("/v1/contacts", params={"phoneNumber": raw}),
        ]
        for write in writes:
            answer = write()
            assert answer.status_code == 400, (raw, answer.text)
            assert answer.json()["details"][0]["field"] == "phoneNumber"

        assert count_rows(engine, Contact, account.id) == 0

    @through_the_api
    @given(data=st.data(), number=valid_numbers())
    def test_every_spelling_finds_the_contact_stored_under_another(
        self, api: TestClient, data: st.DataObject, number: pn.PhoneNumber
    ) -> None:
        stored_as = data.draw(spellings_of(number), label="stored as")
        looked_up_as = data.draw(spellings_of(number), label="looked up as")
        created = api.post("/v1/contacts", json={"phoneNumber": stored_as})
        assert created.status_code in (200, 409), created.text  # 409: drawn before, stored then
        body = created.json()
        contact_id = body["data"]["contactId"] if created.status_code == 200 else body["contactId"]

        found = api.get("/v1/contacts", params={"phoneNumber": looked_up_as})

        assert found.status_code == 200, (stored_as, looked_up_as, found.text)
        assert found.json()["contactId"] == contact_id
        assert found.json()["contact"]["phoneNumber"] == e164_of(number)
