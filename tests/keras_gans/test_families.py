"""The model-family registry: every preset has one family, names are checked, and
the command line's technique flags are the flag-marked `Preset` fields."""

import dataclasses

import pytest

from keras_gans import cli, families, presets
from keras_gans.families import Family

pytestmark = pytest.mark.tensorflow_only

EXPECTED_FAMILIES = {
    "cgan": "conditional",
    "acgan": "conditional",
    "pseudo-labels": "conditional",
    "biggan-lite": "conditional",
    "semi-supervised": "semi-supervised",
    "lapgan": "lapgan",
    "progressive": "progressive",
    "coarse-to-refine": "coarse-to-refine",
    "ss-gan": "self-supervised",
    "dcgan": "gan",
    "gumbel-markov": "gan",
    "mlp-ring8": "gan",
}


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_every_preset_belongs_to_exactly_one_family(name):
    preset = presets.get(name)
    family = families.for_preset(preset)
    assert isinstance(family, Family) and family.name in families.names()
    # No precedence decides for a shipped preset: exactly one family other than
    # the plain GAN (which takes every preset) takes it, or none does.
    specific = [
        other.name
        for other in families.FAMILIES
        if other.name != "gan" and other.takes(preset)
    ]
    assert specific == ([] if family.name == "gan" else [family.name])


@pytest.mark.parametrize("name,family", sorted(EXPECTED_FAMILIES.items()))
def test_presets_map_to_their_papers_family(name, family):
    assert families.for_preset(presets.get(name)).name == family


def test_family_names_are_unique_and_get_returns_each():
    names = families.names()
    assert len(names) == len(set(names)) == len(families.FAMILIES)
    for family in families.FAMILIES:
        assert families.get(family.name) is family
    assert families.FAMILIES[-1].name == "gan"  # the fallback is asked last


def test_an_unknown_family_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="Unknown model family 'nope'") as error:
        families.get("nope")
    for name in families.names():
        assert name in str(error.value)


def test_labels_per_class_selects_the_semi_supervised_family_first():
    preset = dataclasses.replace(presets.get("dcgan"), labels_per_class=5)
    assert families.for_preset(preset).name == "semi-supervised"


def test_a_run_config_names_its_family():
    assert families.for_config({}).name == "gan"
    assert families.for_config({"dataset": "digits"}).name == "gan"
    config = dataclasses.asdict(presets.get("coarse-to-refine"))
    assert families.for_config({**config, "seed": 0}).name == "coarse-to-refine"
    assert families.for_config({"num_classes": 10}).name == "conditional"
    assert families.for_run({}, model=None).name == "gan"


def test_only_inpainting_refuses_the_latent_sample_metrics():
    refusing = [f.name for f in families.FAMILIES if f.evaluation_refusal]
    assert refusing == ["coarse-to-refine"]
    assert [f.name for f in families.FAMILIES if not f.samples_from_latents] == [
        "coarse-to-refine"
    ]
    assert [f.name for f in families.FAMILIES if f.schedules_over_run] == [
        "progressive"
    ]


def _technique_group(parser):
    train = parser._subparsers._group_actions[0].choices["train"]
    (group,) = [g for g in train._action_groups if g.title == "techniques"]
    return group


def test_cli_technique_flags_are_the_flag_marked_preset_fields():
    marked = {
        field.name: field.metadata[presets.FLAG]
        for field in dataclasses.fields(presets.Preset)
        if presets.FLAG in field.metadata
    }
    assert marked == presets.technique_flags()
    group = _technique_group(cli.build_parser())
    flags = {action.dest: action.option_strings for action in group._group_actions}
    assert flags == {name: [flag.name] for name, flag in marked.items()}


def test_cli_flags_keep_their_names_and_reach_the_preset_fields():
    parser = cli.build_parser()
    arguments = parser.parse_args(
        [
            "train",
            "--penalty",
            "gp",
            "--penalty",
            "r1",
            "--ema",
            "0.99",
            "--d-lr",
            "1e-3",
            "--feature-matching",
            "--d-normalization",
            "spectral",
            "--unrolled-steps",
            "0",
        ]
    )
    assert arguments.penalties == ["gp", "r1"]
    assert arguments.generator_ema == 0.99 and arguments.d_learning_rate == 1e-3
    assert arguments.feature_matching is True
    assert arguments.single_loss is None  # unset switches keep the preset's value
    assert arguments.discriminator_normalization == "spectral"
    for bad in (["--ema", "1.5"], ["--packing", "0"], ["--optimizer", "sgd"]):
        with pytest.raises(SystemExit):
            parser.parse_args(["train", *bad])
