"""Image sources that live outside the package: tensorflow-datasets and image folders.

tensorflow-datasets downloads a dataset once into its `data_dir` (by default
`~/tensorflow_datasets`). Without a network, and with the data not prepared there,
loading fails with `DatasetUnavailableError`, which names the dataset, the folder it
looked in and how to prepare it elsewhere. Before downloading, a connection to the
dataset's download hosts is tried with a short timeout, so an offline machine gets
that error in seconds rather than after tensorflow-datasets' retries (minutes).

An image folder is checked before training: every file is decoded once (in
parallel), so an unreadable file is named at load time; a folder with fewer images
than a batch, or without class subfolders when labels are asked for, is refused
with the reason.
"""

import os
import socket
import threading
import urllib.parse
import urllib.request

import tensorflow as tf

__all__ = ["DatasetUnavailableError", "from_directory", "from_tfds"]

_SHUFFLE_BUFFER = 10_000
# Seconds to wait for a connection to a download host before calling it unreachable.
NETWORK_CHECK_TIMEOUT = 5.0
# The file types an image folder is read for (those of
# `keras.utils.image_dataset_from_directory`).
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
# How many undecodable files an error names.
MAX_NAMED_FILES = 5


class DatasetUnavailableError(RuntimeError):
    """A dataset is neither on disk nor downloadable from here."""


def _unavailable_message(name, data_dir, reason):
    return (
        f"The tensorflow-datasets dataset {name!r} is not prepared in data_dir "
        f"{data_dir!r} and {reason}. On a machine with a network, prepare it with\n"
        f'    python -c "import tensorflow_datasets as tfds; '
        f"tfds.builder('{name}', data_dir='DIR').download_and_prepare()\"\n"
        f"then copy DIR to this machine and pass `data_dir=DIR` "
        f"(command line: --data-dir DIR)."
    )


def _connection_error(host, timeout=NETWORK_CHECK_TIMEOUT):
    """None when a TCP connection to `host` (port 443) opens within `timeout`
    seconds; otherwise why not, as text. The name lookup counts in the timeout."""
    outcome = []

    def connect():
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            outcome.append(None)
        except OSError as error:
            outcome.append(str(error) or type(error).__name__)

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(timeout)
    return outcome[0] if outcome else f"no connection within {timeout:g} s"


def _unreachable_download_host(builder):
    """`(host, reason)` for the first download host of a tfds builder that cannot
    be reached, else None (also when the hosts are unknown or a proxy is set, which
    this check cannot see through)."""
    if any(scheme in urllib.request.getproxies() for scheme in ("https", "all")):
        return None
    hosts = sorted(
        {urllib.parse.urlsplit(url).hostname for url in builder.url_infos or ()}
        - {None}
    )
    for host in hosts:
        reason = _connection_error(host)
        if reason is not None:
            return host, reason
    return None


def _image_and_label_keys(features, name):
    import tensorflow_datasets as tfds

    image_keys = [k for k, f in features.items() if isinstance(f, tfds.features.Image)]
    if not image_keys:
        raise ValueError(
            f"The tensorflow-datasets dataset {name!r} has no image feature "
            f"(features: {sorted(features)}); keras_gans trains on images."
        )
    image_key = "image" if "image" in image_keys else image_keys[0]
    has_label = "label" in features and isinstance(
        features["label"], tfds.features.ClassLabel
    )
    label_key = "label" if has_label else None
    return image_key, label_key


