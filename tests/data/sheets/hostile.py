#!/usr/bin/python3
"""hostile.py BASE.xlsx BASE.ods OUTDIR: write the hostile workbooks of issue 15 from a good
.xlsx and .ods (each a real file, altered with python3's zipfile), one per attack, named
<expected code>.<what>.<ext>. Used by tests/integration/collector/test_sheets.c; nothing here is
opaque: every file is rebuilt on each run."""
import os
import sys
import zipfile

base, base_ods, out = sys.argv[1], sys.argv[2], sys.argv[3]
parts = {}
with zipfile.ZipFile(base) as z:
    for n in z.namelist():
        parts[n] = z.read(n)
ods_parts = {}
with zipfile.ZipFile(base_ods) as z:
    for n in z.namelist():
        ods_parts[n] = z.read(n)


def write(name, entries, raw_names=()):
    with zipfile.ZipFile(os.path.join(out, name), "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in entries.items():
            if n == "mimetype":
                z.writestr(n, d, compress_type=zipfile.ZIP_STORED)
            else:
                z.writestr(n, d)


def plus(extra, src=parts):
    d = dict(src)
    d.update(extra)
    return d


MB = 1 << 20
write("E_ZIP_RATIO.bomb.xlsx", plus({"xl/media/pad.bin": b"\0" * (8 * MB)}))
write("E_ZIP_TOO_LARGE.entry.xlsx", plus({"xl/media/pad.bin": b"\0" * (70 * MB)}))
write("E_ZIP_TOO_LARGE.total.xlsx", plus({"xl/media/p%d.bin" % i: b"\0" * (50 * MB) for i in range(3)}))
write("E_ZIP_ENTRIES.many.xlsx", plus({"xl/x/f%d.xml" % i: b"<x/>" for i in range(300)}))
write("E_ZIP_NAME.dotdot.xlsx", plus({"xl/../../etc/cron.d/evil": b"x"}))
write("E_ZIP_NAME.absolute.ods", plus({"/tmp/evil": b"x"}, ods_parts))
write("E_SHEET_MACRO.vba.xlsx", plus({"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}))
ct = parts["[Content_Types].xml"].replace(
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
write("E_SHEET_MACRO.xlsm.xlsx", plus({"[Content_Types].xml": ct}))
write("E_SHEET_MACRO.basic.ods", plus({"Basic/Standard/Module1.xml": b"<x/>"}, ods_parts))
sheet = parts["xl/worksheets/sheet1.xml"]
xxe = sheet.replace(b"<worksheet", b'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "http://127.0.0.1:9/leak">]><worksheet', 1)
xxe = xxe.replace(b"<sheetData>", b"<sheetData><row r=\"1\"><c t=\"inlineStr\"><is><t>&x;</t></is></c></row>", 1)
write("E_SHEET_DOCTYPE.xxe.xlsx", plus({"xl/worksheets/sheet1.xml": xxe}))
laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i else b"&lol;") * 10) for i in range(9))
          + b']><office:document-content>&lol8;</office:document-content>')
write("E_SHEET_DOCTYPE.laughs.ods", plus({"content.xml": laughs}, ods_parts))
wide = sheet.replace(b"</sheetData>", b'<row r="2000"><c r="NTP2000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>', 1)
write("E_SHEET_TOO_WIDE.wide.xlsx", plus({"xl/worksheets/sheet1.xml": wide}))
with open(os.path.join(out, "E_SHEET_ENCRYPTED.password.xlsx"), "wb") as f:
    f.write(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)  # what Excel writes for a password
man = ods_parts["META-INF/manifest.xml"].replace(
    b"</manifest:manifest>", b'<manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data '
    b'manifest:checksum-type="SHA1/1K"/></manifest:file-entry></manifest:manifest>', 1)
write("E_SHEET_ENCRYPTED.password.ods", plus({"META-INF/manifest.xml": man}, ods_parts))
