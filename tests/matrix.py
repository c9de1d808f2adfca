"""The bad-input matrix's tally: every case tried is counted, and `make test` prints the count."""

from __future__ import annotations

TALLY = {'tried': 0, 'passed': 0, 'by_group': {}}


def tried(group, passed):
    TALLY['tried'] += 1
    TALLY['passed'] += int(bool(passed))
    counts = TALLY['by_group'].setdefault(group, [0, 0])
    counts[0] += 1
    counts[1] += int(bool(passed))
