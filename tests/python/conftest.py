import os
import shutil

import pytest


@pytest.fixture(scope="session")
def cli():
    """The gradflow binary: $GRADFLOW_CLI (set by ctest), else the build tree's bin/gradflow
    beside the imported package's build/python."""
    import gradflow
    path = os.environ.get("GRADFLOW_CLI")
    if not path:
        path = os.path.join(os.path.dirname(gradflow.__file__), "..", "..", "bin", "gradflow")
    if not os.path.isfile(path):
        path = shutil.which("gradflow")
    if not path:
        pytest.fail("gradflow CLI not found: set GRADFLOW_CLI to the binary")
    return path
