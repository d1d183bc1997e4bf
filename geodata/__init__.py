"""The shipped Hengyang 1944 dataset: sources in ``src/``, the build in ``builder/``, checks in ``checks``."""
