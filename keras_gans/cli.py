"""The command line: `python -m keras_gans train | sample`.

python -m keras_gans train  # DCGAN on digits, offline, minutes on a CPU
python -m keras_gans train --preset mlp-ring8 --epochs 5 --out runs/ring
python -m keras_gans sample --model runs/dcgan --num 64 --out grid.png
python -m keras_gans evaluate --model runs/dcgan --metrics fid,kid,is,pr,modes
python -m keras_gans human-eval --model runs/dcgan  # a real/fake study page (T8)
python -m keras_gans reproduce pacgan-table1 --seeds 3  # a paper's table beside ours
"""

import argparse
import sys
import warnings

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
        f"  {name:<17} {preset.epochs} epochs, batch {preset.batch_size}, "
        f"{preset.dataset}: {preset.description}"
        for name, preset in presets.PRESETS.items()
    )
    return (
        f"presets:\n{preset_lines}\n\n"
        f"datasets: {', '.join(data.BUILTIN_DATASETS)} (offline), a folder of "
        f"images, or any tensorflow-datasets image dataset "
        f"({', '.join(data.TFDS_EXAMPLES)}, ...)\n\n"
        f"losses: {', '.join(gan_losses.names())}"
    )


def _probability(value):
    number = float(value)
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(
            f"expected a number in [0, 1], received {value}"
        )
    return number


def _positive_float(value):
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(
            f"expected a positive number, received {value}"
        )
    return number


# How a technique flag's value is read (`keras_gans.presets.Flag.type`).
_FLAG_TYPES = {
    "int": int,
    "float": float,
    "positive_int": _positive_int,
    "positive_float": _positive_float,
    "probability": _probability,
}


def _add_technique_flags(train):
    """One flag per `Preset` field marked with a `keras_gans.presets.Flag` (the
    fields that switch techniques on and size the networks); its default None
    keeps the preset's value."""
    group = train.add_argument_group(
        "techniques", "override the preset's networks, optimizers, penalties and tricks"
    )
    for field_name, flag in presets.technique_flags().items():
        options = {"dest": field_name, "help": flag.help}
        if flag.switch:
            options.update(action="store_true", default=None)
        else:
            if flag.repeatable:
                options["action"] = "append"
            if flag.type is not None:
                options["type"] = _FLAG_TYPES[flag.type]
            if flag.choices is not None:
                options["choices"] = list(flag.choices)
        group.add_argument(flag.name, **options)


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
    train.add_argument(
        "--epochs",
        type=_positive_int,
        help="epochs to train (default: the preset's, listed below)",
    )
    train.add_argument(
        "--steps-per-epoch",
        type=_positive_int,
        help="batches per epoch (default: one pass over the training data); with "
        "--epochs 1 a quick end-to-end check of a preset",
    )
    train.add_argument("--batch-size", type=_positive_int)
    train.add_argument(
        "--loss", type=_loss_name, help="an adversarial loss (default: the preset's)"
    )
    train.add_argument(
        "--image-size", type=_positive_int, help="resize images to this size"
    )
    train.add_argument("--out", help="the run folder (default: runs/<preset>)")
    train.add_argument(
        "--overwrite",
        action="store_true",
        help="delete the run files in --out and train afresh (without it a finished "
        "run is refused, and an unfinished one resumes only with the same flags; "
        "--epochs may change)",
    )
    train.add_argument(
        "--seed", type=int, default=0, help="seed (default 0); runs repeat exactly"
    )
    train.add_argument("--data-dir", help="tensorflow-datasets data_dir")
    train.add_argument(
        "--no-download",
        action="store_true",
        help="never download tensorflow-datasets data",
    )
    _add_technique_flags(train)
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
    sample.add_argument(
        "--out",
        help="the picture to write (default: RUN_DIR/samples/sample.png when --model "
        "is a run folder or a file in one, else ./samples.png)",
    )
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument(
        "--truncation",
        type=_positive_float,
        help="truncation trick: latents with |z| <= this (T17, BigGAN)",
    )
    _add_evaluate_parser(commands)
    _add_human_eval_parser(commands)
    _add_reproduce_parser(commands)
    return parser


def _format_warning(message, category, filename, lineno, line=None):
    """Warnings as the command line prints them: one line, without the source
    line Python would quote (`warning: exploding_gradients: ...`)."""
    return f"warning: {message}\n"


