"""PBA's explore step (the paper's rule, as a property), the history a member carries, the picture."""
from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from blocks.paper.pba import parse_schedule
from blocks.rules.pba import POLICY_LENGTH
from engine.experiments.pba_policy import explore, extend_history, initial_policy, policy_table, schedule_keyframes, top
from engine.experiments.pba_search import member_index, quantile_for


class ScriptedRandom(random.Random):
    """Hands out the draws hypothesis chose, in the order explore asks for them."""

    def __init__(self, draws):
        super().__init__(0)
        self.draws = list(draws)
        self.asked = []

    def _next(self, kind):
        kind_, value = self.draws.pop(0)
        assert kind_ == kind, f"explore asked for {kind}, the script has {kind_} next"
        self.asked.append(kind)
        return value

    def random(self):
        return self._next("random")

    def randint(self, a, b):
        value = self._next("randint")
        assert (a, b) in ((0, 10), (0, 9))
        return min(b, value)

    def choice(self, seq):
        return seq[self._next("choice")]


@st.composite
def policy_and_draws(draw):
    policy = [draw(st.integers(0, top(i))) for i in range(POLICY_LENGTH)]
    draws, expected = [], []
    for i, value in enumerate(policy):
        hi = top(i)
        u = draw(st.floats(0, 1, exclude_max=True))
        draws.append(("random", u))
        if u < 0.2:  # the paper: resample with probability 0.2 from the whole range ...
            fresh = draw(st.integers(0, hi))
            draws.append(("randint", fresh))
            expected.append(fresh)
            continue
        k = draw(st.integers(0, 3))  # ... else shift by 0, 1, 2 or 3, down or up, clipped to the range
        coin = draw(st.floats(0, 1, exclude_max=True))
        draws += [("choice", k), ("random", coin)]
        expected.append(max(0, value - k) if coin < 0.5 else min(hi, value + k))
    return policy, draws, expected


@settings(max_examples=200, deadline=None)
@given(policy_and_draws())
def test_explore_follows_the_papers_rule_for_every_policy_and_draw(case):
    policy, draws, expected = case
    before = list(policy)
    rng = ScriptedRandom(draws)
    assert explore(policy, rng) == expected
    assert not rng.draws and policy == before  # every draw used, the input left alone


def test_explore_frequencies_match_the_rule():
    rng = random.Random(7)
    start = [5 if i % 2 == 0 else 4 for i in range(POLICY_LENGTH)]  # interior: no clipping at 3
    same = changed_far = total = 0
    for _ in range(2000):
        new = explore(start, rng)
        assert all(0 <= v <= top(i) for i, v in enumerate(new))
        for i, v in enumerate(new):
            total += 1
            same += v == start[i]
            changed_far += abs(v - start[i]) > 3
    # P(unchanged) = 0.8 * 1/4 + 0.2 * 1/(range size); P(moved > 3) = 0.2 * P(a fresh value lands > 3 away)
    p_same = 0.8 * 0.25 + 0.2 * 0.5 * (1 / 11 + 1 / 10)
    p_far = 0.2 * 0.5 * (len([v for v in range(11) if abs(v - 5) > 3]) / 11
                         + len([v for v in range(10) if abs(v - 4) > 3]) / 10)
    assert abs(same / total - p_same) < 0.01
    assert abs(changed_far / total - p_far) < 0.006


def test_a_members_history_is_a_schedule_the_pba_block_accepts():
    zero = initial_policy()
    rng = random.Random(0)
    first, second = explore(zero, rng), explore(zero, rng)
    history = extend_history([], 0, zero)
    assert extend_history(history, 3, zero) == history  # the same policy: no new keyframe
    history = extend_history(history, 3, first)
    history = extend_history(history, 6, second)
    assert [e for e, _ in history] == [0, 3, 6]
    # An exploited member restarts from the copied checkpoint's epoch: later keyframes go.
    assert [e for e, _ in extend_history(history, 4, second)] == [0, 3, 4]
    frames = schedule_keyframes(history, "searched")
    schedule = parse_schedule(frames, "test")
    assert schedule.policy_at(5) == tuple(first) and schedule.policy_at(6) == tuple(second)
    table = policy_table(frames, 8)
    assert table[0] == zero and table[3] == first and table[7] == second


def test_the_exploit_quantile_always_holds_a_member_and_members_are_numbered_by_trial():
    assert quantile_for(2) == 0.5 and int(2 * quantile_for(2)) == 1
    assert int(3 * quantile_for(3)) == 1 and quantile_for(16) == 0.25  # the paper's population: Ray's default
    assert member_index("a1b2c_00003") == 3 and member_index("a1b2c_00000") == 0
