"""Reproductions of published claims: `python -m keras_gans reproduce NAME`.

One module per claim of a paper. Each states its protocol in its docstring (paper,
table, architecture, optimiser, steps, sample counts, metric definitions), runs it
for N seeds and writes a folder (default `reproductions/<name>`):

- `results.json`: every seed's numbers (and each run's curve of the metrics over
  training), the budget beside the paper's, the published rows, the wall time, the
  library, TensorFlow and Keras versions, and the exact command;
- `results.md`: the published rows beside ours (mean ± std over seeds);
- the figures (PNG) and the samples the numbers were computed from (`.npy`, or
  8-bit PNG grids of images).

`--quick` runs the same code at a tiny budget (seconds): a check that it works,
not a result.

Reproductions:

- `pacgan-table1`: PacGAN Table 1, GAN and PacGAN2-4 on the 2-D ring and grid
  (Lin et al. 2018, https://arxiv.org/abs/1712.04086).
- `improved-gan-ablation`: Improved GAN Table 3 on digits, the `improved-gan`
  recipe and the same recipe without each of its five techniques, by FID and KID
  (Salimans et al. 2016, https://arxiv.org/abs/1606.03498).
- `ssl-table1`: Improved GAN Table 1, the semi-supervised K+1 GAN with 10 labels
  per class on the digits, beside the same D on the labels alone and
  scikit-learn's graph-based baselines (Salimans et al. 2016,
  https://arxiv.org/abs/1606.03498).
- `veegan-table1`: VEEGAN Table 1, the unrolled GAN against the plain GAN on
  the 2-D ring and grid (Srivastava et al. 2017,
  https://arxiv.org/abs/1705.07761; Metz et al. 2017,
  https://arxiv.org/abs/1611.02163).
- `stacked-digits`: PacGAN Tables 2 and 3 on stacked digits (1,000 modes), DCGAN,
  PacDCGAN2 and the unrolled GAN by modes captured and KL to uniform (Lin et al.
  2018, https://arxiv.org/abs/1712.04086; Metz et al. 2017,
  https://arxiv.org/abs/1611.02163).
- `wgan-gp-figure1`: WGAN-GP Figure 1, weight clipping against the gradient
  penalty on 8 Gaussians, 25 Gaussians and the Swiss roll: critic value
  surfaces, weights piled at ±c, and exploding or vanishing gradients in deep
  critics (Gulrajani et al. 2017, https://arxiv.org/abs/1704.00028).
- `wgan-gp-no-bn`: WGAN-GP Figure 2's "no normalization in G, constant
  filters" DCGAN generator on digits, the non-saturating GAN against WGAN-GP
  by FID, beside the standard DCGAN G as the control (Gulrajani et al. 2017,
  https://arxiv.org/abs/1704.00028).
- `fid-kid-behaviour`: Heusel et al.'s Figure A1 on digits, FID and KID of real
  digits under six disturbances at rising levels, and the sample-size bias of
  FID against the unbiased KID (Heusel et al. 2017,
  https://arxiv.org/abs/1706.08500; Bińkowski et al. 2018,
  https://arxiv.org/abs/1801.01401).
- `sn-robustness`: SNGAN Figures 1-2 on digits, spectral normalization (ours and
  Keras' layer), WGAN-GP, weight clipping and batch norm in D under the six
  optimiser settings A-F of Table 1, by the spread of FID across settings
  (Miyato et al. 2018, https://arxiv.org/abs/1802.05957).
- `single-loss`: single-loss stop_gradient training against alternating updates
  on digits for the NS-GAN, hinge and WGAN-GP losses, by FID, step time and the
  check that one backward pass gives each player its own gradient (Su Jianlin,
  https://github.com/bojone/gan; Mescheder et al. 2017,
  https://arxiv.org/abs/1705.10461).
"""

import os

from keras_gans.reproductions import (
    fid_kid_behaviour,
    improved_gan_ablation,
    pacgan_table1,
    single_loss,
    sn_robustness,
    ssl_table1,
    stacked_digits,
    veegan_table1,
    wgan_gp_figure1,
    wgan_gp_no_bn,
)
from keras_gans.reproductions._runner import (
    DEFAULT_OUT_PARENT,
    RESULTS_JSON,
    RESULTS_MD,
    Progress,
)

__all__ = [
    "REPRODUCTIONS",
    "RESULTS_JSON",
    "RESULTS_MD",
    "Progress",
    "default_folder",
    "get",
    "names",
    "run",
]

REPRODUCTIONS = {
    module.NAME: module
    for module in (
        pacgan_table1,
        improved_gan_ablation,
        ssl_table1,
        veegan_table1,
        stacked_digits,
        wgan_gp_figure1,
        wgan_gp_no_bn,
        fid_kid_behaviour,
        sn_robustness,
        single_loss,
    )
}


def names():
    """The reproductions' names, in the order `--list` prints them."""
    return list(REPRODUCTIONS)


def default_folder(name):
    """The folder `run` writes by default: `reproductions/<name>`."""
    return os.path.join(DEFAULT_OUT_PARENT, name)


def get(name):
    """The reproduction module called `name`.

    Raises:
        ValueError: for an unknown name; the message lists the valid ones.
    """
    if name not in REPRODUCTIONS:
        raise ValueError(
            f"Unknown reproduction {name!r}. Valid names: {', '.join(names())} "
            "(`python -m keras_gans reproduce --list` describes them)."
        )
    return REPRODUCTIONS[name]


def run(
    name,
    seeds=None,
    quick=False,
    out=None,
    steps=None,
    eval_every=None,
    command=None,
    progress=None,
):
    """Runs the reproduction `name` and writes its folder; returns its results.

    Args:
        name: One of `names()`.
        seeds: Positive number of seeds (default: the paper's number of trials).
        quick: The same code at a tiny budget (seconds).
        out: The folder (default `reproductions/<name>`); one holding another
            reproduction's results is refused.
        steps: Training steps per run (default: the paper's).
        eval_every: Evaluate the metrics every this many steps (the curve).
        command: The command line recorded in `results.json` (default: this
            process's).
        progress: A `Progress` for the progress line (default: on stdout).

    Raises:
        ValueError: for an unknown name, a non-positive number of seeds, a budget
            the reproduction cannot run, or an `out` holding another
            reproduction's results.
    """
    from keras_gans.reproductions import _runner

    return _runner.run(
        get(name),
        seeds=seeds,
        quick=quick,
        out=out or default_folder(name),
        steps=steps,
        eval_every=eval_every,
        command=command,
        progress=progress,
    )
