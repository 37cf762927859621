"""The README's Python examples run as written, in order, in one fresh Python process
(as a reader pastes them into one session), with one change: `epochs=30` becomes
`epochs=1` so the test takes seconds. After the example that compiles with options,
the script trains one epoch of two batches with them and checks the logs."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).parents[1]
FULL_RUN, SMOKE_RUN = "epochs=30", "epochs=1"

pytestmark = pytest.mark.tensorflow_only

OPTIONS_CHECK = """
_history = gan.fit(dataset.take(2), epochs=1, verbose=0)
assert all(key in _history.history for key in ("d_loss", "r1", "d_history"))
"""
FINAL_CHECKS = """
import os
assert os.path.isfile("gan.keras") and os.path.isfile("generator.keras")
_logits = discriminator(np.zeros((4, 16, 16, 1), "float32"), training=False)
assert tuple(_logits.shape) == (4, 1)
assert int(keras.ops.convert_to_numpy(gan.d_optimizer.iterations)) > 0
print("README examples ran")
"""


def _python_blocks():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def test_the_readme_python_examples_run(tmp_path):
    blocks = _python_blocks()
    assert len(blocks) >= 4
    assert sum(FULL_RUN in block for block in blocks) >= 2
    script = ["import numpy as np"]
    for block in blocks:
        script.append(block.replace(FULL_RUN, SMOKE_RUN))
        if "gan.compile(" in block and "penalties=" in block:
            script.append(OPTIONS_CHECK)
    script.append(FINAL_CHECKS)
    (tmp_path / "readme_examples.py").write_text("\n".join(script))
    result = subprocess.run(
        [sys.executable, "readme_examples.py"],
        cwd=tmp_path,  # `gan.save("gan.keras")` writes here
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "README examples ran" in result.stdout
