"""The run folder of `keras_gans.training_run.train`: what it holds, whether a run in
it may start or resume, and writes that a killed process cannot leave half done.

A folder is in one of three states:

- new: it does not exist, or holds none of a run's files;
- unfinished: it has `backup/` (a run was interrupted, or failed after an epoch);
  `train` resumes it if the settings equal its `config.json`;
- finished: it holds a run's files and no `backup/`; `train` refuses it unless
  `overwrite=True` (`--overwrite`), which deletes the run's files first.

`backup/` is created when a run starts and removed only after its final models are
saved, so a run killed at any moment leaves an unfinished folder. Every file that a
resume reads (the backup, the checkpoints, `config.json`) and the final models are
written to a temporary file in the same folder and renamed into place, so each is
whole or absent. Nothing with a NaN or Inf weight is saved (see
`keras_gans.callbacks.non_finite_loss.check_finite_weights`).
"""

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile

import keras
import numpy as np

__all__ = [
    "RunFolder",
    "RunFolderError",
    "checkpoint_paths",
    "newest_checkpoint_hint",
    "non_finite_variables",
    "write_atomically",
    "write_backup",
]

SUBFOLDERS = ("samples", "checkpoints", "backup", "tensorboard")
# Everything `train` writes in a run folder (the layout in keras_gans.training_run):
# `overwrite` deletes these and leaves any other file alone.
RUN_FILES = (
    *SUBFOLDERS,
    "config.json",
    "metrics.csv",
    "loss_curves.png",
    "metrics.png",
    "model.keras",
    "generator.keras",
    "classifier.keras",
    "pseudo_labels.json",
)
# Any of these without `backup/`: a run ended in this folder.
FINISHED_MARKERS = (
    "config.json",
    "metrics.csv",
    "model.keras",
    "generator.keras",
    "checkpoints",
)
# Temporary files of `write_atomically` start with this; a killed write leaves one.
PARTIAL_PREFIX = ".partial-"
# The files of `keras.callbacks.BackupAndRestore` in `backup/`.
BACKUP_WEIGHTS = "latest.weights.h5"
BACKUP_METADATA = "training_metadata.json"
CHECKPOINT_NAME = re.compile(r"^epoch_(\d+)\.keras$")
# How to proceed, at the end of every refusal.
CHOICES = (
    "pass --overwrite (`overwrite=True`) to delete the run's files and train afresh "
    "in this folder, or choose another --out"
)


class RunFolderError(ValueError):
    """A run folder cannot be used for the requested run."""


def write_atomically(path, write):
    """Calls `write(temporary_path)`, then renames the file to `path` in one step.

    The temporary file is in `path`'s folder, so `os.replace` is a rename within one
    file system (atomic on POSIX and Windows): a process killed during `write`
    leaves `path` as it was. Its name ends with `path`'s name, so Keras accepts it
    (`.keras`, `.weights.h5`); it is removed when `write` raises.
    """
    directory, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(directory, f"{PARTIAL_PREFIX}{os.getpid()}-{name}")
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _write_json(data):
    """A `write` for `write_atomically` that dumps `data` as indented JSON."""

    def write(path):
        with open(path, "w") as file:
            json.dump(data, file, indent=2)

    return write


def checkpoint_paths(directory):
    """The `epoch_NNN.keras` files in `directory`, oldest epoch first (by number, so
    epoch 1000 comes after epoch 999)."""
    if not os.path.isdir(directory):
        return []
    epochs = {}
    for name in os.listdir(directory):
        match = CHECKPOINT_NAME.match(name)
        if match:
            epochs[os.path.join(directory, name)] = int(match.group(1))
    return sorted(epochs, key=epochs.get)


def _checkpoint_epoch(path):
    return int(CHECKPOINT_NAME.match(os.path.basename(path)).group(1))


