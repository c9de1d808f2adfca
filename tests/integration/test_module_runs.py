"""Module runs per node, counted where they happen: each node's Python interpreter is a wrapper that notes every run
before it starts the real one. A first run (check mode too) may take two per node (the preflight's read, the one
write, which reports back what the node holds so that verifying reads nothing), a no-op rerun one."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import VENV_PYTHON
from sandbox import build_cluster, build_node, write_inventory
from test_roles import PASSWORD, play, recap

FIRST_RUN, NO_OP = 2, 1
VAULTED = {'internal_keystore_password': 'Internal-Pass-2026', 'truststore_password': 'Trust-Pass-2026',
           'encrypt_passwords': 'true', 'keystore_password_file': 'persist'}


def _counted(root, inventory, nodes):
    """Give each node an interpreter that appends a line to ``root``/runs/<node> per module run."""
    runs = Path(root) / 'runs'
    runs.mkdir(exist_ok=True)
    lines = []
    for line in Path(inventory).read_text().splitlines():
        name = line.split(' ', 1)[0]
        if name in nodes:
            wrapper = Path(root) / ('python-%s' % name)
            wrapper.write_text('#!/bin/sh\necho "$@" >> %s\nexec %s "$@"\n' % (runs / name, VENV_PYTHON))
            wrapper.chmod(0o755)
            line += ' ansible_python_interpreter=%s' % wrapper
        lines.append(line)
    Path(inventory).write_text('\n'.join(lines) + '\n')
    return runs


def _runs_per_node(runs, inventory, product, *extra):
    for counted in runs.iterdir():
        counted.unlink()
    run = play(inventory, product, *extra)
    return {counted.name: len(counted.read_text().splitlines()) for counted in runs.iterdir()}, recap(run.stdout)


@pytest.mark.parametrize('product, variables', [
    ('identity_server', {}),
    ('identity_server', VAULTED),
    ('micro_integrator', {}),
])
def test_a_first_run_takes_two_module_runs_per_node_and_a_rerun_one(tmp_path, product, variables):
    nodes = ['node1', 'node2', 'node3']
    # the reads go through remote_files module runs, as on a host reached over SSH
    extra = dict({'%s_%s' % (product, name): value for name, value in variables.items()},
                 carbon_keystores_local_reads='false')
    inventory = build_cluster(tmp_path, product, nodes, PASSWORD, extra_vars=extra)
    runs = _counted(tmp_path, inventory, nodes)

    checked, check_recap = _runs_per_node(runs, inventory, product, '--check', '--diff')
    first, first_recap = _runs_per_node(runs, inventory, product)
    rerun, rerun_recap = _runs_per_node(runs, inventory, product)
    assert set(first) == set(nodes) and all(first_recap[name]['changed'] > 0 for name in nodes), first_recap
    assert all(rerun_recap[name]['changed'] == 0 for name in nodes), rerun_recap
    assert {name: check_recap[name]['changed'] for name in nodes} == \
        {name: first_recap[name]['changed'] for name in nodes}, 'check mode predicts the run'
    too_many = {label: {name: count for name, count in counted.items() if count > limit}
                for label, counted, limit in (('check', checked, FIRST_RUN), ('first run', first, FIRST_RUN),
                                              ('no-op rerun', rerun, NO_OP))}
    assert not any(too_many.values()), (too_many, checked, first, rerun)
    assert all(count == FIRST_RUN for count in first.values()), 'the write runs on every node: %s' % first
    assert all(count == NO_OP for count in rerun.values()), 'the preflight reads every node: %s' % rerun

    if product != 'identity_server' or variables:
        return
    # a node added later gets everything in its first run; the others are read and left alone
    build_node(tmp_path, product, 'node4', tmp_path / 'pack')
    inventory = write_inventory(tmp_path, product, nodes + ['node4'], PASSWORD, extra)
    runs = _counted(tmp_path, inventory, nodes + ['node4'])
    grown, grown_recap = _runs_per_node(runs, inventory, product)
    assert grown_recap['node4']['changed'] > 0 and all(grown_recap[name]['changed'] == 0 for name in nodes)
    assert grown == dict({name: NO_OP for name in nodes}, node4=FIRST_RUN), grown
