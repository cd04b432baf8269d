"""The one-pass hex-string reader gives what pyHanko's own reader gives, errors included."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStreamError

from signing import hex_strings

CASES = [
    b"<48656c6c6f> rest",
    b"<48 65\n6C\r\n6c\t6f>/Next",
    b"<486>",  # odd: the last digit stands for 40
    b"<>",
    b"<FEFF00E4>",  # UTF-16 with a byte-order mark: a text string
    b"<" + b"0" * 200_000 + b"30> 1 0 R",  # longer than one chunk, like a signature's /Contents
    b"<" + b"0" * 65_535 + b">",  # the ">" the first byte of the second chunk
]

REFUSED = [
    b"<4865 % a comment\n6c>",  # pyHanko's reader skips comments: it is asked to
    b"<48zz>",
    b"<4865",
    b"<" + b"0" * 70_000,
]


def read_both(data: bytes):
    ours, theirs = io.BytesIO(data), io.BytesIO(data)
    return (hex_strings.read_hex_string_from_stream(ours), ours.tell(),
            hex_strings._PYHANKO_READER(theirs), theirs.tell())


@pytest.mark.parametrize("data", CASES, ids=range(len(CASES)))
def test_the_same_string_and_the_same_position_as_pyhanko(data):
    ours, our_end, theirs, their_end = read_both(data)
    assert type(ours) is type(theirs)
    assert ours == theirs and our_end == their_end


def test_a_comment_inside_is_read_by_pyhanko_and_gives_its_answer():
    ours, our_end, theirs, their_end = read_both(REFUSED[0])
    assert ours == theirs and our_end == their_end


@pytest.mark.parametrize("data", REFUSED[1:], ids=["stray", "unclosed", "unclosed-long"])
def test_bad_hex_raises_what_pyhanko_raises(data):
    with pytest.raises(PdfStreamError) as theirs:
        hex_strings._PYHANKO_READER(io.BytesIO(data))
    with pytest.raises(PdfStreamError) as ours:
        hex_strings.read_hex_string_from_stream(io.BytesIO(data))
    assert str(ours.value) == str(theirs.value)


def test_installing_puts_it_where_pyhankos_object_reader_looks(monkeypatch):
    monkeypatch.setattr(generic, "read_hex_string_from_stream", generic.read_hex_string_from_stream)
    hex_strings.install()
    assert generic.read_hex_string_from_stream is hex_strings.read_hex_string_from_stream
    assert generic.read_object(io.BytesIO(b"<0102ff>"), None) == b"\x01\x02\xff"
