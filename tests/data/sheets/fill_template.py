#!/usr/bin/python3
"""fill_template.py TEMPLATE.xlsx CSV OUT.xlsx: what a social worker does with the downloaded
template, done by openpyxl: check what the template promises (the grid sheet first, named
<post>_<YYYY-MM>; its header frozen; a date validation limited to the month on date_contact;
a dropdown list read on the "Instructions" sheet for every coded column, each list holding
the codes of its column), then type the rows of a CSV test grid under the header (dates as
date cells, everything else as text) and save. Exits 1 with a message when a check fails.
Used by tests/integration/exporters/test_template.c."""
import csv
import datetime
import io
import sys
import unicodedata

import openpyxl

tpl, src, out = sys.argv[1], sys.argv[2], sys.argv[3]
wb = openpyxl.load_workbook(tpl)


def check(ok, what):
    if not ok:
        print("fill_template: " + what, file=sys.stderr)
        sys.exit(1)


ws = wb.worksheets[0]
check(wb.sheetnames == [ws.title, "Instructions"], "sheets %r" % wb.sheetnames)
post, period = ws.title.rsplit("_", 1)
check(ws.freeze_panes == "A2", "header not frozen (%r)" % ws.freeze_panes)
header = [c.value for c in ws[1]]
coded = {"sexe", "statut", "origine", "connu_ss", "problematiques", "orientations", "mode"}
lists, dates = {}, []
help_ws = wb["Instructions"]
for dv in ws.data_validations.dataValidation:
    col = header[dv.sqref.ranges[0].min_col - 1]
    if dv.type == "list":
        ref = dv.formula1.split("!")[1].replace("$", "")
        first, last = ref.split(":")
        codes = [r[0].value for r in help_ws[first:last]]
        lists[col] = codes
    elif dv.type == "date":
        dates.append((col, int(dv.formula1), int(dv.formula2)))
check(set(lists) == coded, "dropdowns on %r" % sorted(lists))
check(lists["sexe"] == ["F", "M", "X"], "sexe list %r" % lists["sexe"])
year, month = int(period[:4]), int(period[5:])
day0 = datetime.date(1899, 12, 30)
first_day = datetime.date(year, month, 1)
last_day = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1))
check(dates == [("date_contact", (first_day - day0).days, (last_day - day0).days)],
      "date validation %r" % dates)

text = open(src, encoding="utf-8-sig").read()
first = text.split("\n", 1)[0]
sep = max([";", ",", "\t"], key=first.count)
rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))


def fold(name):
    """A CSV header as the collector matches it: accents and case dropped."""
    n = unicodedata.normalize("NFKD", name.strip())
    return "".join(ch for ch in n if not unicodedata.combining(ch)).lower()


names = [fold(h) for h in rows[0]]
check(sorted(names) == sorted(header), "CSV header %r" % rows[0])
for i, row in enumerate(rows[1:], start=2):
    for k, v in enumerate(row):
        j = header.index(names[k])
        cell = ws.cell(row=i, column=j + 1)
        if header[j] == "date_contact" and v:
            d = v.strip()
            cell.value = (datetime.datetime.strptime(d, "%Y-%m-%d") if "-" in d
                          else datetime.datetime.strptime(d, "%d/%m/%Y"))
            cell.number_format = "DD/MM/YYYY"
        elif v != "":
            cell.value = v
wb.save(out)
print("fill_template: %s %s: %d rows typed, %d dropdowns, dates %s..%s" %
      (post, period, len(rows) - 1, len(lists), first_day, last_day))
