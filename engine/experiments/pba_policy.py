"""PBA's search moves on a policy, and the schedule a search leaves behind.

A policy is the 60 integers of :mod:`blocks.rules.pba`: even positions are probabilities
(0..10 tenths), odd ones magnitudes (0..9). The search (Ho et al., ICML 2019, section 3.2,
and the reference's ``pba/search.py``) starts every member from the all-zero policy; at
each perturbation the worse members copy a better one's weights and policy (exploit) and
then *explore*: every integer is, with probability 0.2, drawn afresh from its whole range,
otherwise moved up or down (a fair coin) by 0, 1, 2 or 3 (equally likely) and clipped to
its range.

A member carries its *history*, the (epoch, policy) keyframes it trained with, inside its
checkpoint; a member that copies another takes that history and appends its new policy.
The best member's history at the end is the schedule, in the file format ``paper.pba``
reads: ``[{"epoch": 0, "policy": [...]}, ...]``.
"""
from __future__ import annotations

import random

from blocks.rules.pba import MAX_MAGNITUDE, MAX_PROBABILITY, POLICY_LENGTH

RESAMPLE_PROBABILITY = 0.2
SHIFTS = (0, 1, 2, 3)


def top(index: int) -> int:
    """The largest value position ``index`` may hold (10 for probabilities, 9 for magnitudes)."""
    return MAX_PROBABILITY if index % 2 == 0 else MAX_MAGNITUDE


def initial_policy() -> list[int]:
    return [0] * POLICY_LENGTH


def explore(policy, rng: random.Random) -> list[int]:
    """One explore step of the PBA paper on ``policy`` (a new list; ``policy`` is not changed)."""
    if len(policy) != POLICY_LENGTH:
        raise ValueError(f"a PBA policy has {POLICY_LENGTH} integers; this one has {len(policy)}")
    out = []
    for i, value in enumerate(policy):
        hi = top(i)
        if rng.random() < RESAMPLE_PROBABILITY:
            out.append(rng.randint(0, hi))
            continue
        amount = rng.choice(SHIFTS)
        out.append(max(0, value - amount) if rng.random() < 0.5 else min(hi, value + amount))
    return out


def extend_history(history: list, epoch: int, policy) -> list:
    """``history`` with ``policy`` in force from ``epoch`` on (a new keyframe only when it changed)."""
    policy = [int(v) for v in policy]
    kept = [[e, p] for e, p in history if e < epoch]
    if kept and kept[-1][1] == policy:
        return kept
    return [*kept, [epoch, policy]]


def schedule_keyframes(history: list, note: str = "") -> list[dict]:
    """The file format ``paper.pba`` reads; the first keyframe carries ``note``."""
    out = [{"epoch": int(e), "policy": [int(v) for v in p]} for e, p in history]
    if out and note:
        out[0]["note"] = note
    return out


def policy_table(keyframes: list[dict], epochs: int) -> list[list[int]]:
    """The policy in force at every epoch 0..epochs-1 (all zeros before the first keyframe)."""
    frames = sorted((k["epoch"], k["policy"]) for k in keyframes)
    out, current = [], initial_policy()
    for epoch in range(epochs):
        for start, policy in frames:
            if start <= epoch:
                current = list(policy)
        out.append(list(current))
    return out