def from_tfds(
    name,
    split="train",
    batch_size=64,
    shuffle=True,
    seed=None,
    image_size=None,
    with_labels=False,
    data_dir=None,
    download=True,
    num_classes=None,
):
    """A tensorflow-datasets image dataset as a batched pipeline in [-1, 1].

    Args:
        name: A tensorflow-datasets name with an image feature (mnist, fashion_mnist,
            cifar10, celeb_a, svhn_cropped, ...).
        split: A tfds split string ("train", "test", "train[:10%]", ...).
        image_size: Resize to `image_size x image_size` (bilinear, antialiased).
        with_labels: Yield `(images, labels)` (the dataset needs a "label" feature).
        data_dir: Where tfds keeps its data; default `~/tensorflow_datasets`.
        download: Download and prepare the dataset if it is not in `data_dir`.
        num_classes: With labels: the classes the model has; a dataset with more
            classes is refused.

    Raises:
        ValueError: for a name tensorflow-datasets does not know, or more classes
            than `num_classes`.
        DatasetUnavailableError: when the data is not prepared and cannot be
            downloaded (a download host that does not answer within
            `NETWORK_CHECK_TIMEOUT` seconds counts as offline).
    """
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError as error:
        raise ValueError(
            f"Unknown dataset {name!r}: it is not a keras_gans built-in, a folder, "
            "or a tensorflow-datasets dataset (see `tfds.list_builders()`)."
        ) from error
    if not builder.is_prepared():
        if not download:
            raise DatasetUnavailableError(
                _unavailable_message(
                    name, builder.data_dir, "downloading is turned off"
                )
            )
        unreachable = _unreachable_download_host(builder)
        if unreachable is not None:
            host, reason = unreachable
            raise DatasetUnavailableError(
                _unavailable_message(
                    name,
                    builder.data_dir,
                    f"its download host {host} cannot be reached ({reason})",
                )
            )
        try:
            builder.download_and_prepare()
        except (
            Exception
        ) as error:  # Any network or storage failure: say what is missing.
            raise DatasetUnavailableError(
                _unavailable_message(
                    name, builder.data_dir, f"downloading it failed ({error!s:.200})"
                )
            ) from error
    image_key, label_key = _image_and_label_keys(builder.info.features, name)
    if with_labels and label_key is None:
        raise ValueError(
            f"The dataset {name!r} has no 'label' feature; use with_labels=False."
        )
    if with_labels and num_classes is not None:
        dataset_classes = builder.info.features[label_key].num_classes
        if dataset_classes > num_classes:
            raise ValueError(
                f"The dataset {name!r} has {dataset_classes} classes (labels in "
                f"[0, {dataset_classes})); the model has `num_classes={num_classes}`."
            )

    def to_example(example):
        images = tf.cast(example[image_key], tf.float32) / 127.5 - 1.0
        if image_size is not None:
            images = tf.clip_by_value(
                tf.image.resize(images, (image_size, image_size), antialias=True),
                -1.0,
                1.0,
            )
        if with_labels:
            return images, tf.cast(example[label_key], tf.int32)
        return images

    dataset = builder.as_dataset(
        split=split,
        shuffle_files=shuffle,
        read_config=tfds.ReadConfig(shuffle_seed=seed),
    )
    dataset = dataset.map(to_example, num_parallel_calls=tf.data.AUTOTUNE)
    if shuffle:
        dataset = dataset.shuffle(
            _SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True
        )
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def _top_level_images(path):
    return [
        entry
        for entry in os.listdir(path)
        if entry.lower().endswith(IMAGE_EXTENSIONS)
        and os.path.isfile(os.path.join(path, entry))
    ]


def _check_class_folders(path):
    """Labels come from subfolders: refuse a folder that has none."""
    if any(os.path.isdir(os.path.join(path, entry)) for entry in os.listdir(path)):
        return
    raise ValueError(
        f"Labels (a conditional model) come from class subfolders, and folder "
        f"{path!r} has none: it holds {len(_top_level_images(path))} images at its "
        f"top level. Put each class's images in a subfolder of its own ({path}/0/, "
        f"{path}/1/, ...; the sorted subfolder names are labels 0, 1, ...), or "
        "train an unconditional model (e.g. --preset dcgan)."
    )


