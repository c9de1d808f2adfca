"""Make the checkout importable as ansible_collections.carbon.keystores (via .venv's link)."""

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ANSIBLE_CORE_DSA_WARNING = 'ignore::UserWarning:ansible._internal._ssh._ssh_agent'
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / '.venv' / 'collections'))

# The secret scan: every ansible-playbook the suite starts runs at -vvv --diff, whatever its command line.
os.environ['ANSIBLE_VERBOSITY'] = '3'
os.environ['ANSIBLE_DIFF_ALWAYS'] = 'true'

# ansible-core 2.19 imports cryptography's DSA names at start-up, and cryptography 51 deprecates them: every
# ansible command then prints that warning, whatever the collection does. The suite judges what the collection
# prints, so it ignores that one warning where ansible-core raises it, and nothing else.
os.environ['PYTHONWARNINGS'] = ','.join(filter(None, (os.environ.get('PYTHONWARNINGS'), ANSIBLE_CORE_DSA_WARNING)))


@pytest.fixture(scope='session')
def ssh_machine():
    """The accounts, sudo rule and host Python of the SSH tests (tests/ssh.py), or a skip saying why not."""
    import ssh
    reason = ssh.why_not()
    if reason:
        pytest.skip(reason)
    ssh.prepare_machine()


@pytest.fixture()
def fleet(ssh_machine):
    """A test's own sshd on 127.0.0.1, stopped afterwards with the product homes it served."""
    import ssh
    started = ssh.Fleet().start()
    try:
        yield started
    finally:
        started.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under make test (CARBON_NO_SKIP=1) a test that skips fails: the suite claims it ran everything, and a machine
    that lacks what a test needs must say so, not pass quietly."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get('CARBON_NO_SKIP') == '1' and not hasattr(report, 'wasxfail'):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = 'failed'
        report.longrepr = 'skipped under make test, which runs everything: %s' % reason


def pytest_collection_modifyitems(items):
    """Every playbook integration test is slow; make test-fast runs the rest."""
    for item in items:
        if 'integration' in Path(str(item.fspath)).parts:
            item.add_marker(pytest.mark.slow)


def pytest_terminal_summary(terminalreporter):
    from helpers import SECRET_SCAN
    from tally import FUZZ_INPUTS, TALLY

    if SECRET_SCAN['runs']:
        terminalreporter.write_line('secret scan: %d ansible-playbook runs at -vvv --diff, %d hits%s' % (
            SECRET_SCAN['runs'], len(SECRET_SCAN['hits']), (': ' + ', '.join(SECRET_SCAN['hits'])) if SECRET_SCAN['hits'] else ''))
    if TALLY['tried']:
        groups = ', '.join('%s %d/%d' % (group, passed, tried) for group, (tried, passed) in sorted(TALLY['by_group'].items()))
        terminalreporter.write_line('bad-input matrix: %d cases tried, %d passed (%s)'
                                    % (TALLY['tried'], TALLY['passed'], groups))
    if FUZZ_INPUTS:
        terminalreporter.write_line('fuzz: %s inputs, none raised anything but the collection\'s own errors and none '
                                    'hung, unless a fuzz test failed above'
                                    % ', '.join('%s %d' % item for item in sorted(FUZZ_INPUTS.items())))
