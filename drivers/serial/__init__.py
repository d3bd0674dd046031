"""The counter's serial devices: the window's satisfaction pad (好差評 pad, some with call keys)
and its LED window sign, both on the v1 framing (``codec``).

    protocol = pad_protocol_class("v1")(address=1)
    link = SerialLink("/dev/ttyUSB0", on_data=..., on_state=...).start()
    link.write(protocol.request_rating("A023"))
    events = protocol.feed(data)               # in on_data: Score(4), Key("NEXT"), Ack()…

Pad protocols are entry points (``hallq.pad_protocols``, ``drivers/plugins.py``): a vendor's
pad that speaks something else plugs in by name. ``emulator`` is a pad and a sign on a pty,
for the demo and the tests.
"""

from __future__ import annotations

from .. import plugins
from .codec import CodecStats, Frame, FrameDecoder, encode
from .link import SerialLink
from .pad import Ack, Key, PadError, PadEvent, PadProtocol, Score
from .sign_v1 import PAUSED, SignProtocolV1

__all__ = [
    "PAUSED",
    "Ack",
    "CodecStats",
    "Frame",
    "FrameDecoder",
    "Key",
    "PadError",
    "PadEvent",
    "PadProtocol",
    "Score",
    "SerialLink",
    "SignProtocolV1",
    "encode",
    "pad_protocol_class",
]


def pad_protocol_class(name: str) -> type[PadProtocol]:
    """The pad protocol installed under ``name`` (``UnknownPlugin`` listing the names there
    are, ``BrokenPlugin`` when it cannot be imported or is not a ``PadProtocol``)."""
    found = plugins.load(plugins.PAD_PROTOCOLS, name)
    if not (isinstance(found, type) and issubclass(found, PadProtocol)):
        raise plugins.BrokenPlugin(f"the pad protocol {name!r} is {found!r}, not a PadProtocol")
    return found
