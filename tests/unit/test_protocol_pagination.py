"""Pagination, server and client side (CHECKLIST 211-P-*, 221-P-*, 4.3, A-221-5)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from starlette.requests import Request

from roamkit.protocol.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    BadQuery,
    PageRequest,
    next_link,
    page_headers,
    page_request,
)
from roamkit.protocol.status import StatusCode


def make_request(
    query: str = "",
    path: str = "/ocpi/2.2.1/locations",
    root_path: str = "",
    host: str | None = None,
) -> Request:
    headers = [(b"host", host.encode())] if host else []
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": query.encode(),
            "headers": headers,
            "server": ("127.0.0.1", 8000),
            "scheme": "http",
            "root_path": root_path,
        }
    )


def link_url(headers: dict[str, str]) -> str:
    url = next_link(headers["Link"])
    assert url is not None
    return url


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


# --- page_request -------------------------------------------------------------


def test_defaults() -> None:
    page = page_request(make_request())
    assert page == PageRequest(offset=0, limit=DEFAULT_PAGE_SIZE, date_from=None, date_to=None)


def test_offset_and_limit_are_read() -> None:
    page = page_request(make_request("offset=20&limit=10"))
    assert (page.offset, page.limit) == (20, 10)


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (1, 1),
        (MAX_PAGE_SIZE - 1, MAX_PAGE_SIZE - 1),
        (MAX_PAGE_SIZE, MAX_PAGE_SIZE),
        (MAX_PAGE_SIZE + 1, MAX_PAGE_SIZE),
        (2000, MAX_PAGE_SIZE),
        (10**12, MAX_PAGE_SIZE),
    ],
)
def test_limit_is_capped_not_refused(limit: int, expected: int) -> None:
    assert page_request(make_request(f"limit={limit}")).limit == expected


@pytest.mark.parametrize("query", ["limit=0", "limit=", "offset=&limit="])
def test_zero_or_empty_limit_gives_default(query: str) -> None:
    page = page_request(make_request(query))
    assert page.limit == DEFAULT_PAGE_SIZE
    assert page.offset == 0


@pytest.mark.parametrize(
    "query",
    [
        "offset=-1",
        "limit=-1",
        "offset=abc",
        "limit=abc",
        "limit=1.5",
        "offset=1e3",
        "limit=ten",
        "date_from=garbage",
        "date_to=2015-13-01T00:00:00Z",
    ],
)
def test_bad_query_parameters_are_400_2001(query: str) -> None:
    with pytest.raises(BadQuery) as info:
        page_request(make_request(query))
    assert info.value.http_status == 400
    assert info.value.status_code == StatusCode.INVALID_PARAMETERS == 2001
    assert info.value.message


def test_dates_are_parsed_to_utc() -> None:
    page = page_request(
        make_request("date_from=2015-06-29T20:39:09Z&date_to=2015-06-30T00:00:00.5%2B02:00")
    )
    assert page.date_from == datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)
    assert page.date_to == datetime(2015, 6, 29, 22, 0, 0, 500000, tzinfo=UTC)
    assert page.date_from.tzinfo is UTC


def test_date_without_designator_is_utc() -> None:
    page = page_request(make_request("date_from=2015-06-29T20:39:09"))
    assert page.date_from == datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)


def test_empty_dates_are_none() -> None:
    page = page_request(make_request("date_from=&date_to="))
    assert page.date_from is None
    assert page.date_to is None


@pytest.mark.parametrize("query", ["", "date_from=", "date_to=2015-06-29T20:39:09Z"])
def test_date_from_required_is_2001_with_http_200(query: str) -> None:
    # CHECKLIST 4.3 / A-221-5: sessions list without date_from -> 2001, HTTP 200.
    with pytest.raises(BadQuery) as info:
        page_request(make_request(query), date_from_required=True)
    assert info.value.http_status == 200
    assert info.value.status_code == 2001


def test_date_from_required_satisfied() -> None:
    page = page_request(make_request("date_from=2015-06-29T20:39:09Z"), date_from_required=True)
    assert page.date_from == datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)


def test_bad_date_from_is_400_even_when_required() -> None:
    with pytest.raises(BadQuery) as info:
        page_request(make_request("date_from=nope"), date_from_required=True)
    assert info.value.http_status == 400


# --- page_headers -------------------------------------------------------------


def test_headers_always_carry_total_and_limit() -> None:
    req = make_request()
    headers = page_headers(req, page_request(req), 0)
    assert headers == {"X-Total-Count": "0", "X-Limit": str(DEFAULT_PAGE_SIZE)}


def test_x_limit_is_applied_limit_after_cap() -> None:
    req = make_request("limit=2000")
    headers = page_headers(req, page_request(req), 5000)
    assert headers["X-Limit"] == str(MAX_PAGE_SIZE)
    assert ("limit", str(MAX_PAGE_SIZE)) in query_of(link_url(headers))


@pytest.mark.parametrize(("total", "has_next"), [(9, False), (10, False), (11, True), (0, False)])
def test_link_only_when_more_objects_follow_first_page(total: int, has_next: bool) -> None:
    req = make_request("limit=10")
    headers = page_headers(req, page_request(req), total)
    assert ("Link" in headers) is has_next
    assert headers["X-Total-Count"] == str(total)
    assert headers["X-Limit"] == "10"
    if has_next:
        assert query_of(link_url(headers)) == [("offset", "10"), ("limit", "10")]


@pytest.mark.parametrize(
    ("offset", "total", "has_next"),
    [(20, 25, False), (20, 30, False), (20, 31, True), (30, 25, False), (19, 30, True)],
)
def test_link_on_later_pages(offset: int, total: int, has_next: bool) -> None:
    req = make_request(f"offset={offset}&limit=10")
    headers = page_headers(req, page_request(req), total)
    assert ("Link" in headers) is has_next
    if has_next:
        assert ("offset", str(offset + 10)) in query_of(link_url(headers))


def test_link_has_rel_next_shape() -> None:
    req = make_request("limit=10")
    link = page_headers(req, page_request(req), 100)["Link"]
    assert link.startswith("<http://127.0.0.1:8000/ocpi/2.2.1/locations?")
    assert link.endswith('>; rel="next"')


def test_link_keeps_other_parameters_in_order() -> None:
    query = (
        "date_from=2015-06-29T20%3A39%3A09Z&offset=0&foo=bar&limit=5"
        "&date_to=2015-07-01T00%3A00%3A00Z&foo=baz&x=a+b"
    )
    req = make_request(query)
    url = link_url(page_headers(req, page_request(req), 100))
    assert url.startswith("http://127.0.0.1:8000/ocpi/2.2.1/locations?")
    assert query_of(url) == [
        ("date_from", "2015-06-29T20:39:09Z"),
        ("foo", "bar"),
        ("date_to", "2015-07-01T00:00:00Z"),
        ("foo", "baz"),
        ("x", "a b"),
        ("offset", "5"),
        ("limit", "5"),
    ]


def test_link_followed_gives_next_page_with_same_filters() -> None:
    req = make_request("date_from=2015-06-29T20%3A39%3A09Z&limit=5")
    first = page_request(req)
    url = link_url(page_headers(req, first, 12))
    parts = urlsplit(url)
    req2 = make_request(parts.query, path=parts.path)
    second = page_request(req2)
    assert second == PageRequest(offset=5, limit=5, date_from=first.date_from, date_to=None)
    url3 = link_url(page_headers(req2, second, 12))
    req3 = make_request(urlsplit(url3).query)
    third = page_request(req3)
    assert (third.offset, third.limit) == (10, 5)
    assert "Link" not in page_headers(req3, third, 12)


def test_link_uses_host_header() -> None:
    req = make_request("limit=1", host="cpo.example.com")
    url = link_url(page_headers(req, page_request(req), 2))
    assert url.startswith("http://cpo.example.com/ocpi/2.2.1/locations?")


@pytest.mark.parametrize("base_url", ["https://ocpi.example.com", "https://ocpi.example.com/"])
def test_base_url_override(base_url: str) -> None:
    req = make_request("date_to=2015-07-01T00%3A00%3A00Z&limit=1")
    url = link_url(page_headers(req, page_request(req), 2, base_url=base_url))
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "ocpi.example.com",
        "/ocpi/2.2.1/locations",
    )
    assert query_of(url) == [
        ("date_to", "2015-07-01T00:00:00Z"),
        ("offset", "1"),
        ("limit", "1"),
    ]


def test_base_url_with_prefix_replaces_root_path() -> None:
    # ASGI: scope["path"] includes root_path; base_url is the public prefix.
    req = make_request("limit=1", path="/node/ocpi/2.2.1/locations", root_path="/node")
    url = link_url(page_headers(req, page_request(req), 2, base_url="https://pub.example.com/node"))
    assert url.split("?")[0] == "https://pub.example.com/node/ocpi/2.2.1/locations"


def test_link_under_root_path_without_base_url() -> None:
    req = make_request("limit=1", path="/node/ocpi/2.2.1/locations", root_path="/node")
    url = link_url(page_headers(req, page_request(req), 2))
    assert url.split("?")[0] == "http://127.0.0.1:8000/node/ocpi/2.2.1/locations"


# --- next_link ----------------------------------------------------------------

URL = "https://cpo.example.com/ocpi/2.2.1/locations?offset=10&limit=10"


@pytest.mark.parametrize(
    "header",
    [
        f'<{URL}>; rel="next"',
        f"<{URL}>; rel=next",
        f'<{URL}>;rel="next"',
        f'<{URL}> ; rel = "next"',
        f'<{URL}>; REL="NEXT"',
        f'<{URL}>; rel="prev next"',
        f'<https://cpo.example.com/a>; rel="prev", <{URL}>; rel="next"',
        f'<{URL}>; rel="next", <https://cpo.example.com/a>; rel="prev"',
        f'<https://cpo.example.com/a>; rel="first",<{URL}>;rel=next',
        f'  <{URL}>; rel="next"  ',
    ],
)
def test_next_link_variants(header: str) -> None:
    assert next_link(header) == URL


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        URL,
        f"<{URL}>",
        f'<{URL}>; rel="prev"',
        f'<{URL}>; rel="nextpage"',
        f'<{URL}>; rel="prev", <{URL}x>; rel="last"',
        '<>; rel="next"',
        'rel="next"',
        "<<<>>>;;;",
    ],
)
def test_next_link_absent(header: str | None) -> None:
    assert next_link(header) is None


def test_next_link_reads_what_page_headers_writes() -> None:
    req = make_request("date_from=2015-06-29T20%3A39%3A09Z&limit=3")
    headers = page_headers(req, page_request(req), 10)
    url = next_link(headers["Link"])
    assert url is not None
    assert url.startswith("http://127.0.0.1:8000/ocpi/2.2.1/locations?date_from=")
