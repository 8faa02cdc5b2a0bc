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
