"""Ranking behaviour whose margins depend on the real model's cosines (the fake's n-gram
vectors score a contents page that repeats the question's words far higher)."""

from conftest import built_searcher, make_pdf


def test_contents_pages_and_repeated_pages_do_not_take_places_in_the_ranking(tmp_path, runner):
    corpus = tmp_path / "c"
    corpus.mkdir()
    answer = ["Glacier retreat. The Vatnajokull ice cap has shrunk by 4 percent since 1990.",
              "Meltwater from the ice feeds three rivers."]
    make_pdf(corpus / "glaciers.pdf", [
        ["Contents", "Glacier volume lost since 1990 ........................ 2",
         "Glacier volume lost by decade ......................... 3",
         "Why glaciers lose volume .............................. 3"],
        answer,
        ["Meltwater rivers. Three rivers carry the melt to the sea."],
        answer,  # the report repeats its second page
    ], title="Glaciers")
    with built_searcher(corpus, runner) as searcher:
        _, passages = searcher.search("How much volume has the glacier lost since 1990?", k=3)
        assert (passages[0].page, passages[0].same_text_pages) == (2, (4,))
        assert [p.page for p in passages].count(4) == 0
        assert passages[0].as_dict()["same_text_pages"] == [4]
