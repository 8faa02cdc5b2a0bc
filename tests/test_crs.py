import pytest

from hygis import crs
from hygis.errors import HygisInputError

HENGYANG_BOUNDS = (111.538, 26.104, 113.278, 27.472)


def test_area_crs_for_hengyang_is_gk_cm_111():
    chosen = crs.area_crs(HENGYANG_BOUNDS)
    assert chosen.to_epsg() == 4546
    assert "CM 111E" in chosen.name


@pytest.mark.parametrize(("cm", "epsg"), [(75, 4534), (111, 4546), (114, 4547), (135, 4554)])
def test_gk3_codes(cm, epsg):
    assert crs.gk3_crs(cm).to_epsg() == epsg


def test_wide_extent_gets_six_degree_or_albers():
    assert "Gauss-Kruger CM" in crs.area_crs((110.0, 25.0, 114.5, 28.0)).name
    assert "Albers" in crs.area_crs((75.0, 20.0, 130.0, 50.0)).coordinate_operation.method_name


def test_parse_crs_error_says_what_works():
    with pytest.raises(HygisInputError, match="EPSG:4490"):
        crs.parse_crs("not-a-crs")


def test_hint_for_zone_prefixed_gauss_kruger():
    # 3-degree zone 38 (CM 114°E): eastings 38 xxx xxx m.
    assert "EPSG:4526" in crs.guess_crs_hint((38_400_000, 2_970_000, 38_420_000, 2_990_000))


def test_a_coordinate_operation_is_searched_once_per_machine_and_then_read(tmp_path):
    """PROJ's search (0.05-0.1 s) is kept in the user cache: a later process reads what was chosen."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HYGIS_CACHE_DIR": str(tmp_path)}
    probe = "from hygis import crs; print(*crs.transformer('EPSG:4490', 'EPSG:4546').transform(112.6, 26.9))"

    def run() -> list[float]:
        out = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
        )
        return [float(v) for v in out.stdout.split()]

    first = run()
    kept = list((tmp_path / "proj").glob("*.txt"))
    assert len(kept) == 1 and "+proj=" in kept[0].read_text(encoding="utf-8")
    assert run() == first  # the kept operation gives the very same coordinates
    assert 600_000 < first[0] < 700_000 and 2_900_000 < first[1] < 3_000_000  # Gauss–Krüger metres
    # And it is what the next process uses: an operation put there by hand is obeyed.
    kept[0].write_text("+proj=noop", encoding="utf-8")
    assert run() == [112.6, 26.9]
