"""Clustered points and exact neighbours, shared by the kNN tests."""
import torch


def clustered(n, dim=32, clusters=8, seed=0):
    gen = torch.Generator().manual_seed(seed)
    centres = torch.nn.functional.normalize(torch.randn(clusters, dim, generator=gen), dim=1)
    points = centres[torch.randint(0, clusters, (n,), generator=gen)] + 0.05 * torch.randn(n, dim, generator=gen)
    return torch.nn.functional.normalize(points, dim=1)


def exact_neighbours(base, query, k):
    return torch.cdist(query.double(), base.double()).topk(k, largest=False).indices


def recall(found, exact):
    return (found.unsqueeze(2) == exact.unsqueeze(1)).any(2).float().mean().item()
