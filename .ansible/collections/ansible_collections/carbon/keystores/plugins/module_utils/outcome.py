# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a task function (tasks/<module>.py) returns to the action plugin that runs it."""

from __future__ import annotations


class Outcome:
    """What a module run did or would do. ``data`` is None when no file must be written."""

    def __init__(self, changed, data, result, diff=None, warnings=(), files=()):
        self.changed = changed
        self.data = data
        self.result = result
        self.diff = diff
        self.warnings = list(warnings)
        # Other files to write: dicts with path, data (bytes), mode and location ('host' or 'controller').
        self.files = list(files)
