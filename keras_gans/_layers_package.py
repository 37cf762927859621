"""Where `keras_gans.layers` comes from.

The drop-in layers live in the repository's top-level folder `layers/` (the layout
keeps them apart from the TensorFlow training code) and are installed as the
subpackage `keras_gans.layers` (`package-dir` in pyproject.toml), so a user's own
`layers.py` cannot shadow them. In a source checkout that was not installed, the
subpackage is loaded from the folder beside `keras_gans/` under the same name.
"""

import importlib.util
import os
import sys

PACKAGE = "keras_gans.layers"


def locate():
    """Makes `import keras_gans.layers` work in a source checkout; a no-op when the
    package is installed (its `layers/` folder is then inside `keras_gans/`)."""
    package_dir = os.path.dirname(os.path.abspath(__file__))
    if PACKAGE in sys.modules or os.path.isdir(os.path.join(package_dir, "layers")):
        return
    checkout_layers = os.path.join(os.path.dirname(package_dir), "layers")
    init_file = os.path.join(checkout_layers, "__init__.py")
    if not os.path.isfile(init_file):
        raise ImportError(
            f"keras_gans.layers is missing: neither {package_dir}/layers nor "
            f"{checkout_layers} holds the layers package. Reinstall keras-gans."
        )
    spec = importlib.util.spec_from_file_location(
        PACKAGE, init_file, submodule_search_locations=[checkout_layers]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)
    sys.modules["keras_gans"].layers = module
