# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small ASN.1 DER/BER reader and DER writer: just what PKCS#12 needs.

Reading accepts BER's indefinite lengths and constructed OCTET STRINGs, which some
PKCS#12 writers produce; writing always produces DER.
"""

from __future__ import annotations

SEQUENCE = 0x30
SET = 0x31
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06
BMP_STRING = 0x1E
UTF8_STRING = 0x0C

_MAX_DEPTH = 64


class DerError(ValueError):
    """The bytes are not the ASN.1 structure that was expected."""


class Node:
    """One decoded TLV: identifier octet, and either bytes or child nodes."""

    __slots__ = ('tag', 'value', 'children', 'encoded')

    def __init__(self, tag, value=None, children=None, encoded=b''):
        self.tag = tag
        self.value = value
        self.children = children
        self.encoded = encoded

    @property
    def constructed(self):
        return bool(self.tag & 0x20)

    def expect(self, tag, what):
        if self.tag != tag:
            raise DerError('%s: expected tag 0x%02x, found 0x%02x' % (what, tag, self.tag))
        return self

    def items(self, what, minimum=0):
        if self.children is None:
            raise DerError('%s: expected a constructed value' % what)
        if len(self.children) < minimum:
            raise DerError('%s: expected at least %d elements, found %d' % (what, minimum, len(self.children)))
        return self.children

    def octets(self, what='OCTET STRING'):
        """Content of an OCTET STRING, joining the chunks of a constructed (BER) one."""
        # 0x24: constructed OCTET STRING; 0x80/0xA0: [0] IMPLICIT OCTET STRING (EncryptedContentInfo)
        if self.tag in (OCTET_STRING, 0x24, 0x80, 0xA0):
            if self.children is not None:
                return b''.join(child.octets(what) for child in self.children)
            return self.value
        raise DerError('%s: expected an OCTET STRING, found tag 0x%02x' % (what, self.tag))

    def oid(self, what='OBJECT IDENTIFIER'):
        self.expect(OID, what)
        return decode_oid(self.value)

    def integer(self, what='INTEGER'):
        self.expect(INTEGER, what)
        if not self.value:
            raise DerError('%s: empty INTEGER' % what)
        return int.from_bytes(self.value, 'big', signed=True)

    def bmp_string(self, what='BMPString'):
        self.expect(BMP_STRING, what)
        try:
            return self.value.decode('utf-16-be')
        except UnicodeDecodeError:
            raise DerError('%s: invalid BMPString' % what)


def decode(data, what='structure'):
    """Decode exactly one TLV that spans all of ``data``."""
    data = bytes(data)
    node, end = _decode_at(data, 0, len(data), 0, what)
    if end != len(data):
        raise DerError('%s: %d unexpected bytes after the end of the structure' % (what, len(data) - end))
    return node


def _read_length(data, pos, limit, what):
    if pos >= limit:
        raise DerError('%s: truncated (no length)' % what)
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    if first == 0x80:
        return None, pos  # indefinite length (BER)
    count = first & 0x7F
    if count > 4 or pos + count > limit:
        raise DerError('%s: truncated or oversized length' % what)
    return int.from_bytes(data[pos:pos + count], 'big'), pos + count


def _decode_at(data, pos, limit, depth, what):
    if depth > _MAX_DEPTH:
        raise DerError('%s: nested too deeply' % what)
    start = pos
    if pos >= limit:
        raise DerError('%s: truncated (no tag)' % what)
    tag = data[pos]
    pos += 1
    if tag & 0x1F == 0x1F:
        raise DerError('%s: multi-byte tags are not supported' % what)
    length, pos = _read_length(data, pos, limit, what)
    constructed = bool(tag & 0x20)
    if length is None:
        if not constructed:
            raise DerError('%s: indefinite length on a primitive value' % what)
        children = []
        while True:
            if pos + 2 > limit:
                raise DerError('%s: truncated (missing end-of-contents)' % what)
            if data[pos] == 0 and data[pos + 1] == 0:
                pos += 2
                break
            child, pos = _decode_at(data, pos, limit, depth + 1, what)
            children.append(child)
        return Node(tag, None, children, data[start:pos]), pos
    end = pos + length
    if end > limit:
        raise DerError('%s: truncated (a value claims %d bytes, %d remain)' % (what, length, limit - pos))
    if constructed:
        children = []
        while pos < end:
            child, pos = _decode_at(data, pos, end, depth + 1, what)
            children.append(child)
        return Node(tag, None, children, data[start:end]), end
    return Node(tag, data[pos:end], None, data[start:end]), end


def decode_oid(raw):
    if not raw:
        raise DerError('empty OBJECT IDENTIFIER')
    arcs = []
    value = 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if raw[-1] & 0x80:
        raise DerError('truncated OBJECT IDENTIFIER')
    first = arcs[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return '.'.join(str(arc) for arc in head + arcs[1:])


# --- writing (DER) ---------------------------------------------------------

def tlv(tag, content):
    length = len(content)
    if length < 0x80:
        header = bytes([tag, length])
    else:
        size = (length.bit_length() + 7) // 8
        header = bytes([tag, 0x80 | size]) + length.to_bytes(size, 'big')
    return header + content


def sequence(*parts):
    return tlv(SEQUENCE, b''.join(parts))


def set_of(*parts):
    # DER orders the elements of a SET OF by their encodings.
    return tlv(SET, b''.join(sorted(parts)))


def integer(value):
    size = max(1, (value.bit_length() + 8) // 8)
    return tlv(INTEGER, value.to_bytes(size, 'big', signed=True))


def octet_string(value):
    return tlv(OCTET_STRING, bytes(value))


def null():
    return b'\x05\x00'


def bmp_string(text):
    return tlv(BMP_STRING, text.encode('utf-16-be'))


def explicit(number, content):
    """Context-specific constructed tag [number] around already encoded content."""
    return tlv(0xA0 | number, content)


def implicit_octets(number, content):
    """Context-specific primitive tag [number] IMPLICIT OCTET STRING."""
    return tlv(0x80 | number, content)


def oid(dotted):
    arcs = [int(part) for part in dotted.split('.')]
    values = [40 * arcs[0] + arcs[1]] + arcs[2:]
    out = bytearray()
    for value in values:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        out.extend(reversed(chunk))
    return tlv(OID, bytes(out))


def algorithm(dotted, parameters=None):
    """AlgorithmIdentifier; ``parameters`` is encoded DER, or None for NULL."""
    return sequence(oid(dotted), null() if parameters is None else parameters)
