import numpy as np
import pytest

from minitransformer import backend as B


@pytest.fixture
def float64():
    """Run a test with float64 as the default dtype, then restore float32."""
    saved = B.get_default_dtype()
    B.set_default_dtype(np.float64)
    yield
    B.set_default_dtype(saved)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