def newest_checkpoint_hint(directory):
    """A sentence naming the newest checkpoint in `directory`, for error messages."""
    paths = checkpoint_paths(directory)
    if not paths:
        return f"No checkpoint was saved in {directory!r} yet (no epoch finished)."
    return f"The newest good checkpoint is {paths[-1]!r}."


def non_finite_variables(model):
    """The paths of `model`'s floating-point variables that hold NaN or Inf: its
    weights (every network, their statistics) and its optimizers' state."""
    variables = list(model.weights)
    for value in vars(model).values():
        for optimizer in value if isinstance(value, list | tuple) else [value]:
            if isinstance(optimizer, keras.optimizers.Optimizer):
                variables.extend(optimizer.variables)
    return [
        variable.path
        for variable in variables
        if "float" in str(variable.dtype)
        and not np.all(np.isfinite(keras.ops.convert_to_numpy(variable)))
    ]


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_backup(model, backup_dir, epoch):
    """Writes what `keras.callbacks.BackupAndRestore` restores after `epoch` finished
    epochs: `model`'s weights (with its optimizers and latent seed state) and the
    epoch. Each file is written atomically, the metadata last and with the weights'
    SHA-256, so that weights from another write than the metadata's are detected."""
    os.makedirs(backup_dir, exist_ok=True)
    weights = os.path.join(backup_dir, BACKUP_WEIGHTS)
    write_atomically(weights, model.save_weights)
    metadata = {"epoch": epoch, "batch": 0, "weights_sha256": _sha256(weights)}
    write_atomically(os.path.join(backup_dir, BACKUP_METADATA), _write_json(metadata))


def _read_json(path):
    with open(path) as file:
        return json.load(file)


