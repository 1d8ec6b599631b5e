"""The spectrum picture: one panel per gate block on a shared frame that one outlier cannot widen."""

from recur.analysis.spectrum import Spectrum
from recur.viz.spectrum_plot import frame_radius, plot_spectra

PNG = b"\x89PNG\r\n\x1a\n"


def test_an_outlier_does_not_set_the_frame():
    moduli = [0.5 + i / 200 for i in range(199)] + [40.0]  # the bulk up to 1.49, one eigenvalue at 40
    assert 1.5 < frame_radius(moduli) < 1.7
    assert frame_radius([0.1, 0.2]) == 1.2  # the unit circle always shows


def test_every_layer_direction_and_gate_gets_its_panel(tmp_path):
    spectra = [Spectrum(layer, block, [0.5 + 0.1j, 3.0, -40.0], direction)
               for layer in (0, 1) for direction in (0, 1) for block in ("r", "z", "n")]
    out = plot_spectra(tmp_path / "s.png", spectra, "a bidirectional GRU")
    assert out.read_bytes()[:8] == PNG
    single = plot_spectra(tmp_path / "w.png", [Spectrum(0, "W", [2.0, 0.3j]), Spectrum(1, "W", [0.9])])
    assert single.read_bytes()[:8] == PNG
