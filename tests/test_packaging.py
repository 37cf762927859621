"""The install layout: `layers/` is the package `keras_gans.layers`, which no user
module named `layers` can shadow, and `import keras_gans` is all a fresh process
needs to load a saved model."""

import os
import pathlib
import subprocess
import sys
import zipfile

import pytest
import tomllib

ROOT = pathlib.Path(__file__).parents[1]


def _run(code, cwd, **environment):
    """Runs `code` in a fresh Python process with the checkout on its path (after the
    script's own folder, as a user's `PYTHONPATH` would be)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "TF_CPP_MIN_LOG_LEVEL": "3",
            **environment,
        },
        timeout=300,
    )


def test_every_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "keras_gans").rglob("__init__.py")
    }
    assert set(config["packages"]) == folders | {"keras_gans.layers"}
    assert config["package-dir"] == {"keras_gans.layers": "layers"}


def test_a_users_own_layers_module_does_not_shadow_the_package(tmp_path):
    (tmp_path / "layers.py").write_text("raise RuntimeError('the user module')\n")
    result = _run(
        "import keras_gans, keras_gans.layers as L; print(L.SpectralNormalization)",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "keras_gans.layers.spectral_normalization" in result.stdout
    help_result = subprocess.run(
        [sys.executable, "-m", "keras_gans", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert help_result.returncode == 0, help_result.stderr
    assert "train" in help_result.stdout


@pytest.mark.tensorflow_only
def test_a_fresh_process_loads_a_saved_model_after_import_keras_gans(tmp_path):
    save = _run(
        "import keras, numpy as np\n"
        "from keras_gans.layers import SpectralNormalization, MinibatchStdDev\n"
        "model = keras.Sequential([keras.Input((4, 4, 1)), MinibatchStdDev(),\n"
        "    SpectralNormalization(keras.layers.Conv2D(3, 3)),\n"
        "    keras.layers.Flatten()])\n"
        "x = np.linspace(-1, 1, 64, dtype='float32').reshape(4, 4, 4, 1)\n"
        "np.save('x.npy', x); np.save('y.npy', model.predict(x, verbose=0))\n"
        "model.save('d.keras')\n",
        tmp_path,
    )
    assert save.returncode == 0, save.stderr
    load = _run(
        "import keras, numpy as np, keras_gans\n"
        "model = keras.saving.load_model('d.keras')\n"
        "y = model.predict(np.load('x.npy'), verbose=0)\n"
        "print(float(np.max(np.abs(y - np.load('y.npy')))))\n",
        tmp_path,
    )
    assert load.returncode == 0, load.stderr
    assert float(load.stdout.strip().splitlines()[-1]) < 1e-6


def test_the_installed_wheel_holds_the_layers_inside_keras_gans(tmp_path):
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr

    (wheel,) = tmp_path.glob("keras_gans-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "keras_gans/layers/spectral_normalization.py" in names
    assert "keras_gans/metrics/assets/digits_classifier.weights.h5" in names
    assert "keras_gans/human_eval/page.html" in names
    assert not any(name.startswith("layers/") for name in names)
