"""Every delivery format is read into speaker turns with the right roles."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, SAMPLES, write_docx
from matcoder.ingest.reader import read_transcript
from matcoder.ingest.speakers import RoleConfig, guessed_roles


def roles(t):
    return [(turn.speaker, turn.role) for turn in t.turns]


def read_written(path: Path, text: str):
    """``text`` written to ``path`` as UTF-8, read as a transcript."""
    path.write_text(text, encoding="utf-8")
    return read_transcript(path)


def test_plain_text_with_header_and_continuation_paragraphs():
    t = read_transcript(FIXTURES / "round" / "alpha.txt")
    assert t.header == ["Interview transcript: Alpha trust", "Recorded 4 June"]
    assert [turn.role for turn in t.turns] == ["interviewer", "interviewee"] * 3
    answers = t.answers()
    assert len(answers) == 3
    assert answers[0].text.endswith("Honestly, uniform is up to each head.")
    assert "\n\n" in answers[0].text  # paragraph kept inside the turn


@pytest.mark.parametrize("encoding,bom,newline", [
    ("utf-8", b"", "\n"), ("utf-8", b"\xef\xbb\xbf", "\r\n"), ("cp1252", b"", "\r\n"), ("utf-16", b"", "\n"),
])
def test_text_encodings_and_line_endings(tmp_path: Path, encoding, bom, newline):
    text = newline.join(["Q: What’s the trust’s vision — in brief?", "A: Ambition for every pupil, £1 at a time.",
                         "Q: Thanks.", "A: Café culture, naïve or not."])
    path = tmp_path / "x.txt"
    path.write_bytes(bom + text.encode(encoding))
    t = read_transcript(path)
    assert roles(t) == [("Q", "interviewer"), ("A", "interviewee")] * 2
    assert t.turns[1].text == "Ambition for every pupil, £1 at a time."
    assert t.turns[3].text == "Café culture, naïve or not."
    assert "\r" not in "".join(turn.text for turn in t.turns)


def test_timestamps_before_and_after_labels(tmp_path: Path):
    path = tmp_path / "ts.txt"
    path.write_text("[00:00:05] Interviewer: First question?\n00:00:09 CEO: First answer.\n"
                    "Interviewer (00:01:10): Second?\n(00:01:15) CEO: Second answer.\n", encoding="utf-8")
    t = read_transcript(path)
    assert [turn.text for turn in t.turns] == ["First question?", "First answer.", "Second?", "Second answer."]
    assert t.turns[0].timestamp == "00:00:05" and t.turns[2].timestamp == "00:01:10"


def test_named_speakers_roles_by_talk_share_and_colon_in_answer_is_not_a_speaker(tmp_path: Path):
    path = tmp_path / "names.txt"
    path.write_text(
        "Helen Marsh: How did the trust start?\n"
        "David Okonkwo: With two schools. Three things mattered:\n"
        "Trust: we had to trust each other completely, and that took a long time to build.\n"
        "Helen Marsh: And then?\n"
        "David Okonkwo: Then we grew to nine schools over four years, mostly primaries in the town.\n",
        encoding="utf-8")
    t = read_transcript(path)
    assert roles(t) == [("Helen Marsh", "interviewer"), ("David Okonkwo", "interviewee")] * 2
    assert "Trust: we had to trust each other" in t.turns[1].text


def test_configured_labels_override_talk_share(tmp_path: Path):
    path = tmp_path / "labels.txt"
    path.write_text("Moderator X: A very long question that goes on and on and on and on and on?\n"
                    "Jane: Short.\nModerator X: Another long question with many many many words in it?\n"
                    "Jane: Yes.\n", encoding="utf-8")
    t = read_transcript(path, RoleConfig(extra_interviewee=("Jane",)))
    assert roles(t)[:2] == [("Moderator X", "interviewer"), ("Jane", "interviewee")]


def test_docx_bold_labels_without_colon_and_title_block(tmp_path: Path):
    path = write_docx(tmp_path / "b.docx", [("Interviewer", "What is the vision?"),
                                             ("CEO", "Every child thrives."),
                                             (None, "And every adult learns."),
                                             ("Interviewer", "Thanks."), ("CEO", "Pleasure.")])
    t = read_transcript(path)
    assert t.source_format == "docx"
    assert t.header == ["Interview transcript", "Date: 12 March"]
    assert roles(t) == [("Interviewer", "interviewer"), ("CEO", "interviewee")] * 2
    assert t.turns[1].text == "Every child thrives.\n\nAnd every adult learns."


def test_docx_plain_labels(tmp_path: Path):
    path = write_docx(tmp_path / "p.docx", [("Interviewer", "Q one?"), ("Respondent", "A one."),
                                             ("Interviewer", "Q two?"), ("Respondent", "A two.")],
                      bold_labels=False, title=None)
    assert [turn.role for turn in read_transcript(path).turns] == ["interviewer", "interviewee"] * 2


@pytest.mark.parametrize("mark", ["bold", "italic"])
def test_docx_without_labels_whose_questions_are_set_apart_by_formatting(tmp_path: Path, mark):
    """No speaker labels: each question a bold (or italic) paragraph, the answers plain.
    The paragraphs before the first question are the header; a document with one bold
    title and no other formatting is still refused."""
    import docx

    from matcoder.errors import InputFileError

    document = docx.Document()
    document.add_paragraph("Interview 7, March 2024")
    for question, answer in [("How did the trust come to be?", "A struggling school nearby joined us, then a third."),
                             ("And the central team?", "There was none. My business manager did the finance."),
                             ("And now?", "Twelve people for nine schools.")]:
        setattr(document.add_paragraph().add_run(question), mark, True)
        document.add_paragraph(answer)
        if answer.startswith("There"):
            document.add_paragraph("I did the school improvement myself.")
    path = tmp_path / "styled.docx"
    document.save(path)
    t = read_transcript(path)
    assert t.header == ["Interview 7, March 2024"]
    assert roles(t) == [("Interviewer", "interviewer"), ("Respondent", "interviewee")] * 3
    assert t.answers()[1].text == "There was none. My business manager did the finance.\n\nI did the school improvement myself."
    plain = docx.Document()
    plain.add_paragraph().add_run("Interview 7").bold = True
    for text in ["How did the trust come to be?", "A school joined us.", "And now?", "Twelve people."]:
        plain.add_paragraph(text)
    plain.save(path)
    with pytest.raises(InputFileError, match="no speaker turns found"):
        read_transcript(path)


def test_docx_tracked_changes_are_read_accepted(tmp_path: Path):
    """A transcript corrected with Track Changes on: inserted words are read, deleted and
    moved-from ones are not, and a paragraph's tab stops add no text."""
    import docx
    from docx.oxml.ns import qn
    from lxml import etree

    def tracked(paragraph, kind: str, text: str) -> None:
        change = etree.SubElement(paragraph._p, qn(f"w:{kind}"), {qn("w:id"): "1", qn("w:author"): "T"})
        run = etree.SubElement(change, qn("w:r"))
        etree.SubElement(run, qn("w:delText" if kind == "del" else "w:t")).text = text

    document = docx.Document()
    document.add_paragraph("Interviewer: How did the trust change?")
    answer = document.add_paragraph("CEO: We agreed the policy")
    tracked(answer, "ins", " together")
    tracked(answer, "del", " separately")
    tracked(answer, "moveFrom", " in 2018")
    tracked(answer, "moveTo", " in 2019")
    answer.add_run(".")
    tabs = etree.SubElement(answer._p.get_or_add_pPr(), qn("w:tabs"))
    etree.SubElement(tabs, qn("w:tab"), {qn("w:val"): "left", qn("w:pos"): "720"})
    document.add_paragraph("Interviewer: And the schools?")
    document.add_paragraph("CEO: Each school keeps its own curriculum.")
    path = tmp_path / "tracked.docx"
    document.save(path)
    answers = [a.text for a in read_transcript(path).answers()]
    assert answers == ["We agreed the policy together in 2019.", "Each school keeps its own curriculum."]
    from matcoder.ingest.docx_reader import read_docx

    assert "CEO: We agreed the policy together in 2019." in read_docx(path).split("\n\n")  # no tab-stop "\t"


