"""Export: one canonical JSON document per thread, and a digest that proves a printout."""

from __future__ import annotations

import hashlib
import json

from tests.conftest import login, make_user
from tests.server.conftest import conversation_for, inbound, message_of, wait_until


def test_export_is_canonical_stable_and_changes_with_the_thread(server, admin):
    conversation = conversation_for(admin)
    cid = conversation["id"]
    inbound(server, "¿Mañana a las 9? 👍")
    reply = admin.post(f"/api/v1/conversations/{cid}/messages", json={"body": "Sí, a las 9"})
    wait_until(lambda: message_of(admin, cid, reply.json()["id"])["status"] == "delivered")
    url = f"/api/v1/conversations/{cid}/export"

    first = admin.get(url).json()
    second = admin.get(url).json()

    assert first == second
    text = first["document"]
    assert first["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    document = json.loads(text)
    assert text == json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert "¿Mañana a las 9? 👍" in text  # UTF-8, not \\u escapes
    assert document["firm"]["name"] == "Doe & Roe Law"
    assert document["contact"]["phone"] == conversation["phone"]
    inbound_row, outbound_row = document["messages"]
    assert (inbound_row["direction"], inbound_row["sender"]) == ("inbound", conversation["phone"])
    assert (outbound_row["direction"], outbound_row["sender"]) == ("outbound", "alice")
    assert all(m["time"].endswith("Z") for m in document["messages"])

    inbound(server, "Gracias")
    assert admin.get(url).json()["sha256"] != first["sha256"]
    make_user(server, "olga", firm="Other Firm LLP")
    assert login(server, "olga").get(url).status_code == 404
