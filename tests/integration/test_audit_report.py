"""playbooks/audit.yml's expiry report: report.json and report.html name every node, colour what
expires, fail a scheduled run on request; headless Chromium renders the page (the screenshot in docs/)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

from matplotlib import image

from helpers import ROOT, VENV_BIN, command_secrets, keytool, scan_for_secrets
from sandbox import PACK_PASSWORD, SECURITY, build_cluster
from test_roles import play, recap

PASSWORD = 'Audit-Pass-2026'
NODES = ['node1', 'node2', 'node3']
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
DOCS_SCREENSHOT = ROOT / 'docs' / 'audit-report.png'


def _replace_pack_key(home, days, start=None):
    """Give a node's pack keystore a key that expires in ``days`` days (or expired, with ``start``)."""
    keystore = home / SECURITY / 'wso2carbon.jks'
    keytool('-delete', '-keystore', keystore, '-storepass', PACK_PASSWORD, '-alias', 'wso2carbon')
    args = ['-genkeypair', '-keystore', keystore, '-storepass', PACK_PASSWORD, '-keypass', PACK_PASSWORD, '-alias',
            'wso2carbon', '-keyalg', 'RSA', '-keysize', '2048', '-validity', str(days), '-dname', 'CN=%s' % home.name,
            '-ext', 'KeyUsage=digitalSignature,keyEncipherment,dataEncipherment']
    if start:
        args += ['-startdate', start]
    keytool(*args)


def _audit(inventory, *extra):
    command = [str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory), str(ROOT / 'playbooks' / 'audit.yml'), *extra]
    run = subprocess.run(command, capture_output=True, text=True, cwd=str(ROOT), check=False,
                         env=dict(os.environ, ANSIBLE_NOCOLOR='1'))
    scan_for_secrets(run.stdout + run.stderr, command_secrets(command, inventory) | {PASSWORD}, [inventory.parent])
    return run


def test_report_names_every_node_colours_expiry_and_fails_on_request(tmp_path):
    inventory = build_cluster(tmp_path, 'identity_server', NODES, PASSWORD)
    _replace_pack_key(tmp_path / 'node2', 10)
    _replace_pack_key(tmp_path / 'node3', 30, start='-60d')
    report_dir = tmp_path / 'report'
    run = _audit(inventory, '-e', 'audit_report_dir=%s' % report_dir)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    data = json.loads((report_dir / 'report.json').read_text())
    assert [host['host'] for host in data['hosts']] == NODES
    states = {host['host']: {row['purpose']: row['state'] for row in host['rows']} for host in data['hosts']}
    assert states['node1']['primary'] == 'ok' and states['node2']['primary'] == 'expiring'
    assert states['node3']['primary'] == 'expired'
    assert {item['host'] for item in data['expiring']} == {'node2', 'node3'}
    page = (report_dir / 'report.html').read_text()
    for node in NODES:
        assert '<h2 id="%s">' % node in page
    assert '<script' not in page and 'http' not in page.split('</style>')[0], 'the page must be self-contained'
    assert page.count('<tr class="expired">') >= 1 and page.count('<tr class="expiring">') >= 1

    due = _audit(inventory, '-e', 'audit_fail_within_days=20')
    assert due.returncode != 0
    assert 'On node2, 3 certificate(s) expire within 20 days' in due.stdout and 'primary: 9 days left' in due.stdout
    assert 'On node3, ' in due.stdout and 'On node1, ' not in due.stdout
    assert {host: counts['failed'] for host, counts in recap(due.stdout).items()} == {'node1': 0, 'node2': 1, 'node3': 1}
    assert _audit(inventory, '-e', 'audit_fail_within_days=5', '-e', 'audit_warn_days=5').returncode != 0  # node3

    assert CHROMIUM, 'Debian\'s chromium package is needed for the screenshot (make test installs it)'
    screenshot = tmp_path / 'audit-report.png'
    profile = tmp_path / 'chromium-profile'
    shot = subprocess.run([CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                           '--disable-background-networking', '--disable-component-update', '--disable-sync',
                           '--user-data-dir=%s' % profile, '--hide-scrollbars', '--window-size=1280,1500',
                           '--screenshot=%s' % screenshot, (report_dir / 'report.html').as_uri()],
                          capture_output=True, text=True, timeout=180, check=False)
    assert screenshot.exists(), shot.stdout + shot.stderr
    pixels = image.imread(str(screenshot))
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1200
    rgb = (pixels[:, :, :3] * 255).round()
    # the expired row's background (#fbe3e3) and the expiring row's (#fff4d6) are on the page as drawn
    assert ((rgb == [0xfb, 0xe3, 0xe3]).all(axis=2)).sum() > 1000
    assert ((rgb == [0xff, 0xf4, 0xd6]).all(axis=2)).sum() > 1000
    if os.environ.get('CARBON_UPDATE_DOCS'):
        shutil.copyfile(screenshot, DOCS_SCREENSHOT)


