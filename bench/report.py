"""What every bench script does with its table: print it with when and where it was measured, and
replace its own section of bench/README.md (between <!-- name:begin --> and <!-- name:end -->)."""

from __future__ import annotations

import datetime
import os
import platform
import re
import subprocess
from pathlib import Path


def machine():
    cpu = 'unknown CPU'
    try:
        cpu = next(line.split(':', 1)[1].strip() for line in Path('/proc/cpuinfo').read_text().splitlines()
                   if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    java = subprocess.run(['java', '-version'], capture_output=True, text=True, check=False).stderr.splitlines()[0]
    return '%s, %d cores, %s, Python %s, %s' % (cpu, os.cpu_count(), platform.platform(), platform.python_version(), java)


def publish(name, text, readme=None):
    """Print ``text`` and its stamp; with ``readme``, put both into the README's section ``name``."""
    stamp = '%s, on %s.' % (datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'), machine())
    print()
    print(text)
    print()
    print(stamp)
    if not readme:
        return
    readme = Path(readme)
    begin, end = '<!-- %s:begin -->' % name, '<!-- %s:end -->' % name
    section = '%s\n%s\n\nMeasured %s\n%s' % (begin, text, stamp, end)
    content = readme.read_text()
    if begin in content:
        content = re.sub(re.escape(begin) + '.*?' + re.escape(end), lambda _m: section, content, flags=re.S)
    else:
        content += '\n' + section + '\n'
    readme.write_text(content)
