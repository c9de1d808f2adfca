# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench-only callback: count key pairs generated during a run (results of any task whose
``changes`` say a key pair was generated, or the flow's account of what it built), and write the count to
$CARBON_KEYGEN_COUNT_FILE."""

from __future__ import annotations

import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: keygen_count
type: aggregate
short_description: count key pair generations (bench only)
description: Writes the number of key pairs generated in a run to the file named by CARBON_KEYGEN_COUNT_FILE.
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'keygen_count'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.generated = 0

    def v2_runner_on_ok(self, result):
        changes = result._result.get('changes') or []
        shown = result._result.get('msg')
        if isinstance(shown, dict):  # the flow's account of what it built, by purpose (the build itself is no_log)
            changes = [change for listed in shown.values() if isinstance(listed, list) for change in listed]
        self.generated += sum(1 for change in changes if isinstance(change, str) and change.startswith('generated'))

    def v2_playbook_on_stats(self, stats):
        target = os.environ.get('CARBON_KEYGEN_COUNT_FILE')
        if target:
            with open(target, 'w') as handle:
                handle.write('%d\n' % self.generated)
