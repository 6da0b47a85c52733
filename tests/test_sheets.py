"""The team's sheets (case sheet, names list) as CSV in any of Excel's delimiters, or .xlsx."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from matcoder.cases import CaseRecord, load_cases
from matcoder.errors import InputFileError
from matcoder.privacy.names import read_names_file
from matcoder.sheets import find_sheet, read_tables


def workbook(path: Path, rows: list[list]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_an_excel_case_sheet_reads_like_its_csv(tmp_path: Path):
    header = ["Interview", "Pseudonym", "Schools", "Phase", "Grew rapidly", "Cluster", "Trust"]
    xlsx = workbook(tmp_path / "cases.xlsx", [header, ["alpha.txt", "MAT 27", 12.0, "mixed", True, 2, "Fenmoor Trust"],
                                               [None] * 7, ["beta", "MAT 28", 4, "Predominantly primary", False, 1.0, None]])
    # other spreadsheet writers store a whole number as "12.0", which reads back as a float
    with zipfile.ZipFile(xlsx) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(b"<v>12</v>", b"<v>12.0</v>")
    with zipfile.ZipFile(xlsx, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    csv = tmp_path / "cases.csv"
    csv.write_text(",".join(header) + "\nalpha.txt,MAT 27,12,mixed,yes,2,Fenmoor Trust\n\n"
                   "beta,MAT 28,4,Predominantly primary,no,1,\n", encoding="utf-8")
    # cells read as Excel's own CSV would write them: 12 not 12.0, a tick as yes/no, blanks empty
    [(_, rows)] = read_tables(xlsx, "case sheet")
    assert rows[1:] == [["alpha.txt", "MAT 27", "12", "mixed", "yes", "2", "Fenmoor Trust"],
                        [""] * 7, ["beta", "MAT 28", "4", "Predominantly primary", "no", "1", ""]]
    from_excel, problems = load_cases(xlsx)
    assert problems == [] and from_excel == load_cases(csv)[0]
    assert from_excel["alpha"].n_schools == 12 and from_excel["alpha"].grew_rapidly is True
    assert from_excel["beta"].strategy_cluster == 1 and from_excel["alpha"].trust_name == "Fenmoor Trust"


def test_names_in_one_cell_on_lines_of_their_own_are_separate_names(tmp_path: Path):
    """Excel users list names in one cell with Alt+Enter: each line is a name, as each
    ';'-separated part is, so "Haddow Brook Academy" said alone is still found."""
    xlsx = workbook(tmp_path / "cases.xlsx", [["interview", "school_names", "people"],
                                              ["a.txt", "Wrenfield Primary\nHaddow Brook Academy", "Jane Smith; Tom Ng"]])
    csv = tmp_path / "cases.csv"
    csv.write_text('interview,school_names,people\na.txt,"Wrenfield Primary\r\nHaddow Brook Academy",Jane Smith; Tom Ng\n',
                   encoding="utf-8")
    for path in (xlsx, csv):
        records, problems = load_cases(path)
        assert problems == [] and records["a"].names() == [
            ("Wrenfield Primary", "school"), ("Haddow Brook Academy", "school"), ("Jane Smith", "name"), ("Tom Ng", "name")]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_a_csv_saved_with_semicolons_or_tabs_reads_the_same(tmp_path: Path, delimiter: str):
    path = tmp_path / "cases.csv"
    path.write_text(delimiter.join(["interview", "pseudonym", "school_names"]) + "\n"
                    + delimiter.join(["alpha", "MAT 27", '"Ash Primary; Elm Academy"']) + "\n", encoding="utf-8")
    assert read_tables(path, "case sheet") == [(None, [["interview", "pseudonym", "school_names"],
                                                       ["alpha", "MAT 27", "Ash Primary; Elm Academy"]])]


def test_an_excel_names_list_is_read(tmp_path: Path):
    path = workbook(tmp_path / "names.xlsx", [["name", "role"], ["Dr  Amina Okafor", "name"], ["Fenmoor", None]])
    assert [(r.name, r.role) for r in read_names_file(path)] == [("Dr Amina Okafor", "name"), ("Fenmoor", "name")]


@pytest.mark.parametrize("header", ["Names,Role", "Full name,Type", "name", ",\nNAME,category"])
def test_the_names_list_header_is_read_as_a_header_as_a_team_writes_it(tmp_path: Path, header: str):
    # before, only a first cell "name" was: "Names,Role" refused the whole list (role 'Role')
    path = tmp_path / "names.csv"
    path.write_text(f"{header}\nOrchard Hill,MAT\nPriya Sandhu\n", encoding="utf-8")
    assert [(r.name, r.role) for r in read_names_file(path)] == [("Orchard Hill", "MAT"), ("Priya Sandhu", "name")]


def test_a_title_above_the_names_list_header_is_read_as_a_name_and_drops_nothing(tmp_path: Path):
    # a header below a title was refused (role 'Role'); the title is kept as a name rather
    # than dropped with whatever stands above the header, which may be a real name
    path = workbook(tmp_path / "names.xlsx", [["Names to replace, round 3"], [None], ["Names", "Role"],
                                              ["Orchard Hill", "MAT"]])
    assert [(r.name, r.role) for r in read_names_file(path)] == [("Names to replace, round 3", "name"),
                                                                 ("Orchard Hill", "MAT")]


def test_every_worksheet_of_a_names_workbook_is_read_a_sheet_named_for_a_role_giving_it(tmp_path: Path):
    # before, only the first worksheet was read: the schools kept on a second sheet stayed in the text
    path = workbook(tmp_path / "names.xlsx", [["Name"], ["Dana Whitlock"]])
    book = load_workbook(path)
    for title, rows in (("Schools", [["Name", "Role"], ["Ashgrove Primary", None], ["Fenmoor", "place"]]),
                        ("Lists", [["MAT"], ["school"], ["Place"]])):  # a drop-down's roles: no names
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    assert [(r.name, r.role) for r in read_names_file(path)] == [
        ("Dana Whitlock", "name"), ("Ashgrove Primary", "school"), ("Fenmoor", "place")]
    book["Lists"].append(["Elm Academy", "academy"])
    book.save(path)
    with pytest.raises(InputFileError, match=r"sheet 'Lists', row 4: role 'academy' is not one of"):
        read_names_file(path)


def test_a_placeholder_in_an_attribute_cell_is_an_empty_cell_not_a_problem(tmp_path: Path):
    # before, each "n/a" or "-" was a warning line; a sheet that writes them for every gap drowned
    # the one real mistake (here "urban") among them
    sheet = tmp_path / "cases.csv"
    sheet.write_text("interview,pseudonym,schools,phase,cluster,geography,grew rapidly\n"
                     "alpha.txt,MAT 27,n/a,-,TBC,N/A,?\nbeta.txt,MAT 28,12,primary,2,urban,no\n", encoding="utf-8")
    cases, problems = load_cases(sheet)
    assert problems == [f"{sheet}: row 3: column 'geography': 'urban' is not one of: all_within_1h, "
                        "chained_within_1h, some_isolation; left empty"]
    alpha = cases["alpha"]
    assert (alpha.n_schools, alpha.phase, alpha.strategy_cluster, alpha.geography, alpha.grew_rapidly) == \
        (None, None, None, None, None)
    assert (cases["beta"].n_schools, cases["beta"].grew_rapidly) == (12, False)


def test_placeholders_in_name_cells_are_no_names(tmp_path: Path):
    # before, "none" and "-" were names: every "None" and dash in the talk became "[place]"
    sheet = tmp_path / "cases.csv"
    sheet.write_text("interview,pseudonym,trust,school_names,people,places\n"
                     "alpha.txt,MAT 27,None; Fenmoor Trust,TBC,n/a,-\n", encoding="utf-8")
    names = tmp_path / "names.csv"
    names.write_text("name,role\nN/A,place\n?,name\nUnknown,school\nTom Ng,name\n", encoding="utf-8")
    found = load_cases(sheet)[0]["alpha"].names() + [(r.name, r.role) for r in read_names_file(names)]
    assert found == [("Fenmoor Trust", "MAT"), ("Tom Ng", "name")]
    from matcoder.privacy.pseudonymise import Pseudonymiser

    assert Pseudonymiser(found).text("None of it - not a bit - came from Tom Ng or Fenmoor Trust.") == \
        "None of it - not a bit - came from [name] or [MAT]."


@pytest.mark.parametrize("name, message", [("cases.xls", "an old Excel workbook: save it as .xlsx or .csv"),
                                           ("cases.ods", "a LibreOffice sheet: save it as .xlsx or .csv"),
                                           ("cases.xlsx", "not a readable .xlsx workbook")])
def test_a_sheet_that_cannot_be_read_is_refused_by_name(tmp_path: Path, name: str, message: str):
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputFileError) as err:
        load_cases(path)
    assert name in str(err.value) and message in str(err.value)


def test_a_sheet_is_found_in_the_folder_whatever_the_case_of_its_name(tmp_path: Path):
    assert find_sheet(tmp_path, "cases") is None
    (tmp_path / "Cases.XLSX").write_bytes(b"")
    assert find_sheet(tmp_path, "cases") == tmp_path / "Cases.XLSX"
    (tmp_path / "CASES.csv").write_text("interview,pseudonym\n", encoding="utf-8")
    assert find_sheet(tmp_path, "cases") == tmp_path / "CASES.csv"  # CSV first, as before
    (tmp_path / "names.numbers").write_bytes(b"")
    with pytest.raises(InputFileError, match="a Numbers sheet: save it as .xlsx or .csv"):
        read_tables(find_sheet(tmp_path, "names"), "names list")
    assert find_sheet(tmp_path / "absent", "cases") is None


def test_a_header_row_below_a_title_and_a_workbook_with_a_sheet_per_round(tmp_path: Path):
    """Teams put a title above the header row, and keep notes or one sheet per round in
    one workbook: each worksheet with a header row is read, problems name sheet and row."""
    book = Workbook()
    book.active.title = "Read me"
    book.active.append(["Case descriptors: one sheet per round. Pupils as of January census."])
    for title, rows in (("Round 1", [["MAT CEO interviews: case descriptors"], [], ["Interview", "Pseudonym", "Cluster"],
                                     ["alpha.txt", "MAT 27", 2], ["delta.txt", "MAT 31", 7]]),
                        ("Round 2", [["interview", "pseudonym", "cluster"], ["beta.docx", "MAT 28", 1],
                                     ["alpha.txt", "MAT 99", 3], ["gamma.vtt", "MAT 30", "four"]])):
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(tmp_path / "cases.xlsx")
    records, problems = load_cases(tmp_path / "cases.xlsx")
    assert {iid: (r.pseudonym, r.strategy_cluster) for iid, r in records.items()} == {
        "alpha": ("MAT 27", 2), "delta": ("MAT 31", None), "beta": ("MAT 28", 1), "gamma": ("MAT 30", None)}
    where = f"{tmp_path / 'cases.xlsx'} (sheet 'Round 2')"
    assert problems == [f"{tmp_path / 'cases.xlsx'} (sheet 'Round 1'): row 5: column 'Cluster': Input should be 1, 2 or 3; left empty",
                        f"{where}: row 3: interview 'alpha.txt' appears twice; the row before is kept",
                        f"{where}: row 4: column 'cluster': Input should be 1, 2 or 3; left empty"]

    csv = tmp_path / "cases.csv"  # a title line without a semicolon does not make the sheet comma-separated
    csv.write_text("Case descriptors, round 2\n\ninterview;pseudonym;schools\nalpha.txt;MAT 27;\"1,200\"\n", encoding="utf-8")
    assert load_cases(csv) == ({"alpha": CaseRecord(interview="alpha.txt", pseudonym="MAT 27", n_schools=1200)}, [])
    # nor do commas in a notes cell, written unquoted as Excel writes a semicolon sheet
    csv.write_text("interview;pseudonym;notes\nalpha.txt;MAT 27;grew fast, merged, rebrokered, split\n", encoding="utf-8")
    assert load_cases(csv) == ({"alpha": CaseRecord(interview="alpha.txt", pseudonym="MAT 27")},
                               [f"{csv}: column 'notes' is not a case attribute; ignored"])

    book = Workbook()
    for row in [["Case descriptors"]] + [[]] * 9 + [["interview", "pseudonym"], ["alpha.txt", "MAT 27"]]:
        book.active.append(row)
    book.create_sheet("Notes")
    book.save(tmp_path / "late.xlsx")
    with pytest.raises(InputFileError, match="no 'interview' column .*headed one of interview, interview_id, "
                                             "file, .* in the first 10 rows of any worksheet"):
        load_cases(tmp_path / "late.xlsx")


def test_headers_as_teams_write_them(tmp_path: Path):
    path = tmp_path / "cases.csv"
    path.write_text("File name,No. of schools,No. of pupils\nalpha.txt,12,\"4,100\"\n", encoding="utf-8")
    assert load_cases(path) == ({"alpha": CaseRecord(interview="alpha.txt", n_schools=12, n_pupils=4100)}, [])


def test_a_bad_cell_is_left_empty_and_the_rest_of_its_row_stands(tmp_path: Path):
    """A mistyped cluster must not cost the row its names: they are what pseudonymisation
    replaces, and a row left out would print the trust's name in quotes."""
    path = tmp_path / "cases.csv"
    path.write_text("Interview,Pseudonym,Pupils,Cluster,Grew rapidly,Trust\n"
                    "alpha.txt,MAT 27,about 900,Cluster 2,maybe,Fenmoor Learning Trust\n"
                    ",MAT 28,400,1,no,Haddow Brook Trust\n", encoding="utf-8")
    records, problems = load_cases(path)
    assert records == {"alpha": CaseRecord(interview="alpha.txt", pseudonym="MAT 27", strategy_cluster=2,
                                           trust_name="Fenmoor Learning Trust")}
    assert problems == [f"{path}: row 2: column 'Pupils': 'about 900' is not a whole number; left empty",
                        f"{path}: row 2: column 'Grew rapidly': Input should be a valid boolean, "
                        f"unable to interpret input; left empty",
                        f"{path}: row 3: no interview (the transcript file name); row left out"]


