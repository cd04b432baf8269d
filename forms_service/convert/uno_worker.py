"""One warm LibreOffice, driven over UNO; run by the pool under a Python that can ``import uno``.

This file is executed by Debian's ``/usr/bin/python3`` (python3-uno), not imported by the
service: it may use only the standard library and ``uno``.  It starts its own ``soffice`` with a
private profile and pipe, then reads one JSON request per line on stdin and answers one JSON
line on stdout:

    → {"in": "/path/x.docx", "out": "/path/x.pdf", "tagged": true}
    ← {"ok": true, "pages": 2}   or   {"ok": false, "error": "…"}

The pool runs it in a new session, so killing the process group kills soffice too.
"""

import json
import os
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def start_office(soffice, profile_url, pipe_name):
    accept = "pipe,name=%s;urp;StarOffice.ComponentContext" % pipe_name
    return subprocess.Popen(
        [soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
         "--nolockcheck", "--nofirststartwizard", "-env:UserInstallation=" + profile_url,
         "--accept=" + accept],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def connect(pipe_name, office, timeout):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    url = "uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe_name
    deadline = time.monotonic() + timeout
    while True:
        if office.poll() is not None:
            raise RuntimeError("soffice exited at start-up with status %s" % office.returncode)
        try:
            ctx = resolver.resolve(url)
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def convert(desktop, src, dst, tagged=True):
    doc = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(src), "_blank", 0,
        (prop("Hidden", True), prop("ReadOnly", True), prop("UpdateDocMode", 0)),
    )
    if doc is None:
        raise RuntimeError("LibreOffice could not open the document")
    try:
        pages = doc.getCurrentController().getPropertyValue("PageCount")
        filter_data = uno.Any(
            "[]com.sun.star.beans.PropertyValue",
            (prop("SelectPdfVersion", 2),  # PDF/A-2b: fonts embedded, sRGB output intent
             prop("UseTaggedPDF", bool(tagged)),
             # bookmarks as named destinations: where each signature block is (produce/fields.py)
             prop("ExportBookmarksToPDFDestination", True)),
        )
        doc.storeToURL(
            uno.systemPathToFileUrl(dst),
            (prop("FilterName", "writer_pdf_Export"), prop("FilterData", filter_data)),
        )
        return pages
    finally:
        doc.close(True)


def main():
    soffice, profile_dir, pipe_name = sys.argv[1:4]
    office = start_office(soffice, uno.systemPathToFileUrl(profile_dir), pipe_name)
    try:
        desktop = connect(pipe_name, office, timeout=60)
        out = sys.stdout
        out.write(json.dumps({"ready": True, "pid": office.pid}) + "\n")
        out.flush()
        for line in sys.stdin:
            request = json.loads(line)
            try:
                pages = convert(desktop, request["in"], request["out"], request.get("tagged", True))
                answer = {"ok": True, "pages": pages}
            except Exception as err:  # report and keep serving; a dead office ends the loop below
                answer = {"ok": False, "error": "%s: %s" % (type(err).__name__, err)}
            out.write(json.dumps(answer) + "\n")
            out.flush()
            if office.poll() is not None:
                break
    finally:
        if office.poll() is None:
            office.terminate()
            try:
                office.wait(10)
            except subprocess.TimeoutExpired:
                office.kill()


if __name__ == "__main__":
    os.environ.setdefault("SAL_USE_VCLPLUGIN", "svp")
    main()