def test_docx_table_layout():
    t = read_transcript(SAMPLES / "mat24.docx")
    assert {turn.speaker for turn in t.turns} == {"Interviewer", "CEO"}
    assert len(t.answers()) >= 15


@pytest.mark.parametrize("order", ["speaker-time-text", "time-speaker-text"])
def test_docx_table_with_a_time_column_keeps_speakers_and_times(tmp_path: Path, order):
    from docx import Document

    rows = [("Speaker", "Time", "Text"),
            ("Interviewer", "00:00:05", "How is the curriculum run?"),
            ("Chief Executive", "[00:00:12]", "Every school follows one curriculum that we wrote centrally."),
            ("Interviewer", "00:01:02", "And finance?"),
            ("Chief Executive", "1:10", "Finance is pooled and run by the central team.")]
    document = Document()
    document.add_paragraph("Transcript of interview 50")
    table = document.add_table(rows=0, cols=3)
    for speaker, time, text in rows:
        cells = (speaker, time, text) if order == "speaker-time-text" else (time, speaker, text)
        for cell, value in zip(table.add_row().cells, cells):
            cell.text = value
    path = tmp_path / "mat50.docx"
    document.save(path)
    t = read_transcript(path)
    assert [(turn.speaker, turn.role, turn.timestamp) for turn in t.turns] == [
        ("Interviewer", "interviewer", "00:00:05"), ("Chief Executive", "interviewee", "00:00:12"),
        ("Interviewer", "interviewer", "00:01:02"), ("Chief Executive", "interviewee", "1:10")]
    assert t.turns[3].text == "Finance is pooled and run by the central team."


