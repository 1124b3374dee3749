"""Between the tool's positions (1-based lines and columns counting characters) and
the protocol's (0-based, columns in the client's code units, UTF-16 by default)."""
from __future__ import annotations

from typing import Optional, Sequence

from lsprotocol import types
from pygls.workspace import PositionCodec

from relaxverify.source import Span

FILE_START = types.Range(start=types.Position(line=0, character=0),
                         end=types.Position(line=0, character=0))


def span_range(span: Optional[Span], lines: Sequence[str], codec: PositionCodec) -> types.Range:
    """The range of a span; a message about the whole file sits at its start."""
    if span is None:
        return FILE_START
    start = types.Position(line=span.line - 1, character=span.column - 1)
    end = types.Position(line=span.end_line - 1, character=span.end_column - 1)
    return types.Range(start=codec.position_to_client_units(lines, start),
                       end=codec.position_to_client_units(lines, end))


def source_position(position: types.Position, lines: Sequence[str],
                    codec: PositionCodec) -> tuple[int, int]:
    """The (line, column) of the tool, 1-based, of a position the client sent."""
    p = codec.position_from_client_units(lines, position)
    return p.line + 1, p.character + 1
