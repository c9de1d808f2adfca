# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit as a node_exporter textfile (Prometheus' text exposition format): per node, product, purpose and
alias, each certificate's validity as Unix timestamps (the semantics of cert-manager's
certificate_expiration_timestamp_seconds), whether each store could be read, the findings by code, and when the audit
ran. A monitoring system then alerts on expiry and on stores it cannot see (docs/prometheus/)."""

from __future__ import annotations

import calendar
import datetime
import time

from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import purposes as registry, report

PREFIX = 'carbon_keystores_'
# (name, help): every family is a gauge
FAMILIES = (
    ('certificate_expiration_timestamp_seconds',
     'The certificate\'s notAfter as a Unix timestamp, per node, product, purpose and alias.'),
    ('certificate_not_before_timestamp_seconds',
     'The certificate\'s notBefore as a Unix timestamp, per node, product, purpose and alias.'),
    ('store_readable',
     '1 when the audit opened the store a purpose names, 0 when it could not (missing, or a password it lacks).'),
    ('node_readable', '1 when the audit read the node\'s product home, 0 when it could not.'),
    ('served_certificate_matches',
     '1 when the node serves on its HTTPS port the certificate its configuration names, 0 when it serves another.'),
    ('findings', 'The number of the node\'s findings, by code and severity.'),
    ('audit_timestamp_seconds', 'When the audit read the nodes, as a Unix timestamp.'),
)


def _timestamp(iso8601):
    """'2036-12-02T19:09:57Z' -> 2111857797; None for a date the audit does not know."""
    if not iso8601:
        return None
    return calendar.timegm(time.strptime(iso8601, '%Y-%m-%dT%H:%M:%SZ'))


def _label_value(value):
    return str(value).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def _series(name, labels, value):
    inner = ','.join('%s="%s"' % (key, _label_value(labels[key])) for key in sorted(labels))
    return '%s%s{%s} %d' % (PREFIX, name, inner, value)


def node_series(host, product, info):
    """Every series of one node, as (family, labels, value)."""
    node = {'node': host, 'product': product}
    purposes = info.get('purposes') or {}
    keystores = info.get('keystores') or {}
    found = [('node_readable', node, 1 if purposes else 0)]
    for purpose, described in report.audited_purposes(info):
        labels = dict(node, purpose=purpose)
        keystore = keystores.get(described.get('path')) or {}
        found.append(('store_readable', labels, 1 if described.get('keystore_status') == 'ok' else 0))
        if registry.get(purpose).holds_key_pair:
            entries = [entry for entry in keystore.get('entries') or [] if entry.get('alias') == described.get('alias')]
        else:
            entries = [entry for entry in keystore.get('entries') or [] if entry.get('kind') == 'trusted_certificate']
        for entry in entries:
            certificate = dict(labels, alias=entry['alias'])
            for family, field in (('certificate_expiration_timestamp_seconds', 'not_after'),
                                  ('certificate_not_before_timestamp_seconds', 'not_before')):
                value = _timestamp(entry.get(field))
                if value is not None:  # a certificate the collection cannot parse has no known dates
                    found.append((family, certificate, value))
    served = info.get('served') or {}
    if served.get('status') == 'ok':  # nothing answering is a finding (served_unreachable), not a mismatch
        found.append(('served_certificate_matches', node, 1 if served.get('matches') else 0))
    counts: dict[tuple, int] = {}
    for finding in info.get('findings') or []:
        key = (finding.get('code'), finding.get('severity'))
        counts[key] = counts.get(key, 0) + 1
    found.extend(('findings', dict(node, code=code, severity=severity), count)
                 for (code, severity), count in sorted(counts.items()))
    return found


def textfile(nodes, now=None):
    """``nodes``: {host: (product, product_info result)} -> the textfile's content, families in a fixed order, each
    with its HELP and TYPE, series sorted, so that an unchanged estate gives the same bytes but for the audit time."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    by_family: dict[str, list[str]] = {name: [] for name, _help in FAMILIES}
    for host, (product, info) in sorted(nodes.items()):
        for family, labels, value in node_series(host, product, info or {}):
            by_family[family].append(_series(family, labels, value))
    by_family['audit_timestamp_seconds'].append('%saudit_timestamp_seconds %d' % (PREFIX, calendar.timegm(now.utctimetuple())))
    lines = []
    for name, text in FAMILIES:
        if not by_family[name]:
            continue
        lines.append('# HELP %s%s %s' % (PREFIX, name, text))
        lines.append('# TYPE %s%s gauge' % (PREFIX, name))
        lines.extend(sorted(by_family[name]))
    return '\n'.join(lines) + '\n'
