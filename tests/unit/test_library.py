import importlib.util
from pathlib import Path

from chris_app.library import CATEGORIES, by_category, find, library

ROOT = Path(__file__).resolve().parents[2]


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_library", ROOT / "scripts" / "gen_library.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_library_is_exactly_what_seed_sql_generates():
    gen = load_generator()
    shipped = (ROOT / "src" / "chris_app" / "data" / "violent_actions.json").read_text("utf-8")
    assert shipped == gen.render((ROOT / "supabase" / "seed.sql").read_text("utf-8")), (
        "src/chris_app/data/violent_actions.json is stale: run python scripts/gen_library.py"
    )


def test_the_library_has_at_least_40_actions_in_every_category_with_difficulty():
    assert len(library()) >= 40
    for category in CATEGORIES:
        assert len(by_category(category)) >= 5
    assert all(1 <= a.difficulty <= 10 for a in library())
    assert len({a.id for a in library()}) == len(library())


def test_an_action_is_found_by_its_id():
    first = library()[0]
    assert find(first.id) == first
    assert find("00000000-0000-0000-0000-000000000000") is None