def _json_form(value):
    """`value` as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(value))


def _has_run_length_schedule(config):
    """Instance noise (T9) anneals and the progressive GAN (A6) grows over the run's
    `epochs`: such a run cannot change its length when it resumes."""
    from keras_gans import families  # families -> callbacks -> run_folder.

    return (
        config.get("instance_noise") is not None
        or families.for_config(config).schedules_over_run
    )


class RunFolder:
    """One run's folder, for `keras_gans.training_run.train`.

    `prepare` (before anything is loaded) refuses an unusable path, a finished run
    and a resume with other settings; `start` (just before `fit`) creates the
    folder and writes `config.json`; `restore` loads an unfinished run's state;
    `finish` (after the final models) removes the backup; `discard_failed_start`
    removes what a run that failed before its first epoch finished created.

    Args:
        out: The folder's path.
    """

    def __init__(self, out):
        self.out = out
        self.paths = {name: os.path.join(out, name) for name in SUBFOLDERS}
        # The folders that this run creates, `out` first, then its missing parents.
        self._created = []
        self._entries_before = set()

    def state(self):
        """ "new", "unfinished" or "finished" (see the module docstring)."""
        if os.path.isdir(self.paths["backup"]):
            return "unfinished"
        if any(
            os.path.exists(os.path.join(self.out, name)) for name in FINISHED_MARKERS
        ):
            return "finished"
        return "new"

    def prepare(self, requested, overwrite=False):
        """Checks that a run with the settings `requested` (the resolved preset and
        seed, as in `config.json`) may use the folder; with `overwrite`, deletes the
        run's files (`RUN_FILES`) first. Creates nothing.

        Raises:
            RunFolderError: `out` is a file or cannot be written; it holds a finished
                run (without `overwrite`); or an unfinished run whose `config.json`
                differs from `requested`.
        """
        self._check_writable()
        state = self.state()
        if overwrite and state != "new":
            self._clear()
        elif state == "finished":
            present = [
                name
                for name in FINISHED_MARKERS
                if os.path.exists(os.path.join(self.out, name))
            ]
            raise RunFolderError(
                f"The run folder {self.out!r} holds a finished run "
                f"({', '.join(present)}); training again would overwrite it. To "
                f"train there, {CHOICES}."
            )
        elif state == "unfinished":
            self._check_resumable(requested)
        if os.path.isdir(self.out):
            self._entries_before = set(os.listdir(self.out))
        else:
            missing = os.path.abspath(self.out)
            while not os.path.exists(missing):
                self._created.append(missing)
                missing = os.path.dirname(missing)

    def start(self, config):
        """Creates the folder and its subfolders and writes `config.json` (`config`:
        the settings of `prepare` and the data's `steps_per_epoch`), checking a
        resumed run's saved settings again now that the data is counted."""
        if self.state() == "unfinished":
            self._check_resumable(config)
        for directory in self.paths.values():
            os.makedirs(directory, exist_ok=True)
        for directory in (self.out, self.paths["checkpoints"], self.paths["backup"]):
            for name in os.listdir(directory):  # Left by writes that were killed.
                if name.startswith(PARTIAL_PREFIX):
                    os.remove(os.path.join(directory, name))
        write_atomically(os.path.join(self.out, "config.json"), _write_json(config))

    def restore(self, model):
        """Loads an unfinished run's state into `model`; returns the number of
        finished epochs (0 when none is backed up).

        The backup holds the weights, both optimizers and the latent seed state of
        the last finished epoch. If it does not read back whole, the newest
        checkpoint that loads with finite weights is used instead (stderr says so):
        its state is loaded, the backup is rewritten from it, and unusable newer
        checkpoints are deleted. The caller skips the data the returned epochs
        consumed.

        Raises:
            RunFolderError: neither the backup nor any checkpoint can be restored.
        """
        backup = self.paths["backup"]
        weights = os.path.join(backup, BACKUP_WEIGHTS)
        metadata_path = os.path.join(backup, BACKUP_METADATA)
        if not (os.path.exists(weights) or os.path.exists(metadata_path)):
            return 0
        try:
            metadata = _read_json(metadata_path)
            saved_digest = metadata.get("weights_sha256")
            if saved_digest is not None and saved_digest != _sha256(weights):
                raise ValueError(
                    f"{BACKUP_WEIGHTS} is not the file that {BACKUP_METADATA} "
                    "records (its SHA-256 differs)"
                )
            model.load_weights(weights)
            return int(metadata["epoch"])
        # Whatever fails to read it back (h5py's OSError for a truncated file, a
        # missing file or key, bad JSON) makes the backup unusable.
        except Exception as error:
            problem = f"{type(error).__name__}: {error}"
        return self._restore_checkpoint(model, problem)

    def finish(self):
        """Removes the backup: the run is finished (call after the final models)."""
        shutil.rmtree(self.paths["backup"], ignore_errors=True)

    def discard_failed_start(self):
        """After a failure: if no epoch has finished, removes what this run created
        (the folder if it created it, and the parents it created if they are
        empty, else the entries it added); otherwise keeps everything for the
        resume."""
        if os.path.exists(os.path.join(self.paths["backup"], BACKUP_METADATA)):
            return
        if self._created:
            shutil.rmtree(self._created[0], ignore_errors=True)
            for parent in self._created[1:]:
                if not os.path.isdir(parent) or os.listdir(parent):  # Used meanwhile.
                    break
                os.rmdir(parent)
            return
        if os.path.isdir(self.out):
            for name in set(os.listdir(self.out)) - self._entries_before:
                _remove(os.path.join(self.out, name))

    def _check_writable(self):
        out = self.out
        if os.path.exists(out) and not os.path.isdir(out):
            raise RunFolderError(
                "`out` should be a folder for the run's files. Received: "
                f"`out={out!r}`, which is a file."
            )
        existing = os.path.abspath(out)
        while not os.path.exists(existing):
            existing = os.path.dirname(existing)
        if not os.path.isdir(existing):
            raise RunFolderError(
                "`out` should be a folder for the run's files. Received: "
                f"`out={out!r}`, inside the file {existing!r}."
            )
        try:  # Permissions alone do not tell (root, read-only mounts, /proc).
            os.rmdir(tempfile.mkdtemp(prefix=PARTIAL_PREFIX, dir=existing))
        except OSError as error:
            raise RunFolderError(
                "`out` should be a folder that this process can write in. Received: "
                f"`out={out!r}`; creating a file in {existing!r} fails "
                f"({error.strerror})."
            ) from error

    def _finished_epochs(self):
        """The backup's finished epochs; 0 if it records none or cannot be read."""
        try:
            return int(
                _read_json(os.path.join(self.paths["backup"], BACKUP_METADATA))["epoch"]
            )
        except (OSError, ValueError, KeyError, TypeError):
            return 0

    def _check_resumable(self, requested):
        """Raises `RunFolderError` listing each setting of `requested` that differs
        from the saved `config.json`. `epochs` may change (to extend or shorten the
        run) unless it would fall below the finished epochs or the run has a
        schedule over its length (instance noise, progressive growing)."""
        config_path = os.path.join(self.out, "config.json")
        if not os.path.exists(config_path):
            return
        saved = _read_json(config_path)
        finished = self._finished_epochs()
        differences = []
        for field, value in _json_form(requested).items():
            saved_value = saved.get(field, "(not saved)")
            if field == "epochs":
                if value == saved_value:
                    continue
                if value < finished:
                    differences.append(
                        f"  epochs: saved {saved_value}, requested {value} (fewer "
                        f"than the {finished} finished epochs)"
                    )
                elif _has_run_length_schedule(saved):
                    differences.append(
                        f"  epochs: saved {saved_value}, requested {value} (instance "
                        "noise or progressive growing is scheduled over the saved "
                        "epochs)"
                    )
            elif value != saved_value:
                differences.append(
                    f"  {field}: saved {saved_value!r}, requested {value!r}"
                )
        if differences:
            raise RunFolderError(
                f"The run folder {self.out!r} holds an unfinished run ({finished} "
                f"of {saved.get('epochs')} epochs finished) with other settings "
                "than requested:\n"
                + "\n".join(differences)
                + "\nTo resume it, give the settings of its config.json again "
                f"(`epochs` may change); otherwise {CHOICES}."
            )

    def _restore_checkpoint(self, model, problem):
        backup = self.paths["backup"]
        failures = []
        for path in reversed(checkpoint_paths(self.paths["checkpoints"])):
            try:
                model.load_weights(path)
            except Exception as error:  # Unreadable, like the backup.
                failures.append((path, f"{type(error).__name__}: {error}"))
                continue
            broken = non_finite_variables(model)
            if broken:
                failures.append((path, f"NaN or Inf in {', '.join(broken[:3])}"))
                continue
            epoch = _checkpoint_epoch(path)
            write_backup(model, backup, epoch)
            for failed, _ in failures:
                os.remove(failed)
            message = (
                f"The backup in {backup!r} cannot be restored ({problem}). Resuming "
                f"from the newest good checkpoint, {path!r} (epoch {epoch})."
            )
            if failures:
                deleted = ", ".join(os.path.basename(failed) for failed, _ in failures)
                message += f" Deleted the unusable newer checkpoints: {deleted}."
            print(message, file=sys.stderr)
            return epoch
        tried = "; ".join(f"{os.path.basename(path)}: {why}" for path, why in failures)
        raise RunFolderError(
            f"Cannot resume the run in {self.out!r}: its backup cannot be restored "
            f"({problem}) and no checkpoint in {self.paths['checkpoints']!r} loads "
            f"with finite weights ({tried or 'there is none'}). To train there, "
            f"{CHOICES}."
        )

    def _clear(self):
        """Deletes the files `train` writes (`RUN_FILES`, and the temporary files of
        killed writes); other files in the folder stay."""
        for name in os.listdir(self.out):
            if name in RUN_FILES or name.startswith(PARTIAL_PREFIX):
                _remove(os.path.join(self.out, name))


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.remove(path)