def test_vtt_voice_tags_merge_consecutive_cues_and_unescape():
    t = read_transcript(FIXTURES / "round" / "beta.vtt")
    assert roles(t) == [("Jo Bell", "interviewer"), ("Sam Reyes", "interviewee")] * 2
    assert t.turns[1].text == ("We started with a hub school. Once we got to twelve schools the hub could no "
                               "longer cope, so we built a central improvement team.")
    assert "&" in t.turns[3].text and "&amp;" not in t.turns[3].text
    assert t.turns[1].timestamp == "00:00:04.000"


def test_vtt_voice_tag_inside_a_class_span_or_after_a_cue_timestamp(tmp_path: Path):
    """The voice may open inside other tags ("<c.yellow><v Name>", "<i><v Name>") or after
    a karaoke-style timestamp tag; it still names the cue's speaker."""
    t = read_written(tmp_path / "spans.vtt",
                     "WEBVTT\n\n00:01.000 --> 00:04.000\n<v.loud Interviewer>How did the trust start?\n\n"
                     "00:05.000 --> 00:09.000\n<v CEO>With two schools in one town.\n\n"
                     "00:10.000 --> 00:12.000\n<c.yellow><v Interviewer>And now?</v></c>\n\n"
                     "00:13.000 --> 00:18.000\n<00:00:13.100><i><v CEO><00:00:13.500>Fourteen</i> schools.\n")
    assert roles(t) == [("Interviewer", "interviewer"), ("CEO", "interviewee")] * 2
    assert [a.text for a in t.answers()] == ["With two schools in one town.", "Fourteen schools."]


def test_vtt_prefix_style_and_srt_prefix_on_first_cue_only():
    zoom = read_transcript(SAMPLES / "mat29_zoom.vtt")
    assert {(s, r) for s, r in roles(zoom)} == {("Priya Shah", "interviewer"), ("Martin Hale", "interviewee")}
    srt = read_transcript(FIXTURES / "round" / "gamma.srt")
    assert roles(srt) == [("INTERVIEWER", "interviewer"), ("CEO", "interviewee")] * 2
    assert srt.turns[1].text == "We plan to grow to fifteen schools. But only within an hour of the centre."


def test_srt_bracket_speakers():
    t = read_transcript(SAMPLES / "mat33_captions.srt")
    assert {s for s, _ in roles(t)} == {"Jo Whitlock", "Andrew Feltham"}
    assert all(not turn.text.startswith("[") for turn in t.turns)


def srt_turns(tmp_path: Path, lines: list[str], timing_tail: str = "", newline: str = "\n") -> list[tuple[str, str]]:
    """(speaker, text) of the turns read from an SRT file of one cue per line."""
    blocks = [f"{n}{newline}00:00:0{n},000 --> 00:00:0{n},900{timing_tail}{newline}{line}{newline}"
              for n, line in enumerate(lines, 1)]
    path = tmp_path / "captions.srt"
    path.write_text(newline.join(blocks), encoding="utf-8")
    return [(turn.speaker, turn.text) for turn in read_transcript(path).turns]


