# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The certificate a node serves, fetched from the controller by a TLS handshake (product_info's https_port)."""

from __future__ import annotations

import socket
import ssl


def served_certificate(host, port, timeout=10):
    """(DER of the leaf certificate served at host:port, None) or (None, why not). The handshake verifies nothing: the
    point is to compare what is served with what the node's files hold, whoever signed it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return None, str(exc) or type(exc).__name__
    if not der:
        return None, 'the server sent no certificate'
    return der, None
