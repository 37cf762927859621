"""Image sources that live outside the package: tensorflow-datasets and image folders.

tensorflow-datasets downloads a dataset once into its `data_dir` (by default
`~/tensorflow_datasets`). Without a network, and with the data not prepared there,
loading fails with `DatasetUnavailableError`, which names the dataset, the folder it
looked in and how to prepare it elsewhere.
"""

import os

import tensorflow as tf

__all__ = ["DatasetUnavailableError", "from_directory", "from_tfds"]

_SHUFFLE_BUFFER = 10_000


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

    Raises:
        ValueError: for a name tensorflow-datasets does not know.
        DatasetUnavailableError: when the data is not prepared and cannot be downloaded.
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


def from_directory(
    path,
    batch_size=64,
    shuffle=True,
    seed=None,
    image_size=64,
    channels=3,
    with_labels=False,
):
    """A folder of images (png, jpg, bmp, gif) as a batched pipeline in [-1, 1].

    With `with_labels=True` each subfolder is a class
    (`keras.utils.image_dataset_from_directory`).
    """
    import keras

    if not os.path.isdir(path):
        raise ValueError(f"Image folder not found: {path!r}.")
    color_mode = {1: "grayscale", 3: "rgb", 4: "rgba"}.get(channels)
    if color_mode is None:
        raise ValueError(
            f"`channels` should be 1, 3 or 4. Received: `channels={channels}`."
        )
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

    def scale(*element):
        images = element[0] / 127.5 - 1.0
        return (images, tf.cast(element[1], tf.int32)) if with_labels else images

    dataset = dataset.map(scale, num_parallel_calls=tf.data.AUTOTUNE)
    if shuffle:
        dataset = dataset.shuffle(
            _SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True
        )
    return dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
