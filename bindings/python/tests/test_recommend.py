"""merx.Recommender and merx.evaluate over plain lists and dicts."""

from __future__ import annotations

import datetime as dt

import pytest

import merx

DAY = 86_400
# Two shopper groups: tees go with socks, mugs with coffee.
BASKETS = {
    "ann": ["tee", "socks"],
    "bob": ["tee", "socks", "cap"],
    "cyd": ["tee", "socks"],
    "dan": ["mug", "coffee"],
    "eve": ["mug", "coffee", "filter"],
    "fay": ["mug", "coffee"],
    "gus": ["tee"],
    "hal": ["mug"],
}


def interactions():
    return [
        {"user": user, "item": item, "timestamp": 1_700_000_000 + n * DAY}
        for n, (user, items) in enumerate(BASKETS.items())
        for item in items
    ]


@pytest.fixture(scope="module")
def recommender() -> merx.Recommender:
    return merx.Recommender.fit(interactions())


def test_for_you_follows_co_occurrence_and_leaves_out_what_was_bought(recommender):
    top = recommender.recommend_for_user("gus", 1)
    assert [r["item"] for r in top] == ["socks"]
    assert top[0]["source"] == "collaborative"
    assert isinstance(top[0]["score"], float)
    assert [r["item"] for r in recommender.recommend_for_user("hal", 1)] == ["coffee"]
    assert all(r["item"] != "tee" for r in recommender.recommend_for_user("gus", 10))


def test_filters_and_explanations(recommender):
    top = recommender.recommend_for_user("gus", 1, unavailable=["socks"], explain=1)
    assert top[0]["item"] != "socks"
    explained = recommender.recommend_for_user("gus", 1, explain=1)
    assert explained[0]["because"][0]["item"] == "tee"
    assert recommender.recommend_for_user("gus", 5, allow=["cap"])[0]["item"] == "cap"


def test_also_bought_buy_again_and_popular(recommender):
    assert recommender.also_bought("mug", 1)[0]["item"] == "coffee"
    assert all(r["item"] not in {"tee", "socks"} for r in recommender.also_bought(["tee", "socks"]))
    assert {r["item"] for r in recommender.buy_again("bob")} == {"tee", "socks", "cap"}
    assert recommender.buy_again("nobody") == []
    # An unknown user gets popular items.
    newcomer = recommender.recommend_for_user("nobody", 2)
    assert {r["source"] for r in newcomer} == {"popular"}
    assert [r["item"] for r in recommender.popular(2)] == [r["item"] for r in newcomer]


def test_save_and_load_serve_the_same(recommender):
    loaded = merx.Recommender.from_json(recommender.to_json())
    assert loaded.recommend_for_user("gus", 3) == recommender.recommend_for_user("gus", 3)
    assert loaded.config == recommender.config


def test_other_models_and_aware_datetimes():
    rows = [
        dict(row, timestamp=dt.datetime.fromtimestamp(row["timestamp"], dt.timezone.utc))
        for row in interactions()
    ]
    ease = merx.Recommender.fit(rows, config={**merx.Recommender.fit(rows).config,
                                              "model": {"kind": "ease", "l2": 10.0}})
    assert ease.config["model"]["kind"] == "ease"
    assert ease.recommend_for_user("hal", 1)[0]["item"] == "coffee"


def test_fit_refuses_empty_data():
    with pytest.raises(merx.ValidationError) as caught:
        merx.Recommender.fit([])
    assert caught.value.code == "validation_failed"


def test_evaluate():
    metrics = merx.evaluate(
        {"gus": ["socks", "cap"], "hal": ["filter", "coffee"]},
        {"gus": ["socks"], "hal": ["coffee"]},
        k=2,
        catalog_size=6,
    )
    assert metrics["users"] == 2
    assert metrics["precision"] == pytest.approx(0.5)
    assert metrics["recall"] == pytest.approx(1.0)
    assert 0 < metrics["ndcg"] < 1
    assert metrics["coverage"] == pytest.approx(4 / 6)


def test_exclude_seen_and_fill_with_popular_reach_the_core(recommender):
    # Both flags used to be sent in snake_case, which the core's camelCase request ignored, so
    # turning either off changed nothing.
    bought = set(BASKETS["bob"])
    kept_out = recommender.recommend_for_user("bob", 10, fill_with_popular=False)
    assert not bought & {r["item"] for r in kept_out}
    let_through = recommender.recommend_for_user(
        "bob", 10, exclude_seen=False, fill_with_popular=False
    )
    assert bought & {r["item"] for r in let_through}

    filled = recommender.also_bought("mug", 10)
    assert "popular" in {r["source"] for r in filled}
    unfilled = recommender.also_bought("mug", 10, fill_with_popular=False)
    assert unfilled and {r["source"] for r in unfilled} == {"collaborative"}
