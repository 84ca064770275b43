from django.core.cache import cache

from operations.counters import window_count


def test_counts_within_the_window():
    assert [window_count("c", 60) for _ in range(3)] == [1, 2, 3]


def test_a_window_that_ends_between_add_and_incr_starts_a_new_one(monkeypatch):
    real_add, calls = cache.add, []

    def add_that_still_sees_the_expired_key_once(*args, **kwargs):
        calls.append(args)
        return False if len(calls) == 1 else real_add(*args, **kwargs)

    monkeypatch.setattr(cache, "add", add_that_still_sees_the_expired_key_once)
    assert window_count("c", 60) == 1
    assert cache.get("c") == 1