def test_srt_override_tags_and_timing_coordinates_are_read_past(tmp_path):
    """Subtitle editors write position and style overrides ("{\\an8}", "{\\i1}") into the text
    and display coordinates after the timing; neither is speech."""
    lines = ["{\\an8}INTERVIEWER: How has the trust changed?",
             "JANE: <i>Well,</i> when there were {\\i1}four{\\i0} of us the heads agreed it all.",
             "INTERVIEWER: {\\an8}And now?",
             "JANE: Now finance is run centrally for all eleven schools."]
    assert srt_turns(tmp_path, lines, timing_tail=" X1:100 X2:600 Y1:40 Y2:80", newline="\r\n") == [
        ("INTERVIEWER", "How has the trust changed?"),
        ("JANE", "Well, when there were four of us the heads agreed it all."),
        ("INTERVIEWER", "And now?"),
        ("JANE", "Now finance is run centrally for all eleven schools.")]


def test_caption_speaker_change_marks_before_names(tmp_path):
    """Broadcast-style captions mark a new speaker with ">>" before the name."""
    lines = [">> SAM OKORO: How has the trust changed?", "&gt;&gt; DANA WHITLOCK: Finance went to the centre",
             "first, then HR.", ">> SAM OKORO: And now?", ">>DANA WHITLOCK: Now all eleven schools share it."]
    assert srt_turns(tmp_path, lines) == [
        ("SAM OKORO", "How has the trust changed?"),
        ("DANA WHITLOCK", "Finance went to the centre first, then HR."),
        ("SAM OKORO", "And now?"),
        ("DANA WHITLOCK", "Now all eleven schools share it.")]


@pytest.mark.parametrize("asker, answerer", [("Interviewer (SO):", "Respondent (Dana Whitlock):"),
                                             ("[Sam Okoro]:", "[Dana Whitlock]:")])
def test_caption_labels_with_a_bracketed_qualifier_or_in_brackets_before_a_colon(tmp_path, asker, answerer):
    talk = ["How has the trust changed?", "Finance went to the centre.", "And now?", "All eleven schools share it."]
    lines = [f"{asker} {talk[0]}", f"{answerer} {talk[1]}", f"{asker} {talk[2]}", f"- {answerer} {talk[3]}"]
    asked, answered = asker.strip("[]:"), answerer.strip("[]:")
    assert srt_turns(tmp_path, lines) == list(zip([asked, answered] * 2, talk))
    assert roles(read_transcript(tmp_path / "captions.srt"))[:2] == [(asked, "interviewer"), (answered, "interviewee")]


def test_two_interviewers_both_interviewer():
    t = read_transcript(SAMPLES / "mat35.txt")
    assert {s: r for s, r in roles(t)} == {"Interviewer 1": "interviewer", "Interviewer 2": "interviewer",
                                           "Chief Executive": "interviewee"}


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.iterdir()
                                        if p.suffix in {".txt", ".md", ".docx", ".vtt", ".srt"}
                                        and not p.name.lower().startswith("readme")))
def test_every_sample_reads_with_answers_and_each_turn_text_is_nfc(name):
    import unicodedata

    t = read_transcript(SAMPLES / name)
    assert len(t.answers()) >= 12
    assert sum(len(a.text.split()) for a in t.answers()) > 1500
    for turn in t.turns:
        assert turn.text == unicodedata.normalize("NFC", turn.text) and turn.text == turn.text.strip()


def test_bare_label_lines_and_dash_separators(tmp_path: Path):
    path = tmp_path / "bare.txt"
    path.write_text("INTERVIEWER\nHow did it start?\n\nJane Smith (00:01:05)\nWith two schools.\nThen four.\n\n"
                    "INTERVIEWER\nAnd now?\n\nJane Smith (00:02:10)\nThank you\n\nQ - Last one?\n", encoding="utf-8")
    t = read_transcript(path)
    assert roles(t) == [("INTERVIEWER", "interviewer"), ("Jane Smith", "interviewee"),
                        ("INTERVIEWER", "interviewer"), ("Jane Smith", "interviewee"), ("Q", "interviewer")]
    assert t.turns[1].text == "With two schools.\nThen four."
    assert t.turns[3].text == "Thank you"  # a short answer line is talk, not a label
    assert t.turns[1].timestamp == "00:01:05"


