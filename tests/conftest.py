"""Make the checkout importable as ansible_collections.carbon.keystores (via .venv's link)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / '.venv' / 'collections'))


def pytest_terminal_summary(terminalreporter):
    from matrix import TALLY

    if TALLY['tried']:
        groups = ', '.join('%s %d/%d' % (group, passed, tried) for group, (tried, passed) in sorted(TALLY['by_group'].items()))
        terminalreporter.write_line('bad-input matrix: %d cases tried, %d passed (%s)'
                                    % (TALLY['tried'], TALLY['passed'], groups))
