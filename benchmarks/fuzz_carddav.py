#!/usr/bin/env python3
"""The CardDAV fuzzer for longer: thousands of examples against one real `serve`.

    python benchmarks/fuzz_carddav.py [--examples 5000] [--seed N]

Runs tests/fuzz/test_carddav_fuzz.py with CONTACTHUB_FUZZ_EXAMPLES and a seed
(random unless given; printed so that a failure can be replayed), and prints
Hypothesis's statistics: how often each method got each status.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--seed", type=int, help="replay a run (default: a random seed)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"fuzzing with {args.examples} examples, seed {seed} (replay: --seed {seed})")
    env = {
        **os.environ,
        "CONTACTHUB_FUZZ_EXAMPLES": str(args.examples),
        "CONTACTHUB_FUZZ_SEED": str(seed),
    }
    started = time.monotonic()
    code = subprocess.call(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--hypothesis-show-statistics",
            "tests/fuzz/test_carddav_fuzz.py",
        ],
        cwd=ROOT,
        env=env,
    )
    outcome = "no failure" if code == 0 else "FAILED (see above)"
    print(f"{args.examples} examples in {time.monotonic() - started:.0f} s: {outcome}")
    sys.exit(code)


if __name__ == "__main__":
    main()
