"""Partial Convolutions (Liu et al., ECCV 2018): hook implementations only; see README.md."""
