import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chris_app.audio.resample import Resampler, opus_rate_for


def run(resampler, x, sizes):
    out, i = [], 0
    for n in sizes:
        out.append(resampler.process(x[i : i + n]))
        i += n
    out.append(resampler.process(x[i:]))
    out.append(resampler.flush())
    return np.concatenate(out)


def test_opus_rates_pass_through_and_others_go_to_48_khz():
    assert [opus_rate_for(r) for r in (8000, 16000, 48000, 44100, 22050, 96000)] == [
        8000, 16000, 48000, 48000, 48000, 48000,
    ]


def test_a_44_1_khz_tone_comes_out_at_48_khz_with_the_same_shape():
    t = np.arange(44100) / 44100
    x = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    y = run(Resampler(44100, 48000), x, [])
    assert y.shape[0] == 48000
    ref = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(48000) / 48000)
    err = (y - ref)[100:-100]
    assert 10 * np.log10(np.mean(ref**2) / np.mean(err**2)) > 60  # SNR in dB


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(0, 20_000),
    sizes=st.lists(st.integers(0, 5000), max_size=8),
    rate_in=st.sampled_from([44100, 22050, 32000, 96000]),
)
def test_any_chunking_gives_the_same_output_of_exactly_the_right_length(n, sizes, rate_in):
    x = np.random.default_rng(n).standard_normal(n).astype(np.float32) * 0.1
    whole = run(Resampler(rate_in, 48000), x, [])
    chunked = run(Resampler(rate_in, 48000), x, sizes)
    assert whole.shape[0] == (2 * n * 48000 + rate_in) // (2 * rate_in)  # rounded half up
    np.testing.assert_allclose(chunked, whole, atol=1e-6)


def test_rates_must_be_positive():
    with pytest.raises(ValueError):
        Resampler(0, 48000)
