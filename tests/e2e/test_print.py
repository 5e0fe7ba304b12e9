"""Printing as a person does it, in the real `inbox-app`: Ctrl+P, the preview, the platform
print dialog, "Print to File (PDF)" with a typed path. The PDF holds the thread and the
digest, and following its printed instructions literally (curl, then sha256sum) prints that
digest."""

from __future__ import annotations

import re
import subprocess
import unicodedata

import pypdf


def pdf_text(path) -> str:
    reader = pypdf.PdfReader(str(path))
    text = " ".join(unicodedata.normalize("NFKC", p.extract_text()) for p in reader.pages)
    return " ".join(text.split())


def test_ctrl_p_previews_then_prints_to_a_pdf_through_the_print_dialog(app, inbox_server, e2e_dir):
    app.sign_in("alice")
    inbox_server.inbound("Please print this thread for my case file.")
    app.wait_for(r"message received \d+ in \d+")
    inbox_server.inbound("The second page of the letter is attached separately.")
    app.wait_for(r"message received \d+ in \d+")
    app.open_row("555-0123")
    app.wait_for(r"thread loaded \d+")

    app.key("ctrl+p")
    app.widget("printPreviewDialog")
    app.widget("printPreview")
    app.screenshot("print-preview")
    app.click("previewPrintButton")

    # The platform dialog; with no CUPS printer, "Print to File (PDF)" is its printer.
    app.widget("printDialog")
    app.widget("printers")
    target = e2e_dir / "printed thread.pdf"
    app.fill("filename", str(target))
    app.screenshot("print-dialog")
    app.key("Return")
    match = app.wait_for(r"printout done: (\d+) pages of conversation (\d+)")
    app.wait_gone("printDialog")
    assert target.is_file() and not target.with_name(target.name + ".part").exists()

    text = pdf_text(target)
    assert "Please print this thread for my case file." in text
    assert "The second page of the letter is attached separately." in text
    pages = int(match.group(1))
    assert f"Page {pages} of {pages}" in text
    digest = re.search(r"export of this conversation: ([0-9a-f]{64})", text).group(1)
    url = re.search(r"the canonical JSON document \(UTF-8\) that (\S+) returns", text).group(1)
    conversation_id = match.group(2)
    assert url == f"{inbox_server.base_url}/api/v1/conversations/{conversation_id}/export.json"

    # The printed instructions, word for word: curl with a sign-in token, then sha256sum.
    token = inbox_server.api("alice").token
    name = f"conversation-{conversation_id}.json"
    command = re.search(r"\((curl -H .+? -o \S+ \S+)\)", text).group(1)
    assert command == f'curl -H "Authorization: Bearer TOKEN" -o {name} {url}'
    subprocess.run(
        ["curl", "-sS", "-f", "-H", f"Authorization: Bearer {token}", "-o", name, url],
        cwd=e2e_dir,
        check=True,
    )
    assert f"sha256sum {name}" in text
    out = subprocess.run(["sha256sum", name], cwd=e2e_dir, capture_output=True, text=True)
    assert out.stdout.split()[0] == digest
