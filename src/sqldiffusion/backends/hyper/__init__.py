"""Tableau Hyper (optional extra `hyper`): LLVM-compiled queries and a float32 `dot_product` on arrays."""

OPTIONS = ()  # a Hyper process of its own for every run


def target() -> None:
    return None
