"""Perpetrator identifiers: one canonical form per account, and a keyed blind index over it."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.crypto.blind_index import Identifier, blind_index, normalize_identifier
from core.crypto.keyring import Keyring

KEYRING = Keyring(active="k1", keks={"k1": b"\x01" * 32}, index_key=b"\x02" * 32)
OTHER_KEYRING = Keyring(active="k1", keks={"k1": b"\x01" * 32}, index_key=b"\x03" * 32)
HEX64 = re.compile(r"^[0-9a-f]{64}$")

usernames = st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True)
# Handle characters as platforms allow them, plus the accented letters of French names.
handles = st.from_regex(r"[A-Za-z0-9_.\-À-ÖØ-öø-ÿ]{1,40}", fullmatch=True)
emails = st.builds(
    "{}@{}.{}".format,
    st.from_regex(r"[A-Za-z0-9._%+\-]{1,20}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9\-]{1,20}", fullmatch=True),
    st.sampled_from(["com", "ca", "org", "net", "ON.CA"]),
)
AREA_CODES = ["416", "647", "437", "613", "343", "705", "249", "807", "519", "905", "289"]
nanp_numbers = st.tuples(
    st.sampled_from(AREA_CODES),
    st.integers(min_value=200, max_value=999).map(str),
    st.integers(min_value=0, max_value=9999).map("{:04d}".format),
)
PHONE_FORMATS = [
    "({a}) {e}-{n}",
    "{a}-{e}-{n}",
    "+1 {a} {e} {n}",
    "{a}{e}{n}",
    "{a}.{e}.{n}",
    "1-{a}-{e}-{n}",
    "+1 ({a}) {e}-{n}",
    "+1{a}{e}{n}",
]
identifiers = st.builds(
    Identifier,
    st.sampled_from(["email", "handle", "url", "phone", "text"]),
    st.text(max_size=40),
)


def _index(raw: str, keyring: Keyring = KEYRING) -> str:
    identifier = normalize_identifier(raw)
    assert identifier is not None
    return blind_index(identifier, keyring=keyring)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalizing_never_raises_on_any_text(raw):
    identifier = normalize_identifier(raw)
    if identifier is not None:
        assert identifier.kind in {"email", "handle", "url", "phone", "text"}
        assert identifier.value
        assert HEX64.match(blind_index(identifier, keyring=KEYRING))


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=" \t\n\r\x0b\x0c\u00a0\u2003\u3000\u2028", max_size=10))
def test_blank_input_has_no_identifier(raw):
    assert normalize_identifier(raw) is None


@settings(max_examples=100, deadline=None)
@given(handles)
def test_a_normalized_handle_normalizes_to_itself(name):
    identifier = normalize_identifier("@" + name)
    assert identifier is not None
    assert identifier.kind == "handle"
    assert normalize_identifier("@" + identifier.value) == identifier


@settings(max_examples=100, deadline=None)
@given(emails)
def test_a_normalized_email_normalizes_to_itself(address):
    identifier = normalize_identifier(address)
    assert identifier == Identifier("email", address.casefold())
    assert normalize_identifier(identifier.value) == identifier
    assert normalize_identifier(str(identifier).removeprefix("email:")) == identifier


@settings(max_examples=100, deadline=None)
@given(emails)
def test_emails_differing_only_in_case_or_spacing_are_equal(address):
    variants = [address, address.upper(), address.lower(), f"  {address.swapcase()}\t"]
    assert len({normalize_identifier(variant) for variant in variants}) == 1


@settings(max_examples=100, deadline=None)
@given(usernames)
def test_handles_differing_only_in_case_are_equal(name):
    assert normalize_identifier("@" + name) == normalize_identifier("@" + name.upper())
    assert normalize_identifier("@" + name) == normalize_identifier(" @" + name.lower() + " ")


@pytest.mark.parametrize(
    ("first", "second"),
    [("@Éloïse", "@éloïse"), ("@STRASSE", "@straße"), ("@Jane.Doe-2", "@jane.doe-2")],
)
def test_accented_handles_differing_only_in_case_are_equal(first, second):
    assert normalize_identifier(first) == normalize_identifier(second)
    assert normalize_identifier(first).kind == "handle"


def test_a_handle_and_its_case_variant_share_a_blind_index():
    assert _index("@JaneDoe") == _index("@janedoe") == _index("@JANEDOE")
    assert normalize_identifier("@JaneDoe") == Identifier("handle", "janedoe")


def _url_variants(name: str) -> list[str]:
    return [
        f"https://x.com/{name}",
        f"http://x.com/{name}",
        f"https://www.x.com/{name}",
        f"x.com/{name}",
        f"www.x.com/{name}/",
        f"https://x.com/{name}/",
        f"https://x.com/{name}?s=20",
        f"https://x.com/{name}?s=20&t=abc#replies",
        f"https://x.com/{name}#top",
        f"https://twitter.com/{name}",
        f"https://mobile.twitter.com/{name}",
        f"twitter.com/{name.upper()}",
        f"HTTPS://WWW.TWITTER.COM/{name}/",
        f"https://X.COM/{name.swapcase()}",
        f"https://x.com/@{name}",
        f"https://x.com//{name}//",
    ]


@settings(max_examples=60, deadline=None)
@given(usernames)
def test_profile_url_variants_normalize_to_one_form(name):
    expected = Identifier("url", f"x.com/{name.lower()}")
    for variant in _url_variants(name):
        assert normalize_identifier(variant) == expected, variant


@settings(max_examples=30, deadline=None)
@given(usernames)
def test_profile_url_variants_share_one_blind_index(name):
    assert len({_index(variant) for variant in _url_variants(name)}) == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://m.facebook.com/jane.doe", "facebook.com/jane.doe"),
        ("fb.com/jane.doe/", "facebook.com/jane.doe"),
        ("https://www.youtube.com/@JaneDoe", "youtube.com/janedoe"),
        ("https://m.youtube.com/@janedoe/videos/", "youtube.com/janedoe/videos"),
        ("https://www.tiktok.com/@JaneDoe?lang=en", "tiktok.com/janedoe"),
        ("https://www.instagram.com/jane_doe/", "instagram.com/jane_doe"),
        ("https://example.ca.", "example.ca"),
    ],
)
def test_known_platform_urls_normalize_to_their_canonical_form(raw, expected):
    assert normalize_identifier(raw) == Identifier("url", expected)


def test_different_facebook_profiles_by_numeric_id_stay_different():
    """Accounts without a username are profile.php?id=N: the id is the account, not a tracker."""
    first = normalize_identifier("https://www.facebook.com/profile.php?id=100012345678901")
    second = normalize_identifier("https://www.facebook.com/profile.php?id=100098765432109")
    assert first != second


@pytest.mark.parametrize(
    "raw", ["(416) 555-0123", "416-555-0123", "+1 416 555 0123", "4165550123", "416.555.0123"]
)
def test_phone_formats_normalize_to_e164(raw):
    assert normalize_identifier(raw) == Identifier("phone", "+14165550123")


@settings(max_examples=150, deadline=None)
@given(nanp_numbers, st.sampled_from(PHONE_FORMATS), st.sampled_from(PHONE_FORMATS))
def test_generated_nanp_numbers_normalize_to_e164_in_every_format(number, first, second):
    area, exchange, line = number
    expected = Identifier("phone", f"+1{area}{exchange}{line}")
    assert normalize_identifier(first.format(a=area, e=exchange, n=line)) == expected
    assert normalize_identifier(second.format(a=area, e=exchange, n=line)) == expected
    assert normalize_identifier(expected.value) == expected


def test_different_phone_numbers_stay_different():
    assert _index("416-555-0123") != _index("416-555-0124")
    assert _index("416-555-0123") != _index("613-555-0123")


@settings(max_examples=100, deadline=None)
@given(identifiers)
def test_the_blind_index_is_deterministic_and_64_hex_characters(identifier):
    first = blind_index(identifier, keyring=KEYRING)
    assert HEX64.match(first)
    assert blind_index(identifier, keyring=KEYRING) == first
    copy = Keyring(active="k9", keks={"k9": b"\x09" * 32}, index_key=KEYRING.index_key)
    assert blind_index(identifier, keyring=copy) == first


@settings(max_examples=100, deadline=None)
@given(identifiers)
def test_the_blind_index_differs_under_another_index_key(identifier):
    assert blind_index(identifier, keyring=KEYRING) != blind_index(
        identifier, keyring=OTHER_KEYRING
    )


def test_the_blind_index_is_not_a_plain_hash_of_the_identifier():
    import hashlib

    identifier = Identifier("handle", "janedoe")
    assert blind_index(identifier, keyring=KEYRING) != hashlib.sha256(b"handle:janedoe").hexdigest()


@settings(max_examples=100, deadline=None)
@given(identifiers, identifiers)
def test_different_identifiers_do_not_collide(first, second):
    if first != second:
        assert blind_index(first, keyring=KEYRING) != blind_index(second, keyring=KEYRING)


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_the_same_value_under_different_kinds_does_not_collide(value):
    kinds = ["email", "handle", "url", "phone", "text"]
    digests = {blind_index(Identifier(kind, value), keyring=KEYRING) for kind in kinds}
    assert len(digests) == len(kinds)


def test_identifiers_of_different_kinds_normalize_apart():
    kinds = {
        normalize_identifier(raw).kind
        for raw in ["@janedoe", "janedoe@example.com", "x.com/janedoe", "4165550123", "Jane Doe"]
    }
    assert kinds == {"handle", "email", "url", "phone", "text"}
    assert _index("@janedoe") != _index("janedoe")