@pytest.mark.parametrize("first,second", [
    ("[00:00:05] Sam Okoro\n", "[00:00:12] Dana Whitlock\n"),  # a time before a label alone on its line
    ("00:00:05 Sam Okoro\n", "00:00:12 Dana Whitlock\n"),
    ("[00:00:05.00] - Sam Okoro\n", "[00:00:12.50] - Dana Whitlock\n"),
    ("[00:00:05 --> 00:00:11] Sam Okoro: ", "[00:00:12 --> 00:00:30] Dana Whitlock: "),  # a time range
    ("[00:00:05 → 00:00:11] **Sam Okoro:** ", "[00:00:12 → 00:00:30] **Dana Whitlock:** "),
])
def test_a_time_or_time_range_before_a_speaker_label(tmp_path: Path, first, second):
    path = tmp_path / "times.txt"
    first_later, second_later = first.replace("00:00:05", "00:01:00"), second.replace("00:00:12", "00:01:04")
    path.write_text(f"{first}How did the trust change?\n\n{second}We moved payroll to the centre.\n"
                    "[00:00:31 --> 00:00:33]\nAnd HR.\n\n"
                    f"{first_later}And the curriculum?\n\n{second_later}That stayed with the heads.\n",
                    encoding="utf-8")
    t = read_transcript(path)
    assert roles(t) == [("Sam Okoro", "interviewer"), ("Dana Whitlock", "interviewee")] * 2
    assert [(a.text, a.timestamp[:8]) for a in t.answers()] == [
        ("We moved payroll to the centre.\nAnd HR.", "00:00:12"), ("That stayed with the heads.", "00:01:04")]


def test_a_time_after_the_label_is_the_turn_time_not_talk(tmp_path: Path):
    """Sonix writes the time after the speaker's colon, and again before each later paragraph."""
    t = read_written(tmp_path / "sonix.txt",
                     "Sam Okoro: [00:00:05] How did the trust change?\n\n"
                     "Dana Whitlock: [00:00:12] We moved payroll to the centre.\n\n[00:00:31] And HR, later.\n\n"
                     "Sam Okoro: [00:01:00] And the curriculum?\n\nDana Whitlock: [00:01:04] It stayed with the heads.\n")
    assert roles(t) == [("Sam Okoro", "interviewer"), ("Dana Whitlock", "interviewee")] * 2
    assert [(a.text, a.timestamp) for a in t.answers()] == [
        ("We moved payroll to the centre.\n\nAnd HR, later.", "00:00:12"), ("It stayed with the heads.", "00:01:04")]
    assert t.turns[0].text == "How did the trust change?"


def test_a_bracketed_qualifier_after_a_label(tmp_path: Path):
    """'Interviewer (SO):' and 'Respondent (Dana Whitlock):' take their role from the role
    word; 'Sam Okoro (Interviewer):' from the qualifier, even when the interviewer talks more."""
    path = tmp_path / "qualified.txt"
    path.write_text("Interviewer (SO): How did the trust start?\nRespondent (Dana Whitlock): With two schools.\n"
                    "Interviewer (SO) [00:01:10]: And now?\nRespondent (Dana Whitlock): Eleven.\n", encoding="utf-8")
    t = read_transcript(path)
    assert roles(t) == [("Interviewer (SO)", "interviewer"), ("Respondent (Dana Whitlock)", "interviewee")] * 2
    assert [a.text for a in t.answers()] == ["With two schools.", "Eleven."]
    assert t.turns[2].timestamp == "00:01:10"
    path.write_text("Sam Okoro (Interviewer): How did the trust start, and what did the heads make of it then?\n"
                    "Dana Whitlock (CEO): Two schools.\n"
                    "Sam Okoro (Interviewer): And now, after all the years of growth and change since?\n"
                    "Dana Whitlock (CEO): Eleven.\n", encoding="utf-8")
    assert roles(read_transcript(path)) == [("Sam Okoro (Interviewer)", "interviewer"),
                                            ("Dana Whitlock (CEO)", "interviewee")] * 2


def test_a_tab_between_label_and_talk(tmp_path: Path):
    """A transcript typed with a hanging indent ("INT<tab>So..."), continuation lines
    indented under the talk, and a tab-separated export with a time column."""
    typed = tmp_path / "typed.txt"
    typed.write_text("INT\tHow did the trust change?\nR\tWe moved payroll to the centre.\n\tAnd HR, later.\n"
                     "INT\tAnd the curriculum?\nR\tThat stayed with the heads.\n", encoding="utf-8")
    t = read_transcript(typed)
    assert roles(t) == [("INT", "interviewer"), ("R", "interviewee")] * 2
    assert [a.text for a in t.answers()] == ["We moved payroll to the centre.\nAnd HR, later.",
                                             "That stayed with the heads."]
    export = tmp_path / "export.txt"
    export.write_text("00:00:05\tSam Okoro\tHow did the trust change over the years?\n"
                      "00:00:12\tDana Whitlock\tWe moved payroll to the centre.\n"
                      "00:00:40\tSam Okoro\tAnd the curriculum?\n00:00:44\tDana Whitlock\tIt stayed with the heads.\n",
                      encoding="utf-8")
    t = read_transcript(export)
    assert [(turn.speaker, turn.timestamp) for turn in t.turns] == [
        ("Sam Okoro", "00:00:05"), ("Dana Whitlock", "00:00:12"), ("Sam Okoro", "00:00:40"),
        ("Dana Whitlock", "00:00:44")]
    assert t.turns[1].text == "We moved payroll to the centre."


