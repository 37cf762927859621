"""The README's Python examples run as written, in order, in one namespace (as a
reader pastes them into one session), with one change: `epochs=30` becomes
`epochs=1` so the test takes seconds."""

import pathlib
import re

import keras
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).parents[1]
FULL_RUN, SMOKE_RUN = "epochs=30", "epochs=1"

pytestmark = pytest.mark.tensorflow_only


def _python_blocks():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def test_the_readme_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `gan.save("gan.keras")` writes here
    blocks = _python_blocks()
    assert len(blocks) >= 4
    namespace = {}
    for index, block in enumerate(blocks):
        exec(
            compile(
                block.replace(FULL_RUN, SMOKE_RUN), f"README block {index}", "exec"
            ),
            namespace,
        )
        if "gan.compile(" in block and "penalties=" in block:
            # The options example compiles; one epoch of two batches trains with it.
            history = namespace["gan"].fit(
                namespace["dataset"].take(2), epochs=1, verbose=0
            )
            assert np.isfinite(history.history["d_loss"][-1])
            assert "r1" in history.history and "d_history" in history.history
    assert (tmp_path / "gan.keras").is_file() and (
        tmp_path / "generator.keras"
    ).is_file()
    discriminator = namespace["discriminator"]
    assert discriminator(np.zeros((4, 16, 16, 1), "float32")).shape == (4, 1)
    # The last example trained the GAN it built in the strategy's scope.
    assert int(keras.ops.convert_to_numpy(namespace["gan"].d_optimizer.iterations)) > 0
