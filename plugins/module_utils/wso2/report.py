# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The expiry report of playbooks/audit.yml: what every node's product reads, per purpose, with
expiry and findings; as data (report.json) and as one self-contained HTML page (report.html)."""

from __future__ import annotations

import datetime
import html

from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import purposes as registry


# Finding codes that mean the audit could not read a store: its rows are unknown, never fine.
UNREADABLE = ('missing_file', 'cannot_open', 'password_unknown', 'secret_unresolved')


def _state(days_left, warn_days):
    if days_left is None:
        return 'unknown'
    if days_left < 0:
        return 'expired'
    if days_left <= warn_days:
        return 'expiring'
    return 'ok'


def _truststore_row(described, keystore, warn_days):
    """One row for a truststore: how many certificates, and the one that expires first."""
    entries = [e for e in (keystore or {}).get('entries') or [] if e.get('kind') == 'trusted_certificate']
    count = '%d trusted certificate%s' % (len(entries), '' if len(entries) == 1 else 's')
    row = {'alias': None, 'subject': count, 'not_after': None, 'days_left': None}
    dated = [e for e in entries if e.get('days_left') is not None]
    if dated:
        first = min(dated, key=lambda e: e['days_left'])
        row.update(alias=first['alias'], not_after=first.get('not_after'), days_left=first['days_left'],
                   subject='%s; first to expire: %s' % (count, first.get('subject')))
    # a truststore that opened and holds no certificate has nothing that expires: it is read, not unknown
    row['state'] = _state(row['days_left'], warn_days) if dated or (keystore or {}).get('status') != 'ok' else 'ok'
    return row


def audited_purposes(info):
    """(purpose, its description) of each store a product_info result says the product reads from a table of its own,
    in the registry's order: the rows of the report, the series of the metrics."""
    purposes = info.get('purposes') or {}
    for purpose in registry.STORE_PURPOSES:
        described = purposes.get(purpose)
        if described and registry.read_from_own_table(purpose, described):
            yield purpose, described


def node_report(host, product, info, warn_days):
    """The rows of one node: one per purpose the product uses."""
    purposes = info.get('purposes') or {}
    keystores = info.get('keystores') or {}
    findings = info.get('findings') or []
    rows = []
    for purpose, described in audited_purposes(info):
        row = {'purpose': purpose, 'table': described.get('table'), 'file': described.get('file_name'),
               'path': described.get('path'), 'status': described.get('keystore_status')}
        if not registry.get(purpose).holds_key_pair:
            row.update(_truststore_row(described, keystores.get(described.get('path')), warn_days))
        else:
            row.update(alias=described.get('alias'), subject=described.get('subject'),
                       not_after=described.get('not_after'), days_left=described.get('days_left'),
                       fingerprint_sha256=described.get('fingerprint_sha256'))
            row['state'] = _state(row['days_left'], warn_days)
        row['findings'] = [{'severity': f['severity'], 'code': f['code'], 'message': f['message']}
                           for f in findings if f.get('purpose') == purpose]
        if row['state'] == 'unknown':
            row['reason'] = _unknown_reason(row, keystores.get(described.get('path')) or {})
        rows.append(row)
    return {'host': host, 'product': product, 'profile': info.get('profile'), 'home': info.get('home'),
            'config_file': info.get('config_file'), 'rows': rows,
            'error': (info.get('msg') or 'product_info returned nothing') if not purposes else None}


def _unknown_reason(row, keystore):
    """Why a row's expiry is unknown, in one sentence: what the audit could not read, or what the store lacks."""
    unreadable = [f['message'] for f in row['findings'] if f['code'] in UNREADABLE]
    if unreadable:
        return unreadable[0]
    if keystore.get('status') == 'unknown':
        return 'The store cannot be opened: %s.' % keystore.get('reason')
    if keystore.get('status') == 'error':
        return keystore.get('error') or 'The store cannot be opened.'
    missing = [f['message'] for f in row['findings'] if f['code'] == 'alias_missing']
    return missing[0] if missing else 'No certificate of this store could be read.'


def unreadable(report):
    """What the audit could not read, one item per node and purpose (or per node whose home it could not read):
    host, purpose, reason. A scheduled audit that cannot see a store must not pass as if it were fine."""
    found = []
    for host in report['hosts']:
        if host.get('error'):
            found.append({'host': host['host'], 'purpose': None, 'reason': host['error']})
        for row in host['rows']:
            if row.get('state') == 'unknown':
                found.append({'host': host['host'], 'purpose': row['purpose'], 'reason': row.get('reason')})
    return found


