"""Every built-in scorer of this package through the contract kit."""
import pytest

from asdkit.testing import check_scorer


@pytest.mark.parametrize("name,options", [("kmeans", {}), ("knn", {}), ("knn", {"k": 1, "standardize": True}),
                                        ("knn", {"domain_banks": False}), ("mahalanobis", {}),
                                          ("mahalanobis", {"shrinkage": 0.5})])
def test_scorer_contract(name, options):
    check_scorer(name, options)