def test_an_audit_that_cannot_read_the_secure_vault_fails_naming_every_store(tmp_path):
    """A scheduled audit that lost its credential must not stay green: on a cluster whose passwords are in the
    secure vault, the audit without the internal keystore's password fails on every node, naming each store and
    why; report.json says why each row is unknown. With the password it passes."""
    nodes = NODES[:2]
    vault = {'identity_server_encrypt_passwords': 'true', 'identity_server_internal_keystore_password': 'Audit-Internal-61',
             'identity_server_keystore_password_file': 'persist'}
    inventory = build_cluster(tmp_path, 'identity_server', nodes, PASSWORD, vault)
    play(inventory, 'identity_server')
    blind_inventory = tmp_path / 'blind.ini'
    blind_inventory.write_text(inventory.read_text().replace('identity_server_internal_keystore_password=Audit-Internal-61\n', ''))
    assert 'Audit-Internal-61' not in blind_inventory.read_text()
    report_dir = tmp_path / 'report'
    blind = _audit(blind_inventory, '-e', 'audit_report_dir=%s' % report_dir, '-e', 'audit_fail_within_days=4000')
    assert blind.returncode != 0
    assert {host: counts['failed'] for host, counts in recap(blind.stdout).items()} == {node: 1 for node in nodes}
    for node in nodes:
        assert 'The audit could not read 4 store(s) of %s' % node in blind.stdout
    for purpose, store, path in (('primary', 'The primary keystore', 'wso2is.jks'),
                                 ('internal', 'The internal keystore', 'wso2carbon.jks'),
                                 ('tls', 'The TLS keystore', 'wso2is.jks'),
                                 ('truststore', 'The truststore', 'client-truststore.jks')):
        assert '%s: %s' % (purpose, store) in blind.stdout
        assert '%s/%s cannot be opened: the password cannot be read back: it is a $secret{} placeholder (give the ' \
               'internal keystore\'s password to read the secure vault)' % (tmp_path / 'node1' / SECURITY, path) in blind.stdout
    data = json.loads((report_dir / 'report.json').read_text())
    rows = [row for host in data['hosts'] for row in host['rows']]
    assert len(rows) == 8 and all(row['state'] == 'unknown' and row['not_after'] is None for row in rows)
    assert all('$secret{} placeholder' in row['reason'] for row in rows), rows
    assert len(data['unreadable']) == 8
    page = (report_dir / 'report.html').read_text()
    assert page.count('<tr class="unknown">') == 8 and page.count('<td class="days">unknown</td>') == 8
    # an operator who knows the audit is blind on purpose can say so; expiry still cannot be judged then
    assert _audit(blind_inventory, '-e', 'audit_allow_unreadable=true').returncode == 0
    assert _audit(blind_inventory, '-e', 'audit_allow_unreadable=true', '-e', 'audit_fail_within_days=4000'
                  ).returncode != 0, 'an unknown expiry counts as due'

    seeing = _audit(inventory, '-e', 'audit_fail_within_days=30')
    assert seeing.returncode == 0, seeing.stdout[-3000:]
    assert seeing.stdout.count('findings: none') == 2
