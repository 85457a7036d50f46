"""The Python `implicit` library on the same synthetic pairs as core/examples/recs_speed.rs.

Usage: python recs_implicit_speed.py PAIRS_FILE NEIGHBOURS
PAIRS_FILE holds little-endian u32 (user, item) pairs written by `recs_speed --write-pairs`.
"""
import sys
import time

import numpy as np
import scipy.sparse as sp
import implicit
from implicit.nearest_neighbours import CosineRecommender

USERS, ITEMS = 100_000, 20_000


def main() -> None:
    path, neighbours = sys.argv[1], int(sys.argv[2])
    pairs = np.fromfile(path, dtype="<u4").reshape(-1, 2)
    user_items = sp.csr_matrix(
        (np.ones(len(pairs), dtype=np.float32), (pairs[:, 0], pairs[:, 1])), shape=(USERS, ITEMS)
    )
    print(f"implicit {implicit.__version__}: {user_items.nnz} interactions, CosineRecommender(K={neighbours})")
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    best = [float("inf")] * 3
    for round_number in range(1, rounds + 1):
        model = CosineRecommender(K=neighbours)
        started = time.perf_counter()
        model.fit(user_items, show_progress=False)
        fit = time.perf_counter() - started
        started = time.perf_counter()
        ids, _ = model.recommend(np.arange(USERS), user_items, N=10, filter_already_liked_items=True)
        all_users = time.perf_counter() - started
        print(
            f"implicit round {round_number}: fit item-item {fit:.3f} s, top-10 for all {USERS} users "
            f"{all_users:.3f} s ({ids.shape}), total {fit + all_users:.3f} s"
        )
        best = [min(best[0], fit), min(best[1], all_users), min(best[2], fit + all_users)]
    print(
        f"implicit best of {rounds}: fit {best[0]:.3f} s, all users {best[1]:.3f} s, "
        f"fit + all users {best[2]:.3f} s"
    )
    rng = np.random.default_rng(43)
    latencies = []
    for user in rng.integers(0, USERS, 2000):
        started = time.perf_counter()
        model.recommend(int(user), user_items[int(user)], N=10, filter_already_liked_items=True)
        latencies.append((time.perf_counter() - started) * 1e6)
    latencies.sort()
    print(
        f"implicit one user top-10 (2000 random users): mean {np.mean(latencies):.1f} us, "
        f"p50 {latencies[len(latencies) // 2]:.1f} us, p99 {latencies[int(len(latencies) * 0.99)]:.1f} us"
    )


if __name__ == "__main__":
    main()
