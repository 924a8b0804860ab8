"""`wpkb add --copy` never replaces a file in the corpus, copies only PDFs, and only under the lock."""

from conftest import EN_PAGES, make_pdf
from wpkb.ingest import manifest
from wpkb.search.cli import app


def add(runner, corpus, kb, *args):
    return runner.invoke(app, ["add", *map(str, args), "--copy", "--corpus", str(corpus), "--kb", str(kb)])


def test_a_different_pdf_under_a_taken_name_is_refused_and_the_original_kept(workspace, runner, tmp_path):
    corpus, kb = workspace
    original = (corpus / "en_digest.pdf").read_bytes()
    other = make_pdf(tmp_path / "en_digest.pdf", [["A different report that happens to share the file name."]])
    result = add(runner, corpus, kb, other)
    assert result.exit_code != 0
    assert str(corpus / "en_digest.pdf") in result.output and str(other) in result.output and "--as" in result.output
    assert (corpus / "en_digest.pdf").read_bytes() == original


def test_the_same_pdf_again_is_a_no_op(workspace, runner, tmp_path):
    corpus, kb = workspace
    twin = tmp_path / "en_digest.pdf"
    twin.write_bytes((corpus / "en_digest.pdf").read_bytes())
    result = add(runner, corpus, kb, twin, "--json")
    assert result.exit_code == 0, result.output
    assert '"changed": []' in result.output and '"added": []' in result.output


def test_as_gives_the_copy_another_name(workspace, runner, tmp_path):
    corpus, kb = workspace
    tea = [["Chapter 3. Tea", "Assam tea is grown in the Brahmaputra valley."]]
    other = make_pdf(tmp_path / "en_digest.pdf", EN_PAGES[:2] + tea)
    result = add(runner, corpus, kb, other, "--as", "en_digest_2027.pdf", "--json")
    assert result.exit_code == 0, result.output
    assert (corpus / "en_digest_2027.pdf").read_bytes() == other.read_bytes()
    assert '"en_digest_2027.pdf"' in result.output


def test_only_pdfs_are_copied(workspace, runner, tmp_path):
    corpus, kb = workspace
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
    renamed = tmp_path / "looks.pdf"
    renamed.write_text("not a pdf at all\n")
    for f in (passwd, renamed):
        result = add(runner, corpus, kb, f)
        assert result.exit_code != 0 and "not a PDF" in result.output
    assert not (corpus / "passwd").exists() and not (corpus / "looks.pdf").exists()


def test_nothing_is_copied_while_another_writer_holds_the_lock(workspace, runner, tmp_path):
    corpus, kb = workspace
    new = make_pdf(tmp_path / "fresh.pdf", [["Volcanoes of Kamchatka erupt every few years."]])
    with manifest.write_lock(kb):
        result = add(runner, corpus, kb, new)
    assert result.exit_code != 0 and "another wpkb" in result.output
    assert not (corpus / "fresh.pdf").exists()
