"""The repository stands alone: no tracked file reaches outside the checkout, and the WSO2 files it
ships are the ones SOURCES.md says they are."""

from __future__ import annotations

import hashlib
import re
import subprocess

from helpers import FIXTURES, ROOT

# Spelled in pieces so that this file does not match what it looks for.
OUTSIDE_FOLDER = '..' + '/' + 'shared'


def test_no_tracked_file_names_the_team_folder_beside_the_checkout():
    listed = subprocess.run(['git', 'grep', '-n', '-F', OUTSIDE_FOLDER], cwd=str(ROOT), capture_output=True, text=True,
                            check=False)
    assert listed.returncode == 1, 'tracked files refer to %s:\n%s' % (OUTSIDE_FOLDER, listed.stdout)


def test_every_shipped_wso2_file_is_the_one_its_sources_line_names():
    rows = [line.split('|') for line in (FIXTURES / 'SOURCES.md').read_text().splitlines()
            if re.match(r'\| [\w./-]+\.(toml|json) \|', line)]
    listed = {row[1].strip(): (int(row[5]), row[6].strip()) for row in rows}
    shipped = {str(path.relative_to(FIXTURES)) for path in FIXTURES.rglob('*') if path.suffix in ('.toml', '.json')}
    assert shipped == set(listed), 'SOURCES.md and the folder disagree: %s' % sorted(shipped ^ set(listed))
    for name, (size, digest) in listed.items():
        data = (FIXTURES / name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (size, digest), name
        assert 'Apache-2.0' in dict((row[1].strip(), row[7]) for row in rows)[name]