def build(nodes, warn_days=30, now=None):
    """``nodes``: {host: (product, product_info result)} -> the report as data."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    hosts = [node_report(host, product, info, warn_days) for host, (product, info) in sorted(nodes.items())]
    report = {'generated': now.strftime('%Y-%m-%dT%H:%M:%SZ'), 'warn_days': warn_days, 'hosts': hosts}
    report['expiring'] = sorted(expiring_within(report, warn_days), key=lambda item: item['days_left'])
    report['unreadable'] = unreadable(report)
    return report


def expiring_within(report, days, unknown=False):
    """The report's rows whose certificate expires within ``days`` days (or has expired); with ``unknown``, also the
    rows whose expiry is unknown (days_left None, with the reason), since nobody can say they do not expire."""
    due = []
    for host in report['hosts']:
        for row in host['rows']:
            if row.get('days_left') is not None and row['days_left'] <= days:
                due.append({'host': host['host'], 'purpose': row['purpose'], 'alias': row.get('alias'),
                            'days_left': row['days_left'], 'not_after': row.get('not_after')})
            elif unknown and row.get('state') == 'unknown':
                due.append({'host': host['host'], 'purpose': row['purpose'], 'alias': row.get('alias'),
                            'days_left': None, 'not_after': None, 'reason': row.get('reason')})
        if unknown and host.get('error'):
            due.append({'host': host['host'], 'purpose': None, 'alias': None, 'days_left': None, 'not_after': None,
                        'reason': host['error']})
    return due


def sentence(items):
    """Items of expiring_within or unreadable as one sentence: each purpose (or the home) with its days left or why
    it is unknown."""
    parts = []
    for item in items:
        what = item.get('purpose') or 'home'
        if item.get('days_left') is not None:
            parts.append('%s: %d days left (%s).' % (what, item['days_left'], item.get('not_after')))
        else:
            parts.append('%s: %s.' % (what, str(item.get('reason') or 'not read').rstrip('.')))
    return ' '.join(parts)


_STYLE = '''
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 2em; color: #1d2733; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin: 1.6em 0 0.3em; }
.meta { color: #5b6b7c; font-size: 0.9em; }
table { border-collapse: collapse; width: 100%; margin-top: 0.5em; font-size: 0.9em; }
th, td { border: 1px solid #d5dde6; padding: 0.35em 0.6em; text-align: left; vertical-align: top; }
th { background: #eef2f6; }
td.days { text-align: right; white-space: nowrap; }
tr.expired td { background: #fbe3e3; }
tr.expired td.days { color: #a40000; font-weight: bold; }
tr.expiring td { background: #fff4d6; }
tr.expiring td.days { color: #8a5a00; font-weight: bold; }
tr.ok td.days { color: #1f6f2b; }
tr.unknown td { background: #eceff3; }
tr.unknown td.days { color: #a40000; font-weight: bold; }
.finding { margin: 0; }
.finding.error { color: #a40000; }
.finding.warning { color: #8a5a00; }
.legend span { display: inline-block; padding: 0.1em 0.6em; margin-right: 0.5em; border: 1px solid #d5dde6; }
.legend .expired { background: #fbe3e3; }
.legend .expiring { background: #fff4d6; }
.legend .unknown { background: #eceff3; }
code { font-size: 0.95em; }
'''


def render_html(report, title='WSO2 keystores: expiry report'):
    """One self-contained page (no script, no external resource): one table per host."""
    esc = html.escape
    parts = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
             '<title>%s</title>' % esc(title), '<style>%s</style></head><body>' % _STYLE,
             '<h1>%s</h1>' % esc(title),
             '<p class="meta">Generated %s by carbon.keystores (playbooks/audit.yml). %d nodes; certificates that '
             'expire within %d days are marked.</p>' % (esc(report['generated']), len(report['hosts']), report['warn_days']),
             '<p class="legend"><span class="expired">expired</span><span class="expiring">expires within %d '
             'days</span><span class="unknown">could not be read</span></p>' % report['warn_days']]
    for host in report['hosts']:
        parts.append('<h2 id="%s">%s <span class="meta">%s, %s</span></h2>' % (
            esc(host['host'], True), esc(host['host']), esc(host['profile'] or host['product']), esc(host['home'] or '')))
        if host.get('error'):
            parts.append('<p class="finding error">%s</p>' % esc(host['error']))
            continue
        parts.append('<p class="meta">Configuration: <code>%s</code></p>' % esc(host['config_file'] or ''))
        parts.append('<table><thead><tr><th>Purpose</th><th>File</th><th>Alias</th><th>Subject</th><th>Expires</th>'
                     '<th>Days left</th><th>Findings</th></tr></thead><tbody>')
        for row in host['rows']:
            findings = ''.join('<p class="finding %s">%s</p>' % (esc(f['severity'], True), esc(f['message']))
                               for f in row['findings']) or '&mdash;'
            if row.get('reason') and not any(f['message'] == row['reason'] for f in row['findings']):
                findings = '<p class="finding error">%s</p>' % esc(row['reason']) + findings.replace('&mdash;', '')
            days = 'unknown' if row.get('state') == 'unknown' else (
                '' if row.get('days_left') is None else str(row['days_left']))
            parts.append('<tr class="%s"><td>%s</td><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td>'
                         '<td class="days">%s</td><td>%s</td></tr>' % (
                             esc(row.get('state') or 'unknown', True), esc(row['purpose']), esc(row.get('file') or ''),
                             esc(row.get('alias') or ''), esc(row.get('subject') or row.get('status') or ''),
                             esc((row.get('not_after') or '')[:10]), esc(days), findings))
        parts.append('</tbody></table>')
    parts.append('</body></html>')
    return '\n'.join(parts) + '\n'


def summary_line(purpose):
    """One line of the audit playbook's summary for a product_info purpose: file, type, alias, SHA-256, expiry."""
    line = '%s: %s' % (purpose.get('table'), purpose.get('file_name'))
    if purpose.get('type'):
        line += ' (%s)' % purpose['type']
    if purpose.get('alias'):
        line += ', alias %s' % purpose['alias']
    if purpose.get('fingerprint_sha256'):
        line += ', SHA-256 %s..., expires %s (%s days)' % (purpose['fingerprint_sha256'][:23], purpose.get('not_after'),
                                                           purpose.get('days_left'))
    elif purpose.get('keystore_status') not in (None, 'ok'):
        line += ', %s' % purpose['keystore_status']
    return line


def summary_lines(info):
    """The audit playbook's summary lines of one node (product_info's result): one per store the product reads from
    a table of its own, in the registry's order."""
    return [summary_line(described) for _purpose, described in audited_purposes(info)]
