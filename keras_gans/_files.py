"""Files named by the user: saved models to load and output files to write, checked
before any work so that a wrong path fails at once with what is wrong."""

import os
import zipfile

__all__ = ["load_model_file", "prepare_output_file"]

MODEL_EXTENSION = ".keras"
_LEGACY_EXTENSIONS = (".h5", ".hdf5")


def load_model_file(path, what="Model file"):
    """`keras.models.load_model(path)` for a `.keras` file, after checks that say
    what is wrong with any other file.

    Args:
        path: The file.
        what: How errors name it, e.g. "Feature extractor file".

    Raises:
        ValueError: for a missing file, a file of another format (`.h5` is Keras 2's
            legacy HDF5 format), or a file that is not a complete `.keras` archive
            (a `.keras` file is a zip archive: a truncated copy or a text file is
            neither).
    """
    import keras

    if not os.path.isfile(path):
        raise ValueError(f"{what} not found: {path!r}.")
    extension = os.path.splitext(path)[1].lower()
    if extension != MODEL_EXTENSION:
        legacy = (
            " (.h5 is the legacy Keras 2 format; keras_gans saves and loads the "
            "Keras 3 .keras format)"
            if extension in _LEGACY_EXTENSIONS
            else ""
        )
        raise ValueError(
            f"{what} {path!r} should be a {MODEL_EXTENSION} file, such as a run's "
            f"model.keras or generator.keras{legacy}. Received a "
            f"{extension or 'extensionless'} file."
        )
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{what} {path!r} is not a complete {MODEL_EXTENSION} archive (a "
            f"{MODEL_EXTENSION} file is a zip archive; this one holds "
            f"{os.path.getsize(path)} bytes that are not): it is truncated or not a "
            "saved model. Copy or save it again."
        )
    try:
        return keras.models.load_model(path)
    except (KeyError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"{what} {path!r} is a zip archive but not a complete saved Keras model "
            f"({error}). Copy or save it again."
        ) from error


def prepare_output_file(path, example_name, argument="out"):
    """Checks that `path` can be written as a file and creates its folder.

    Args:
        path: The file to write.
        example_name: A file name the error suggests inside a folder given instead.
        argument: How errors name the argument (command line: `--out`).

    Raises:
        ValueError: when `path` is an existing folder, or its folder cannot be made
            (a file is in the way).
    """
    if os.path.isdir(path):
        raise ValueError(
            f"`{argument}` (command line: --{argument}) should be a file path, not "
            f"the folder {path!r}: e.g. {os.path.join(path, example_name)!r}. "
            f"Received: `{argument}={path!r}`."
        )
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as error:
        raise ValueError(
            f"Cannot write `{argument}={path!r}`: its folder {folder!r} cannot be "
            f"made ({error})."
        ) from error