def main(argv=None):
    arguments = build_parser().parse_args(argv)
    warnings.formatwarning = _format_warning
    # Imported here so that `--help` answers without loading TensorFlow's graph
    # machinery.
    from keras_gans import training_run
    from keras_gans.callbacks import NonFiniteLossError
    from keras_gans.callbacks.failure_detector import TrainingFailureError
    from keras_gans.data import DatasetUnavailableError

    if arguments.command == "evaluate":
        return _evaluate(arguments)
    if arguments.command == "human-eval":
        return _human_eval(arguments)
    if arguments.command == "reproduce":
        return _reproduce(arguments, sys.argv[1:] if argv is None else argv)
    try:
        if arguments.command == "train":
            _, history = training_run.train(
                preset=arguments.preset,
                out=arguments.out,
                dataset=arguments.dataset,
                epochs=arguments.epochs,
                steps_per_epoch=arguments.steps_per_epoch,
                batch_size=arguments.batch_size,
                loss=arguments.loss,
                image_size=arguments.image_size,
                seed=arguments.seed,
                data_dir=arguments.data_dir,
                download=not arguments.no_download,
                strategy=arguments.strategy,
                overwrite=arguments.overwrite,
                **{
                    field: getattr(arguments, field)
                    for field in presets.technique_flags()
                    if getattr(arguments, field) is not None
                },
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
                truncation=arguments.truncation,
            )
            print(f"Wrote {path}")
    except (
        NonFiniteLossError,
        TrainingFailureError,
        DatasetUnavailableError,
        ValueError,
    ) as error:
        # On a terminal the message may follow a progress bar: give it its own line.
        newline = "\n" if sys.stdout.isatty() else ""
        print(f"{newline}error: {error}", file=sys.stderr)
        return 1
    return 0


# --- evaluate -------------------------------------------------------------------------

EVALUATION_REPORT = "evaluation.json"  # default report name (in the run folder)


def _add_evaluate_parser(commands):
    evaluate = commands.add_parser(
        "evaluate",
        help="FID, KID, IS, precision/recall, mode coverage of a trained generator",
        description=(
            "Evaluate a trained generator against a dataset's held-out split. Prints "
            "the metrics and writes a JSON report with the protocol (sample counts, "
            "feature extractor, seed)."
        ),
    )
    evaluate.add_argument(
        "--model",
        required=True,
        help="a run folder (dataset and resize read from its config.json), a GAN "
        ".keras file or a generator.keras",
    )
    evaluate.add_argument(
        "--dataset", help="the dataset to compare with (default: the run's)"
    )
    evaluate.add_argument(
        "--metrics",
        default="fid,kid",
        help="comma-separated: fid, kid, is, pr, modes (default fid,kid)",
    )
    evaluate.add_argument(
        "--num-samples",
        type=_positive_int,
        default=2_500,
        help="generated samples (default 2500)",
    )
    evaluate.add_argument(
        "--num-real-samples",
        type=_positive_int,
        help="real samples (default: the whole held-out split of a built-in "
        "dataset, capped at 10000; --num-samples otherwise)",
    )
    evaluate.add_argument(
        "--extractor",
        default="auto",
        help="auto, digits, inception-2015, inception, identity, or a .keras model "
        "giving features (auto: digits for digits and stacked_digits, identity for "
        "ring8/grid25/swiss_roll, otherwise inception-2015: the 2015 TensorFlow "
        "Inception graph of published FIDs; inception is Keras's InceptionV3, other "
        "numbers)",
    )
    evaluate.add_argument(
        "--split", default="test", help="the real split (default test)"
    )
    evaluate.add_argument(
        "--resize",
        choices=["pad", "bilinear", "nearest"],
        help="how digits were enlarged for training (default: the run's)",
    )
    evaluate.add_argument(
        "--out",
        help=f"the JSON report (default: RUN_FOLDER/{EVALUATION_REPORT}, or "
        f"./{EVALUATION_REPORT} for a file)",
    )
    evaluate.add_argument(
        "--seed", type=int, default=0, help="seed of the latents and KID subsets"
    )
    evaluate.add_argument("--data-dir", help="tensorflow-datasets data_dir")
    evaluate.add_argument(
        "--no-download",
        action="store_true",
        help="never download tensorflow-datasets data",
    )


def _evaluate(arguments):
    import os

    from keras_gans import evaluation
    from keras_gans.data import DatasetUnavailableError
    from keras_gans.metrics import FeatureExtractorUnavailableError

    out = arguments.out or (
        os.path.join(arguments.model, EVALUATION_REPORT)
        if os.path.isdir(arguments.model)
        else EVALUATION_REPORT
    )
    try:
        report = evaluation.evaluate(
            arguments.model,
            dataset=arguments.dataset,
            metrics=arguments.metrics,
            num_samples=arguments.num_samples,
            extractor=arguments.extractor,
            seed=arguments.seed,
            num_real_samples=arguments.num_real_samples,
            split=arguments.split,
            resize=arguments.resize,
            out=out,
            data_dir=arguments.data_dir,
            download=not arguments.no_download,
        )
    except (
        FeatureExtractorUnavailableError,
        DatasetUnavailableError,
        ValueError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(evaluation.format_report(report))
    print(f"Report: {out}")
    return 0


# --- human-eval (T8) ------------------------------------------------------------------


def _port(value):
    number = int(value)
    if not 0 <= number <= 65_535:
        raise argparse.ArgumentTypeError(
            f"expected a port in [0, 65535] (0: any free port), received {value}"
        )
    return number


def _add_human_eval_parser(commands):
    human_eval = commands.add_parser(
        "human-eval",
        help="a local page where people tell real from generated images (T8)",
        description=(
            "Human real/fake evaluation (T8, Salimans et al. 2016, section 4). With "
            "--model: draw a seeded, balanced study of real held-out and generated "
            "images (or resume the one in --study) and serve its page; each "
            "judgment is appended to STUDY/judgments.jsonl. With --report: write "
            "STUDY/report.json and report.md (accuracy per rater and overall, 95 % "
            "Wilson intervals). Needs: pip install 'keras-gans[human-eval]'."
        ),
    )
    source = human_eval.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--model",
        help="a run folder (dataset and resize read from its config.json), a GAN "
        ".keras file or a generator.keras",
    )
    source.add_argument(
        "--report", metavar="DIR", help="write the report of the study in DIR"
    )
    human_eval.add_argument(
        "--dataset", help="the dataset of the real images (default: the run's)"
    )
    human_eval.add_argument(
        "--num",
        type=_positive_int,
        default=100,
        help="images, an even number: half real, half generated (default 100)",
    )
    human_eval.add_argument(
        "--seed", type=int, default=0, help="seed of the image set (default 0)"
    )
    human_eval.add_argument(
        "--feedback",
        action="store_true",
        help="show the truth after each choice, as in the paper",
    )
    human_eval.add_argument(
        "--port", type=_port, default=8000, help="default 8000; 0: any free port"
    )
    human_eval.add_argument(
        "--host",
        default="127.0.0.1",
        help="default 127.0.0.1 (this machine only); 0.0.0.0 serves the network",
    )
    human_eval.add_argument(
        "--study",
        metavar="DIR",
        help="the study folder (default: RUN_DIR/human_eval); the same folder "
        "resumes a study",
    )


