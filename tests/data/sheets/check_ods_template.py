#!/usr/bin/python3
"""check_ods_template.py TEMPLATE.ods: what ODF and LibreOffice expect of the .ods template:
the `mimetype` entry first, stored uncompressed, with the ODS media type; the grid sheet first
then "Instructions"; 8 validations (the date of the month and the 7 coded columns, lists
read on "Instructions") in the formula namespace; the header row frozen (settings.xml).
Exits 1 with a message when a check fails. Used by tests/integration/exporters/test_template.c."""
import re
import sys
import zipfile

z = zipfile.ZipFile(sys.argv[1])


def check(ok, what):
    if not ok:
        print("check_ods_template: " + what, file=sys.stderr)
        sys.exit(1)


first = z.infolist()[0]
check(first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED,
      "first entry %r" % first)
check(z.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet", "mimetype")
content = z.read("content.xml").decode()
settings = z.read("settings.xml").decode()
tables = re.findall(r'<table:table table:name="([^"]*)"', content)
check(len(tables) == 2 and tables[1] == "Instructions", "sheets %r" % tables)
conds = re.findall(r'table:condition="([^"]*)"', content)
check(len(conds) == 8, "%d validations" % len(conds))
check('xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"' in content, "of namespace")
check(sum(c.startswith("of:cell-content-is-in-list([$Instructions.$A$") for c in conds) == 7,
      "list validations %r" % conds)
check(sum("cell-content-is-between(" in c for c in conds) == 1, "date validation")
check(re.search(r'"VerticalSplitPosition" config:type="int">1<', settings) is not None,
      "frozen header")
print("check_ods_template: %s: sheets %s, %d validations, header frozen" %
      (sys.argv[1].rsplit("/", 1)[-1], tables, len(conds)))