def test_a_run_of_spaces_between_label_and_talk(tmp_path: Path):
    """Tabs turned into spaces (text converted from a PDF or a word processor's layout):
    two spaces or more after a known label, three or more after a name; two after an
    ordinary word that starts answer lines ("So  we") are a typing slip, not a label."""
    t = read_written(tmp_path / "spaced.txt",
                     "INTERVIEWER   How did the trust start?\n\n"
                     "CEO  With two schools in one town.\nSo  we shared a business manager.\n\n"
                     "INTERVIEWER   And now?\n\nCEO  Fourteen schools.\nSo  we run payroll centrally.\n")
    assert roles(t) == [("INTERVIEWER", "interviewer"), ("CEO", "interviewee")] * 2
    assert t.answers()[1].text == "Fourteen schools.\nSo  we run payroll centrally."
    named = read_written(tmp_path / "named.txt",
                         "Sam Okoro    How did the trust start?\nDana Whitlock    With two schools in one town.\n"
                         "Sam Okoro    And now?\nDana Whitlock    Fourteen schools, and payroll run centrally.\n")
    assert roles(named) == [("Sam Okoro", "interviewer"), ("Dana Whitlock", "interviewee")] * 2


@pytest.mark.parametrize("asker, answerer", [("[Interviewer]:", "[Dana Whitlock]:"), ("[INTERVIEWER]", "[CEO]"),
                                             ("*Interviewer:*", "*CEO:*"), ("__Interviewer__:", "__CEO__:"),
                                             ("_Sam Okoro_:", "_Dana Whitlock_:")])
def test_labels_in_square_brackets_or_markdown_emphasis(tmp_path: Path, asker, answerer):
    """"[Name]:" and Markdown's italics or underscores around a label (as converters write
    a styled label); a bracketed stage direction or an emphasised one alone on its line
    ("[Laughs] Yes", "*Pause*"), said twice, stays talk."""
    t = read_written(tmp_path / "marked.md",
                     f"{asker} How did the trust start?\n\n{answerer} With two schools.\n[Laughs] Yes, two.\n\n"
                     f"{asker} And now?\n\n{answerer} Fourteen.\n*Pause*\nAnd growing.\n[Laughs] Yes.\n\n"
                     f"{asker} Why?\n\n{answerer} Schools asked us.\n*Pause*\nMostly.\n")
    assert [role for _, role in roles(t)] == ["interviewer", "interviewee"] * 3
    assert t.answers()[1].text == "Fourteen.\n*Pause*\nAnd growing.\n[Laughs] Yes."


def test_a_tab_inside_an_answer_line_is_not_a_speaker(tmp_path: Path):
    path = tmp_path / "tabbed_answer.txt"
    # "finance" starts two lines, so only the label test (known, or a name) keeps it talk
    path.write_text("Interviewer: What do you hold centrally?\nCEO: Two things.\nfinance\tall of it\n"
                    "estates\tmost of it\nInterviewer: And?\nCEO: Estates.\nfinance\tthe audit too\n",
                    encoding="utf-8")
    t = read_transcript(path)
    assert roles(t) == [("Interviewer", "interviewer"), ("CEO", "interviewee")] * 2
    assert [a.text for a in t.answers()] == ["Two things.\nfinance\tall of it\nestates\tmost of it",
                                             "Estates.\nfinance\tthe audit too"]


