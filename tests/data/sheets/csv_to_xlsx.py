#!/usr/bin/python3
"""csv_to_xlsx.py CSV OUT.xlsx|OUT.ods [first-sheet-name]: write a CSV test grid as a real .xlsx
with openpyxl, the way a social worker's spreadsheet holds it: dates as date cells (serial
numbers with a date format), postcodes and year-only birth dates as numbers (the postcode's
leading zero lost, as spreadsheets do), everything else as text. With a third argument the
grid goes on a sheet named "grille" after a first sheet of that name (the reader must pick
the grid's sheet). An OUT.ods is written by hand (zipfile + the OpenDocument
content.xml: dates as office:date-value, numbers as office:value, repeated empty cells and
rows as a spreadsheet leaves them). Used by tests/integration/collector/test_sheets.c."""
import csv
import datetime
import io
import re
import sys
import zipfile
from xml.sax.saxutils import escape, quoteattr

import openpyxl

src, out = sys.argv[1], sys.argv[2]
raw = open(src, "rb").read()
try:
    text = raw.decode("utf-8-sig")
except UnicodeDecodeError:
    text = raw.decode("cp1252")
first = text.split("\n", 1)[0]
sep = max([";", ",", "\t"], key=first.count)
rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))



def ods_cell(v):
    if isinstance(v, datetime.datetime):
        return ('<table:table-cell office:value-type="date" office:date-value="%s">'
                '<text:p>%s</text:p></table:table-cell>' % (v.strftime("%Y-%m-%dT%H:%M:%S"), v.strftime("%d/%m/%Y")))
    if isinstance(v, int):
        return ('<table:table-cell office:value-type="float" office:value="%d"><text:p>%d</text:p>'
                '</table:table-cell>' % (v, v))
    if v == "":
        return "<table:table-cell/>"
    paras = "".join("<text:p>%s</text:p>" % escape(p) for p in v.split("\n"))
    return '<table:table-cell office:value-type="string">%s</table:table-cell>' % paras


def write_ods(out, table_rows, first):
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    tables = ""
    if first:
        tables += ('<table:table table:name=%s><table:table-row>%s</table:table-row></table:table>'
                   % (quoteattr(first), ods_cell("Cette feuille n'est pas la grille.")))
    body = "".join("<table:table-row>%s<table:table-cell table:number-columns-repeated=\"1012\"/>"
                   "</table:table-row>" % "".join(ods_cell(v) for v in r) for r in table_rows)
    body += '<table:table-row table:number-rows-repeated="1048000"><table:table-cell/></table:table-row>'
    tables += '<table:table table:name="grille">%s</table:table>' % body
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content %s office:version="1.2">'
               '<office:body><office:spreadsheet>%s</office:spreadsheet></office:body>'
               '</office:document-content>' % (ns, tables))
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type='
                '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("content.xml", content)


table_rows = []
wb = openpyxl.Workbook()
ws = wb.active
if len(sys.argv) > 3:
    ws.title = sys.argv[3]
    ws["A1"] = "Cette feuille n'est pas la grille."
    ws = wb.create_sheet("grille")
header = [h.strip().lower() for h in rows[0]]
for r, row in enumerate(rows):
    if r > 0 and all(c.strip() == "" for c in row):
        continue  # blank lines are no rows, in CSV as in sheets
    out_row = []
    for c, v in enumerate(row):
        name = header[c] if c < len(header) else ""
        s = v.strip()
        cell = v
        if r > 0 and name.startswith("date_"):
            m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s) or None
            d = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", s)
            if m:
                cell = datetime.datetime(int(m[1]), int(m[2]), int(m[3]))
            elif d:
                cell = datetime.datetime(int(d[3]), int(d[2]), int(d[1]))
            elif re.fullmatch(r"\d{4}", s):
                cell = int(s)
        elif r > 0 and name == "code_postal" and re.fullmatch(r"\d{5}", s):
            cell = int(s)
        out_row.append(cell)
    ws.append(out_row)
    table_rows.append(out_row)
if out.endswith(".ods"):
    write_ods(out, table_rows, sys.argv[3] if len(sys.argv) > 3 else None)
    sys.exit(0)
for row in ws.iter_rows():
    for cell in row:
        if isinstance(cell.value, datetime.datetime):
            cell.number_format = "DD/MM/YYYY"
wb.save(out)
