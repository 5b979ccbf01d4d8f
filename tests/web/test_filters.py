"""Display filters: moments stored in UTC are read in Paris time, numbers in French."""
import pytest

from web.filters import date_fr, num


@pytest.mark.parametrize("stored, with_time, shown", [
    ("2026-11-22T13:47:00+00:00", True, "22/11/2026 14:47"),   # winter: UTC+1
    ("2026-07-14T08:05:00+00:00", True, "14/07/2026 10:05"),   # summer: UTC+2
    ("2026-03-29T00:59:00+00:00", True, "29/03/2026 01:59"),   # last minute before the spring change
    ("2026-03-29T01:00:00+00:00", True, "29/03/2026 03:00"),   # first minute after it
    ("2026-10-25T00:59:00+00:00", True, "25/10/2026 02:59"),   # before the autumn change (still UTC+2)
    ("2026-10-25T01:00:00+00:00", True, "25/10/2026 02:00"),   # after it (UTC+1)
    ("2026-12-31T23:30:00+00:00", True, "01/01/2027 00:30"),   # the day, month and year change
    ("2026-12-31T23:30:00+00:00", False, "01/01/2027"),        # the date alone follows Paris too
    ("2026-12-31T23:30:00", True, "01/01/2027 00:30"),          # no offset: stored UTC
    ("2026-06-01T10:00:00+02:00", True, "01/06/2026 10:00"),   # already Paris time
    ("2027-01-11", False, "11/01/2027"),                        # a calendar date is not moved
    ("2027-01-11", True, "11/01/2027"),
    ("", True, ""), (None, False, ""),
    ("pas une date", False, "pas une date"),
])
def test_moments_are_shown_in_paris_time(stored, with_time, shown):
    assert date_fr(stored, with_time=with_time) == shown


@pytest.mark.parametrize("value, digits, shown", [
    (43.8, 1, "43,8"), (70.0, 1, "70"), (1000000, 0, "1\u202f000\u202f000"), (62.5, 1, "62,5"), (None, 1, ""),
    (0, 1, "0"), (1234.56, 2, "1\u202f234,56"),
])
def test_numbers_are_french(value, digits, shown):
    assert num(value, digits) == shown