def test_names_in_one_cell_of_the_names_list_are_separate_names(tmp_path: Path):
    xlsx = workbook(tmp_path / "names.xlsx", [["name", "role"], ["Jane Smith\nTom Ng", "name"],
                                              ["Ash Primary; Elm Academy", "school"]])
    csv = tmp_path / "names.csv"
    csv.write_text('name,role\n"Jane Smith\r\nTom Ng",name\nAsh Primary; Elm Academy,school\n', encoding="utf-8")
    for path in (xlsx, csv):
        assert [(r.name, r.role) for r in read_names_file(path)] == [
            ("Jane Smith", "name"), ("Tom Ng", "name"), ("Ash Primary", "school"), ("Elm Academy", "school")]


def test_a_path_in_the_interview_cell_and_whole_numbers_written_as_decimals(tmp_path: Path):
    """Windows' "Copy as path" puts a quoted path in the cell; pandas writes a number
    column with gaps as 6900.0. Both name what the team meant."""
    path = tmp_path / "cases.csv"
    path.write_text('interview,pupils,cluster\n"""C:\\Users\\ro\\Round 2\\MAT27 final.docx""",6900.0,2.0\n'
                    "/home/ro/round2/mat28.txt,,\n", encoding="utf-8")
    records, problems = load_cases(path)
    assert problems == [] and sorted(records) == ["mat27-final", "mat28"]
    assert (records["mat27-final"].n_pupils, records["mat27-final"].strategy_cluster) == (6900, 2)
