"""Checkers for the exercises of chapter 12 (results and summary)."""
from __future__ import annotations

import math

import torch

from arlib.book.results import noise_floor
from arlib.data import load_binarized_mnist
from arlib.exercises import ExerciseError, passed
from arlib.models import FVSBN
from arlib.train import fit

__all__ = ["check_conversions", "check_binarize", "check_noise_floor", "check_log_conditionals",
           "check_sequential_steps", "evaluation_zoo", "check_evaluation_zoo"]


def check_conversions(mnist_bits_per_dim: float, cifar_nats_per_image: float) -> str:
    """The lecture's 81.30 nats on binarized MNIST in bits/dim, and its 3.00 bits/dim on CIFAR-10 in nats per image."""
    b_true = 81.30 / (784 * math.log(2))
    n_true = 3.00 * 32 * 32 * 3 * math.log(2)
    if not math.isclose(mnist_bits_per_dim, b_true, rel_tol=2e-3):
        hint = ""
        if math.isclose(mnist_bits_per_dim, 81.30 / 784, rel_tol=2e-3):
            hint = " That is nats per dimension: divide by ln 2 as well."
        elif math.isclose(mnist_bits_per_dim, 81.30 / math.log(2), rel_tol=2e-3):
            hint = " That is bits per image: divide by the 784 dimensions as well."
        raise ExerciseError(f"81.30 nats per MNIST image is {b_true:.4f} bits/dim, not {mnist_bits_per_dim}.{hint}")
    if not math.isclose(cifar_nats_per_image, n_true, rel_tol=2e-3):
        hint = ""
        if math.isclose(cifar_nats_per_image, 3.00 * 1024 * math.log(2), rel_tol=2e-3):
            hint = " A CIFAR-10 image has 32 x 32 pixels x 3 colour channels = 3072 dimensions."
        elif math.isclose(cifar_nats_per_image, 3.00 * 3072 / math.log(2), rel_tol=2e-3):
            hint = " Bits to nats: multiply by ln 2 (a bit is ln 2 = 0.693 nats)."
        raise ExerciseError(f"3.00 bits/dim on CIFAR-10 is {n_true:.0f} nats per image, not {cifar_nats_per_image}.{hint}")
    return passed(f"{b_true:.4f} bits/dim and {n_true:.0f} nats per image: the same unit, very different data")


def check_binarize(fn) -> str:
    """``fn(grey, scheme, generator)``: ``"threshold"`` gives 1 where g > 1/2; ``"sample"`` gives x ~ Bernoulli(g)
    drawn with ``generator`` (so that the same seed gives the same bits)."""
    grey = torch.tensor([[0.0, 0.25, 0.5, 0.75, 1.0, 0.5001, 0.4999]])
    got = torch.as_tensor(fn(grey, "threshold", None)).float()
    want = torch.tensor([[0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0]])
    if got.shape != want.shape or not torch.equal(got, want):
        raise ExerciseError(f"threshold of {grey.tolist()[0]} should be {want.tolist()[0]} (1 where g > 1/2), "
                            f"got {got.tolist()}")
    g = torch.full((20000,), 0.3)
    a = torch.as_tensor(fn(g, "sample", torch.Generator().manual_seed(0))).float()
    b = torch.as_tensor(fn(g, "sample", torch.Generator().manual_seed(0))).float()
    if not torch.all((a == 0) | (a == 1)):
        raise ExerciseError("sampled images must hold 0s and 1s only")
    if not torch.equal(a, b):
        raise ExerciseError("two calls with generators of the same seed gave different bits: draw the uniform "
                            "numbers with generator=generator")
    if abs(a.mean().item() - 0.3) > 0.02:
        raise ExerciseError(f"with g = 0.3 about 30% of the bits should be 1, got {a.mean().item():.1%}: "
                            "x = 1 when u < g for u uniform in [0, 1)")
    edge = torch.as_tensor(fn(torch.tensor([0.0, 1.0]).repeat(1000), "sample", torch.Generator().manual_seed(1))).float()
    if not torch.equal(edge, torch.tensor([0.0, 1.0]).repeat(1000)):
        raise ExerciseError("a grey level of 0 must always give 0 and a grey level of 1 always 1")
    return passed("fixed once = one call with a fixed seed; re-sampled = a new call every epoch; thresholded = g > 1/2")


def check_noise_floor(fn) -> str:
    """``fn(grey)``: per image, sum_i H(Bernoulli(g_i)) in nats, for grey images ``(N, ...)``."""

    grey = torch.tensor([[0.0, 1.0, 0.5, 0.25], [0.5, 0.5, 0.5, 0.5], [0.1, 0.9, 0.0, 0.0]])
    truth = noise_floor(grey)
    got = torch.as_tensor(fn(grey), dtype=torch.float64).flatten()
    if got.shape != truth.shape:
        raise ExerciseError(f"expected one number per image ({truth.numel()}), got shape {tuple(got.shape)}")
    if torch.isnan(got).any():
        raise ExerciseError("you got NaN: 0 log 0 counts as 0 (a pixel that is surely 0 or 1 adds no entropy); "
                            "use torch.special.xlogy or clamp")
    if not torch.allclose(got, truth, atol=1e-6):
        hint = ""
        if torch.allclose(got, truth / math.log(2), atol=1e-6):
            hint = " You computed bits (log2); the book's NLLs are in nats (natural log)."
        raise ExerciseError(f"for the grey images {grey.tolist()} the entropies are {truth.tolist()} nats, "
                            f"got {got.tolist()}.{hint}")
    return passed("H(g) = -g ln g - (1 - g) ln(1 - g) per pixel, summed over the pixels")


