"""Each task file of keystore_flow says, in its header, which of the flow's facts (or its includer's vars) it reads
and which facts it sets; this test derives both from the file and fails when the header says otherwise."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import yaml

TASKS = Path(__file__).resolve().parents[2] / 'roles' / 'keystore_flow' / 'tasks'
NAME = re.compile(r'\b(__keystore_flow(?:_\w+)?)\b')


def _walk(tasks, sets, local):
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        for key in ('block', 'rescue', 'always'):
            _walk(task.get(key), sets, local)
        facts = task.get('ansible.builtin.set_fact')
        if isinstance(facts, dict):
            sets.update(name for name in facts if NAME.fullmatch(name))
        if 'register' in task:
            sets.add(task['register'])
        local.update(task.get('vars') or {})
        local.update(filter(None, [(task.get('loop_control') or {}).get('loop_var')]))


def facts_of(path):
    """(reads, sets): the flow's names the file uses but neither sets nor defines as a task's vars; the facts it
    sets (set_fact, register)."""
    text = path.read_text()
    sets, local = set(), set()
    _walk(yaml.safe_load(text), sets, local)
    code = '\n'.join(line for line in text.splitlines() if not line.lstrip().startswith('#'))
    return sorted(set(NAME.findall(code)) - sets - local), sorted(sets)


def header_lines(path):
    """The header's '# Reads:' and '# Sets:' lines as the file should have them."""
    reads, sets = facts_of(path)
    lines = []
    for label, names in (('Reads', reads), ('Sets', sets)):
        text = '%s: %s' % (label, ', '.join(names) or 'nothing')
        lines += ['# ' + line for line in textwrap.wrap(text, 114, subsequent_indent='  ', break_on_hyphens=False)]
    return lines


def test_each_task_file_names_the_facts_it_reads_and_sets():
    wrong = {}
    for path in sorted(TASKS.glob('*.yml')):
        wanted = header_lines(path)
        lines = path.read_text().splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith('# Reads: ')), None)
        found = lines[start:start + len(wanted)] if start is not None else []
        if found != wanted:
            wrong[path.name] = '\n'.join(wanted)
    assert not wrong, 'Headers to write (after the opening comment):\n' + '\n\n'.join(
        '%s:\n%s' % item for item in sorted(wrong.items()))


def test_a_fact_read_and_never_set_in_the_flow_is_an_includers_var():
    every_set = set()
    for path in TASKS.glob('*.yml'):
        every_set.update(facts_of(path)[1])
    # the includers hand these in (entry points, rotate_switch.yml, rewrite.yml) or they default in the file itself
    given = {'__keystore_flow_pin_internal', '__keystore_flow_migrate', '__keystore_flow_rotation_stamp',
             '__keystore_flow_read_fails', '__keystore_flow_rewriting',
             '__keystore_flow_write_clusters', '__keystore_flow_vault_request', '__keystore_flow_migrating'}
    unknown = set()
    for path in TASKS.glob('*.yml'):
        unknown.update(set(facts_of(path)[0]) - every_set - given)
    assert not unknown, unknown
