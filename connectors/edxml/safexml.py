"""Parse untrusted XML with the standard library, refusing DTDs (hence entity expansion:
"billion laughs", external entities) before the tree is built."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, NoReturn
from xml.parsers import expat


class UnsafeXmlError(ValueError):
    """The document declares a DTD or entities, or is not well-formed XML."""


def _refuse(*_: Any) -> NoReturn:
    raise UnsafeXmlError("DTDs and entity declarations are not accepted")


def parse_untrusted(data: bytes) -> ET.Element:
    """The document's root element; UnsafeXmlError if it has a DTD or is not well-formed."""
    checker = expat.ParserCreate()
    checker.StartDoctypeDeclHandler = _refuse
    checker.EntityDeclHandler = _refuse
    checker.ExternalEntityRefHandler = _refuse
    try:
        checker.Parse(data, True)
    except expat.ExpatError as error:
        raise UnsafeXmlError(f"not well-formed XML: {error}") from error
    # No DTD was declared, so no entity can expand in the second, tree-building parse.
    return ET.fromstring(data)
