"""Benchmarks that print figures, run as ``toolbox benchmark NAME`` (one module per NAME with
``main(argv)``): ``versus`` times the models of configs against each other; the others
compare with peer projects (MMagic, LaMa, scikit-image, onnxruntime) or study one cost."""