def test_teams_transcript_docx_name_and_time_lines(tmp_path: Path):
    """Microsoft Teams exports a transcript as DOCX: a title, the date, then per turn a
    paragraph "Name 0:04" (one space or a tab) with the talk in the next paragraph."""
    import docx

    document = docx.Document()
    for text in ["Transcript", "15 March 2024, 10:02am", "Sam Patel\t0:01", "How has the trust changed?",
                 "Jane Smith 0:04", "When there were four of us the heads agreed everything.",
                 "Sam Patel\t1:12", "And now?", "Jane Smith 1:15", "Finance is run centrally for all eleven schools."]:
        document.add_paragraph(text)
    path = tmp_path / "teams.docx"
    document.save(path)
    t = read_transcript(path)
    assert roles(t) == [("Sam Patel", "interviewer"), ("Jane Smith", "interviewee")] * 2
    assert [(turn.text, turn.timestamp) for turn in t.answers()] == [
        ("When there were four of us the heads agreed everything.", "0:04"),
        ("Finance is run centrally for all eleven schools.", "1:15")]


def test_zoom_saved_captions_bracketed_name_and_clock_time(tmp_path: Path):
    path = tmp_path / "zoom.txt"
    path.write_text("[Sam Patel] 10:02:15\nHow did it start?\n[Jane Smith] 10:02:19\nWith two schools.\n"
                    "[inaudible] and then four.\n[Sam Patel] 10:03:01\nAnd now?\n[Jane Smith] 10:03:05\nEleven.\n",
                    encoding="utf-8")
    t = read_transcript(path)
    assert roles(t) == [("Sam Patel", "interviewer"), ("Jane Smith", "interviewee")] * 2
    assert [(a.text, a.timestamp) for a in t.answers()] == [("With two schools.\n[inaudible] and then four.", "10:02:19"),
                                                            ("Eleven.", "10:03:05")]


def test_q_dot_and_a_dot_labels(tmp_path: Path):
    path = tmp_path / "qa.txt"
    path.write_text("Q. How did it start?\nA. With two schools. I. Introduction of a second one came later.\n"
                    "Q. And now?\nA. Eleven.\n", encoding="utf-8")
    t = read_transcript(path)
    assert roles(t) == [("Q", "interviewer"), ("A", "interviewee"), ("Q", "interviewer"), ("A", "interviewee")]
    assert [a.text for a in t.answers()] == ["With two schools. I. Introduction of a second one came later.",
                                             "Eleven."]


def test_docx_label_in_its_own_bold_paragraph(tmp_path: Path):
    path = write_docx(tmp_path / "own.docx", [("Interviewer", ""), (None, "What is the vision?"),
                                               ("CEO", ""), (None, "Every child thrives."),
                                               ("Interviewer", ""), (None, "Thanks."),
                                               ("CEO", ""), (None, "Pleasure.")], title=None)
    t = read_transcript(path)
    assert roles(t) == [("Interviewer", "interviewer"), ("CEO", "interviewee")] * 2
    assert t.answers()[0].text == "Every child thrives."