def _undecodable(file_paths, channels):
    """The files of `file_paths` that TensorFlow cannot decode as images (the
    decoding `keras.utils.image_dataset_from_directory` does), decoded in parallel.
    """

    def decode(file_path):
        image = tf.io.decode_image(
            tf.io.read_file(file_path), channels=channels, expand_animations=False
        )
        # The shape is returned so that the decoding is not pruned from the graph.
        return file_path, tf.shape(image)

    decoded = (
        tf.data.Dataset.from_tensor_slices(list(file_paths))
        .map(decode, num_parallel_calls=tf.data.AUTOTUNE)
        .ignore_errors()
    )
    readable = {file_path.decode() for file_path, _ in decoded.as_numpy_iterator()}
    return [file_path for file_path in file_paths if file_path not in readable]


def _check_files(path, file_paths, channels, batch_size):
    if batch_size > len(file_paths):
        raise ValueError(
            f"Batches of {batch_size} images need at least {batch_size} images; "
            f"folder {path!r} holds {len(file_paths)}, so no full batch exists (the "
            "last incomplete batch is dropped). Use a smaller batch size "
            "(command line: --batch-size) or add images."
        )
    unreadable = _undecodable(file_paths, channels)
    if unreadable:
        named = ", ".join(map(repr, unreadable[:MAX_NAMED_FILES]))
        more = " ..." if len(unreadable) > MAX_NAMED_FILES else ""
        raise ValueError(
            f"{len(unreadable)} of the {len(file_paths)} files of image folder "
            f"{path!r} cannot be decoded as images (corrupt, truncated or not an "
            f"image): {named}{more}. Remove or replace them."
        )


def from_directory(
    path,
    batch_size=64,
    shuffle=True,
    seed=None,
    image_size=64,
    channels=3,
    with_labels=False,
    num_classes=None,
):
    """A folder of images (png, jpg, bmp, gif) as a batched pipeline in [-1, 1].

    With `with_labels=True` each subfolder is a class
    (`keras.utils.image_dataset_from_directory`; sorted names are labels 0, 1,
    ...), and with `num_classes` there may be at most that many. Every file is
    decoded once before the pipeline is returned, so a file that cannot be read
    fails here, by name, instead of in the middle of training.

    Raises:
        ValueError: for a missing folder, no images, fewer images than
            `batch_size`, a file that cannot be decoded, no class subfolders (with
            labels) or more of them than `num_classes`.
    """
    import keras

    if not os.path.isdir(path):
        raise ValueError(f"Image folder not found: {path!r}.")
    color_mode = {1: "grayscale", 3: "rgb", 4: "rgba"}.get(channels)
    if color_mode is None:
        raise ValueError(
            f"`channels` should be 1, 3 or 4. Received: `channels={channels}`."
        )
    if with_labels:
        _check_class_folders(path)
    try:
        dataset = keras.utils.image_dataset_from_directory(
            path,
            labels="inferred" if with_labels else None,
            batch_size=None,
            image_size=(image_size, image_size),
            color_mode=color_mode,
            shuffle=False,
            verbose=False,
        )
    except ValueError as error:
        raise ValueError(f"No usable images in folder {path!r}: {error}") from error
    if with_labels and num_classes is not None:
        if len(dataset.class_names) > num_classes:
            raise ValueError(
                f"Folder {path!r} has {len(dataset.class_names)} class subfolders "
                f"({', '.join(dataset.class_names)}), labels in "
                f"[0, {len(dataset.class_names)}); the model has "
                f"`num_classes={num_classes}`."
            )
    _check_files(path, dataset.file_paths, channels, batch_size)

    def scale(*element):
        images = element[0] / 127.5 - 1.0
        return (images, tf.cast(element[1], tf.int32)) if with_labels else images

    dataset = dataset.map(scale, num_parallel_calls=tf.data.AUTOTUNE)
    if shuffle:
        dataset = dataset.shuffle(
            _SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True
        )
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