def _human_eval(arguments):
    import os

    from keras_gans import human_eval
    from keras_gans.data import DatasetUnavailableError

    if arguments.report:
        try:
            report = human_eval.write_report(arguments.report)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(human_eval.report.format_markdown(report))
        print(f"Wrote {os.path.join(arguments.report, human_eval.report.REPORT_JSON)}")
        return 0
    try:  # before drawing the study: say at once what to install
        from keras_gans.human_eval import server
    except ImportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    folder = arguments.study or human_eval.default_study_folder(arguments.model)
    try:
        study = human_eval.open_study(
            arguments.model,
            folder,
            dataset=arguments.dataset,
            num_images=arguments.num,
            seed=arguments.seed,
            feedback=arguments.feedback,
        )
        server.serve(
            study,
            human_eval.JudgmentLog(folder),
            host=arguments.host,
            port=arguments.port,
        )
    except (DatasetUnavailableError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


# --- reproduce ------------------------------------------------------------------------


def _add_reproduce_parser(commands):
    reproduce = commands.add_parser(
        "reproduce",
        help="rerun a paper's table and write the published row beside ours",
        description=(
            "Rerun a paper's claim for N seeds and write OUT/results.json (every "
            "seed's numbers, the budget, versions and this command), results.md "
            "(the published rows beside ours: mean ± std over seeds) and figures. "
            "--quick runs the same code at a tiny budget (seconds)."
        ),
    )
    reproduce.add_argument(
        "name", nargs="?", help="the reproduction (--list names them)"
    )
    reproduce.add_argument(
        "--list", action="store_true", help="list the reproductions and exit"
    )
    reproduce.add_argument(
        "--seeds",
        type=_positive_int,
        help="seeds 0..N-1 (default: the paper's number of trials)",
    )
    reproduce.add_argument(
        "--quick",
        action="store_true",
        help="a tiny budget: checks that it runs, gives no result",
    )
    reproduce.add_argument(
        "--out",
        help="the folder (default: reproductions/NAME); a folder holding another "
        "reproduction's results is refused",
    )
    reproduce.add_argument(
        "--steps",
        type=_positive_int,
        help="training steps per run (default: the paper's; fewer are recorded "
        "beside the paper's budget)",
    )
    reproduce.add_argument(
        "--eval-every",
        type=_positive_int,
        help="evaluate the metrics every K steps for the curves (must divide "
        "--steps; default: about 10 points per run)",
    )


def _reproduce(arguments, argv):
    import os
    import shlex

    from keras_gans import reproductions

    if arguments.list:
        for name in reproductions.names():
            module = reproductions.get(name)
            print(
                f"{name:<16} {module.TITLE} ({module.REFERENCE}); "
                f"{module.DEFAULT_SEEDS} seeds by default"
            )
        return 0
    if arguments.name is None:
        print(
            "error: name a reproduction (valid names: "
            f"{', '.join(reproductions.names())}) or pass --list",
            file=sys.stderr,
        )
        return 1
    try:
        module = reproductions.get(arguments.name)
        out = arguments.out or reproductions.default_folder(arguments.name)
        results = reproductions.run(
            arguments.name,
            seeds=arguments.seeds,
            quick=arguments.quick,
            out=out,
            steps=arguments.steps,
            eval_every=arguments.eval_every,
            command=shlex.join(["python", "-m", "keras_gans", *argv]),
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(module.markdown(results))
    print(
        f"Wrote {os.path.join(out, reproductions.RESULTS_JSON)}, "
        f"{reproductions.RESULTS_MD} and {len(results['figures'])} figures "
        f"({results['wall_time_s']:.0f} s)"
    )
    return 0