def test_docx_turns_inside_a_content_control_are_read(tmp_path: Path):
    """A transcription template may wrap the transcript in a content control (w:sdt):
    its paragraphs are part of the document, not skipped."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.oxml import OxmlElement

    path = write_docx(tmp_path / "sdt.docx", [("Interviewer", "How did it start?"), ("CEO", "With two schools."),
                                              ("Interviewer", "And now?"), ("CEO", "Eleven, all in one county.")],
                      title="Transcript")
    doc = Document(str(path))
    body = doc.element.body
    turns = [p for p in body.iterchildren(qn("w:p"))][2:]  # after the title and date paragraphs
    sdt, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
    sdt.append(OxmlElement("w:sdtPr"))
    sdt.append(content)
    turns[0].addnext(sdt)
    for p in turns[1:]:  # the first turn stays outside, the rest go inside the control
        content.append(p)
    doc.save(str(path))
    t = read_transcript(path)
    assert roles(t) == [("Interviewer", "interviewer"), ("CEO", "interviewee")] * 2
    assert [a.text for a in t.answers()] == ["With two schools.", "Eleven, all in one county."]


def test_docx_bold_labels_after_line_breaks_in_one_paragraph(tmp_path: Path):
    """Turns typed into one paragraph with Shift+Enter between them: each line's bold
    label is a speaker; a first word marked explicitly not bold (w:b w:val="0") is not."""
    import docx
    from docx.oxml.ns import qn

    document = docx.Document()
    paragraph = document.add_paragraph()
    lines = [("Interviewer", "How has the central team changed?"),
             ("CEO", "When we had four schools I ran the budget myself."),
             (None, "Now a finance director does, with a team of twelve."),
             ("Interviewer", "And the curriculum?"),
             ("CEO", "Heads choose it; we set the assessment calendar.")]
    for i, (label, talk) in enumerate(lines):
        if i:
            paragraph.add_run().add_break()
        if label:
            paragraph.add_run(label).bold = True
            paragraph.add_run(" " + talk)
        else:
            first, rest = talk.split(" ", 1)
            plain = paragraph.add_run(first)
            plain.bold = False
            paragraph.add_run(" " + rest)
    assert plain._r.find(f"{qn('w:rPr')}/{qn('w:b')}").get(qn("w:val")) in ("0", "false")
    path = tmp_path / "breaks.docx"
    document.save(str(path))
    t = read_transcript(path)
    assert roles(t) == [("Interviewer", "interviewer"), ("CEO", "interviewee")] * 2
    assert t.answers()[0].text == ("When we had four schools I ran the budget myself.\n"
                                   "Now a finance director does, with a team of twelve.")


SECOND_SPEAKER = """Interviewer: Thank you both for joining. Could you start by describing the trust?
Helen Barker: We're nine schools, mostly primary, all within about forty minutes of each other.
Interviewer: And how is the central team organised?
Helen Barker: It's small. I've brought in a finance director and an HR lead, and the rest sits with the schools.
{second}: {first_turn}
Interviewer: What changed when you passed five schools?
Helen Barker: The governance. We had to take decisions away from local boards because we could not see enough.
{second}: {second_turn}
Interviewer: Thank you.
"""


@pytest.mark.parametrize("first_turn, second_turn, role", [
    # a colleague the CEO brought along answers too
    ("If I can add to that, as COO I run the estates and IT contracts centrally now, which we didn't before.",
     "And compliance, honestly. The audit findings were a wake-up call.", "interviewee"),
    # a second researcher asks
    ("Can I just check, is that the same HR lead who works across both hubs?",
     "Thanks, that's really helpful for us.", "interviewer"),
    # a note-taker's thanks: no question, but too little said to be an answer
    ("Thanks.", "Thank you so much, that's been really helpful and we will send the transcript over.",
     "interviewer"),
])
def test_a_named_speaker_beside_the_interviewee_who_answers_is_an_interviewee(tmp_path: Path, first_turn,
                                                                              second_turn, role):
    path = tmp_path / "three.txt"
    path.write_text(SECOND_SPEAKER.format(second="Mark Ellis", first_turn=first_turn, second_turn=second_turn),
                    encoding="utf-8")
    t = read_transcript(path)
    assert dict(roles(t))["Mark Ellis"] == role
    # what the progress line shows: the roles no label gave ("Interviewer" is a label)
    assert guessed_roles(t.turns, RoleConfig()) == (
        {"interviewee": ["Helen Barker", "Mark Ellis"]} if role == "interviewee"
        else {"interviewee": ["Helen Barker"], "interviewer": ["Mark Ellis"]})
    # without question marks (unpunctuated captions) nobody can be told to be asking: talk share alone
    path.write_text(path.read_text(encoding="utf-8").replace("?", ""), encoding="utf-8")
    assert dict(roles(read_transcript(path)))["Mark Ellis"] == "interviewer"


@pytest.mark.parametrize("layout", ["colon", "teams", "srt"])
def test_surname_first_speaker_names(tmp_path: Path, layout):
    """Names in a directory's order ("Owen, Sarah", as Microsoft Teams shows staff in many
    organisations) are speaker labels; a comma before a lower-case word is not a name."""
    talk = [("Owen, Sarah", "How many schools are in the trust now?"),
            ("Whitlock, Dana", "Fourteen, in two local authorities.\nCurriculum, assessment: the heads decide those."),
            ("Owen, Sarah", "What did the growth do to the central team?"),
            ("Whitlock, Dana", "It broke it, so we appointed a director of education.\n"
                               "Curriculum, assessment: still the heads, mind.")]
    if layout == "colon":
        text = "".join(f"{name}: {said}\n" for name, said in talk)
    elif layout == "teams":
        text = "".join(f"{name}   0:{i:02d}\n{said}\n\n" for i, (name, said) in enumerate(talk))
    else:
        text = "".join(f"{i + 1}\n00:00:{i:02d},000 --> 00:00:{i:02d},900\n{name}: {said}\n\n"
                       for i, (name, said) in enumerate(talk))
    t = read_written(tmp_path / ("t.srt" if layout == "srt" else "t.txt"), text)
    assert roles(t) == [("Owen, Sarah", "interviewer"), ("Whitlock, Dana", "interviewee")] * 2
    assert " ".join(t.answers()[1].text.split()).endswith("education. Curriculum, assessment: still the heads, mind.")