def check_log_conditionals(fn, model, x: torch.Tensor) -> str:
    """``fn(model, x)``: the log p(x_i | x_<i) of every pixel, shape ``(B, 784)``, for a binary model; their
    sum must be ``model.log_prob(x)``."""
    with torch.no_grad():
        got = torch.as_tensor(fn(model, x)).double()
        truth = model.log_prob(x).double()
    if got.shape != (x.shape[0], model.D):
        raise ExerciseError(f"expected one log-conditional per image and pixel, shape {(x.shape[0], model.D)}, "
                            f"got {tuple(got.shape)}")
    if (got > 1e-6).any():
        raise ExerciseError("a log-probability of a binary value is <= 0; some of yours are positive")
    if not torch.allclose(got.sum(1), truth, atol=1e-3):
        with torch.no_grad():
            p1 = torch.sigmoid(model(x.to(model.dtype))).flatten(1).double()
        hint = ""
        if torch.allclose(got, torch.log(p1), atol=1e-4):
            hint = " You took log p(x_i = 1 | x_<i) for every pixel; use log(1 - p) where x_i = 0."
        raise ExerciseError(f"your log-conditionals sum to {got.sum(1)[0].item():.3f} for the first image, "
                            f"but log_prob gives {truth[0].item():.3f}.{hint}")
    return passed("log p(x) = sum_i log p(x_i | x_<i): exact, from one pass")


def check_sequential_steps(naive_pixelcnn: int, cached_pixelcnn: int, latent: int) -> str:
    """Sequential steps to sample one 32 x 32 RGB image (R -> G -> B per pixel): naive PixelCNN (full passes),
    the cached PixelCNN sampler (sequential draws), and a latent-variable decoder p(x | z) (one pass)."""
    D = 32 * 32 * 3
    wrong = []
    if naive_pixelcnn != D:
        wrong.append(f"naive PixelCNN: {D} full passes (one per value: 32 x 32 pixels x 3 channels), not {naive_pixelcnn}")
    if cached_pixelcnn != D:
        wrong.append(f"cached sampler: still {D} sequential draws (each value needs the ones before it); "
                     f"caching makes each step cheap, not fewer, not {cached_pixelcnn}")
    if latent != 1:
        wrong.append(f"latent-variable model: 1 pass of the decoder after drawing z (the pixels are independent given z), "
                     f"not {latent}")
    if wrong:
        raise ExerciseError("; ".join(wrong))
    return passed(f"{D}, {D} and 1: ancestral sampling of an autoregressive model is sequential in the dimensions")


# ---- exercise 6: a bug zoo of evaluations ------------------------------------------------------------------


def evaluation_zoo(n_train: int = 1000, n: int = 400) -> tuple[FVSBN, dict]:
    """Exercise 6: an FVSBN trained (over-trained) on the first ``n_train`` training images, and the "test
    sets" of four evaluation routines, ``n`` images each: name -> (images, overlaps the training images?).
    Two are what public code has shipped: the training images under another name, and a mix of both."""
    train = load_binarized_mnist("train", n=n_train)
    model = FVSBN(784)
    fit(model, train, epochs=10, batch_size=100, lr=3e-2, seed=0, progress=False)
    test = load_binarized_mnist("test", n=2 * n)
    valid = load_binarized_mnist("valid", n=n)
    g = torch.Generator().manual_seed(0)
    mixed = torch.cat([test[n : n + n // 2], train[: n - n // 2]])[torch.randperm(n, generator=g)]
    zoo = {
        "the test split": (test[:n], False),
        "the validation split": (valid, False),
        "training images loaded as 'test'": (train[torch.randperm(n_train, generator=g)[:n]], True),
        "test and training images shuffled together": (mixed, True),
    }
    return model.eval(), zoo


def check_evaluation_zoo(suspicious) -> str:
    """Exercise 6: ``suspicious(model, images) -> bool`` must say, for each "test set" of ``evaluation_zoo``,
    whether it overlaps the images the model was trained on, from the model's likelihoods alone."""
    model, zoo = evaluation_zoo()
    wrong = []
    for name, (images, truth) in zoo.items():
        try:
            got = suspicious(model, images)
        except Exception as err:  # noqa: BLE001 - report any failure of the reader's code
            raise ExerciseError(f"suspicious(model, {name!r}) raised {type(err).__name__}: {err}") from err
        if not isinstance(got, bool) and not (isinstance(got, torch.Tensor) and got.numel() == 1):
            raise ExerciseError(f"suspicious should return True or False, got {got!r} for {name!r}")
        if bool(got) != truth:
            wrong.append(f"{name!r} {'overlaps' if truth else 'does not overlap'} the training images, but "
                         f"suspicious() says it {'does not' if truth else 'does'}")
    if wrong:
        raise ExerciseError("; ".join(wrong))
    return passed("every evaluation judged right: a likelihood check catches a test set that is the training set")
