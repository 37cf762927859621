"""The command line: `python -m keras_gans train | sample`.

python -m keras_gans train  # DCGAN on digits, offline, minutes on a CPU
python -m keras_gans train --preset mlp-ring8 --epochs 5 --out runs/ring
python -m keras_gans sample --model runs/dcgan --num 64 --out grid.png
"""

import argparse
import sys

from keras_gans import data, presets
from keras_gans import losses as gan_losses

__all__ = ["main"]


def _loss_name(value):
    try:
        return gan_losses.get(value).name
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _positive_int(value):
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, received {value}"
        )
    return number


def _catalogue():
    preset_lines = "\n".join(
        f"  {name:<12} {preset.description}" for name, preset in presets.PRESETS.items()
    )
    return (
        f"presets:\n{preset_lines}\n\n"
        f"datasets: {', '.join(data.BUILTIN_DATASETS)} (offline), a folder of "
        f"images, or any tensorflow-datasets image dataset "
        f"({', '.join(data.TFDS_EXAMPLES)}, ...)\n\n"
        f"losses: {', '.join(gan_losses.names())}"
    )


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m keras_gans",
        description="GAN training techniques for Keras 3 on TensorFlow.",
        epilog=_catalogue(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser(
        "train",
        help="train a preset and write a run folder",
        description="Train a preset. Flags override the preset's fields.",
        epilog=_catalogue(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument(
        "--preset", default=presets.DEFAULT_PRESET, choices=list(presets.PRESETS)
    )
    train.add_argument(
        "--dataset", help="a dataset name or an image folder (default: the preset's)"
    )
    train.add_argument("--epochs", type=_positive_int)
    train.add_argument("--batch-size", type=_positive_int)
    train.add_argument(
        "--loss", type=_loss_name, help="an adversarial loss (default: the preset's)"
    )
    train.add_argument(
        "--image-size", type=_positive_int, help="resize images to this size"
    )
    train.add_argument("--out", help="the run folder (default: runs/<preset>)")
    train.add_argument(
        "--seed", type=int, default=0, help="seed (default 0); runs repeat exactly"
    )
    train.add_argument("--data-dir", help="tensorflow-datasets data_dir")
    train.add_argument(
        "--no-download",
        action="store_true",
        help="never download tensorflow-datasets data",
    )
    train.add_argument(
        "--strategy",
        default="default",
        choices=["default", "mirrored"],
        help="'mirrored': tf.distribute.MirroredStrategy over all visible GPUs",
    )

    sample = commands.add_parser(
        "sample", help="write a grid of samples from a trained generator"
    )
    sample.add_argument(
        "--model",
        required=True,
        help="a run folder, a generator.keras or a GAN .keras file",
    )
    sample.add_argument("--num", type=_positive_int, default=64)
    sample.add_argument("--out", default="samples.png")
    sample.add_argument("--seed", type=int, default=0)
    return parser


def main(argv=None):
    arguments = build_parser().parse_args(argv)
    # Imported here so that `--help` answers without loading TensorFlow's graph
    # machinery.
    from keras_gans import training_run
    from keras_gans.callbacks import NonFiniteLossError
    from keras_gans.data import DatasetUnavailableError

    try:
        if arguments.command == "train":
            _, history = training_run.train(
                preset=arguments.preset,
                out=arguments.out,
                dataset=arguments.dataset,
                epochs=arguments.epochs,
                batch_size=arguments.batch_size,
                loss=arguments.loss,
                image_size=arguments.image_size,
                seed=arguments.seed,
                data_dir=arguments.data_dir,
                download=not arguments.no_download,
                strategy=arguments.strategy,
            )
            out = arguments.out or f"runs/{arguments.preset}"
            print(
                f"Finished. Run folder: {out} "
                "(samples/final.png, model.keras, generator.keras)"
            )
        else:
            path = training_run.sample(
                arguments.model,
                num=arguments.num,
                out=arguments.out,
                seed=arguments.seed,
            )
            print(f"Wrote {path}")
    except (NonFiniteLossError, DatasetUnavailableError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
