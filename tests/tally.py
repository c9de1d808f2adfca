"""Tallies `make test` prints at the end (tests/conftest.py): the bad-input matrix's cases and the
fuzzers' inputs per parser."""

from __future__ import annotations

TALLY = {'tried': 0, 'passed': 0, 'by_group': {}}


def tried(group, passed):
    TALLY['tried'] += 1
    TALLY['passed'] += int(bool(passed))
    counts = TALLY['by_group'].setdefault(group, [0, 0])
    counts[0] += 1
    counts[1] += int(bool(passed))


FUZZ_INPUTS = {}


def fuzzed(parser):
    FUZZ_INPUTS[parser] = FUZZ_INPUTS.get(parser, 0) + 1
