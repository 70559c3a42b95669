"""Tableau Hyper (optional extra `hyper`): LLVM-compiled queries and a float32 `dot_product` on arrays."""
