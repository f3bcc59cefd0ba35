"""OpenMP threads on a 2-core machine: 1 or 2 threads, spinning or sleeping waits, idle or with a neighbour.

A chapter's small steps (a 10-input MLP on 5,000 rows, as in chapter 6's autoencoder demo) are timed
in a fresh Python process for each setting, because OpenMP reads ``OMP_WAIT_POLICY`` once, when torch
loads it:

* threads 1 or 2, policy default (threads spin for a while as they wait) or PASSIVE (they sleep);
* with the machine otherwise idle, and with one competing process that keeps one core busy, which is
  what a browser, a second notebook or a CI neighbour does to a reader's 2-core machine.

What it showed here (noisy, shared machine): idle, 2 default threads were the fastest and PASSIVE made
2 threads 2-3x slower on these tiny ops; with a busy neighbour, 2 default threads fell to a fraction of
1 thread's speed (4x with one busy loop, over 20x under a book build). One thread was never far from the
best, which is why chapters 4 and 7, all small steps, call ``torch.set_num_threads(1)``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

from benchmarks.common import Row

_STEPS = r"""
import time, torch, torch.nn.functional as F
from torch import nn
torch.set_num_threads({threads})
torch.manual_seed(0)
x = (torch.rand(5000, 10) < 0.3).float()
net = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 10))
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
def run(n):
    for _ in range(n):
        loss = F.binary_cross_entropy_with_logits(net(x), x)
        opt.zero_grad(); loss.backward(); opt.step()
run(20)
t0 = time.perf_counter(); run({steps}); print(time.perf_counter() - t0)
"""


def _time(threads: int, policy: str | None, steps: int) -> float:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if policy:
        env["OMP_WAIT_POLICY"] = policy
    out = subprocess.run([sys.executable, "-c", _STEPS.format(threads=threads, steps=steps)], env=env,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[Row]:
    steps = 50 if quick else 200
    rows = []
    for load in ("idle", "one core busy"):
        busy = None
        if load != "idle":
            busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            time.sleep(0.5)
        try:
            for policy in (None, "PASSIVE"):
                for threads in (1, 2):
                    s = _time(threads, policy, steps)
                    rows.append(Row("OpenMP wait policy", f"{load}, {threads} thread(s), "
                                    f"OMP_WAIT_POLICY={policy or 'default'}", steps / s, "steps/s",
                                    f"{steps} Adam steps of a 10-32-10 MLP on 5,000 rows"))
        finally:
            if busy is not None:
                busy.kill()
                busy.wait()
    return rows
