"""Make the checkout importable as ansible_collections.carbon.keystores (via .venv's link)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / '.venv' / 'collections'))
