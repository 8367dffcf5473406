"""Model loading and inference: a leaf package that imports no app (kb may use it to embed chunks and queries).

torch and transformers are imported lazily, once per process, so web processes that never embed stay light.
"""
