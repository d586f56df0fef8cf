import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tests", "support"))
from suma_fixtures import make_server, r, server  # noqa: E402,F401
