"""The web demo end to end: offline edits on two devices, reload offline, convergence,
conflicts explained, rules (partial replication, refused writes), accessibility, screenshots."""

from __future__ import annotations

import json
import os
import uuid

from playwright.sync_api import expect

from .conftest import SYNC_MS, Device

INTERACTIVE = {"button", "checkbox", "textbox", "searchbox", "combobox", "listbox", "link", "radio",
               "switch", "spinbutton", "slider", "menuitem", "tab"}


def test_two_devices_edit_offline_reload_reconnect_converge_and_explain_the_conflict(browser, demo_server, shots):
    d1 = Device(browser, demo_server, "ann-laptop").sign_in("ann")
    d2 = Device(browser, demo_server, "ann-phone").sign_in("ann")
    try:
        d1.add("Plan the trip", tags="travel")
        expect(d2.item("Plan the trip")).to_have_count(1, timeout=SYNC_MS)

        for d in (d1, d2):
            d.offline(True)
        for d in (d1, d2):
            expect(d.page.locator("#net")).to_have_text("offline", timeout=SYNC_MS)
        # Same column of the same item on both devices, laptop first: the phone's stamp is later.
        d1.edit_title("Plan the trip", "Plan the trip to Oslo")
        d1.page.wait_for_timeout(50)
        d2.edit_title("Plan the trip", "Plan the trip to Rome")
        d1.add("Offline note from the laptop", tags="offline")
        d2.add("Offline note from the phone", tags="offline")
        for d in (d1, d2):
            expect(d.page.locator("#pending")).to_have_text("2")

        # Reload with the network off: the service worker serves the app, IndexedDB the data.
        d1.page.reload()
        d1.wait_ready()
        expect(d1.item("Plan the trip to Oslo")).to_have_count(1)
        expect(d1.item("Offline note from the laptop")).to_have_count(1)
        expect(d1.page.locator("#pending")).to_have_text("2")
        expect(d1.page.locator("#net")).to_have_text("offline", timeout=SYNC_MS)
        d1.page.screenshot(path=os.path.join(shots, "demo-offline.png"))
        d1.page.wait_for_timeout(3000)      # two sync intervals: nothing may leave while offline
        expect(d1.page.locator("#pending")).to_have_text("2")
        assert not [r for r in d1.sync_responses if r.url.endswith("/v1/push") and r.status == 200
                    and '"Plan the trip to Oslo"' in (r.request.post_data or "")]

        # The phone reconnects first, then the laptop: the laptop learns its edit lost.
        d2.offline(False)
        d2.wait_synced()
        d1.offline(False)
        d1.wait_synced()
        notice = d1.page.locator("#notices .notice.conflict")
        try:
            expect(notice).to_have_count(1, timeout=SYNC_MS)
        except AssertionError as e:
            raise AssertionError(f"{e}\nlaptop's sync log:\n{d1.sync_log()}") from None
        text = notice.inner_text()
        assert "Kept “Plan the trip to Rome”" in text, text
        assert "lost “Plan the trip to Oslo” (this device)" in text, text
        assert "column-level last-writer-wins on hybrid logical clocks" in text, text
        # The README's picture: the board after the conflict, with the console's plan.
        d1.sql("SELECT owner, shared, count(*) AS n FROM item WHERE owner = 'ann' GROUP BY owner, shared")
        expect(d1.page.locator("#plan")).to_contain_text("USING INDEX item_owner")
        d1.page.locator("body").click(position={"x": 5, "y": 5})
        d1.page.screenshot(path=os.path.join(shots, "demo.png"))

        for d in (d1, d2):
            for title in ("Plan the trip to Rome", "Offline note from the laptop", "Offline note from the phone"):
                expect(d.item(title)).to_have_count(1, timeout=SYNC_MS)
            expect(d.item("Plan the trip to Oslo")).to_have_count(0)
        d1.wait_synced()
        d2.wait_synced()
        assert d1.rows() == d2.rows()
        # The phone's edit won without a fight it could see: no notice there.
        expect(d2.page.locator("#notices .notice")).to_have_count(0)
        assert not d1.errors and not d2.errors, d1.errors + d2.errors
    finally:
        d1.close()
        d2.close()


def _ax_controls(page) -> list[dict]:
    cdp = page.context.new_cdp_session(page)
    tree = cdp.send("Accessibility.getFullAXTree")["nodes"]
    out = []
    for n in tree:
        role = (n.get("role") or {}).get("value")
        if n.get("ignored") or role not in INTERACTIVE:
            continue
        out.append({"role": role, "name": ((n.get("name") or {}).get("value") or "").strip()})
    return out


def test_users_see_their_own_and_shared_items_only_and_the_app_is_usable_by_keyboard(browser, demo_server, shots):
    ann = Device(browser, demo_server, "ann").sign_in("ann")
    bob = Device(browser, demo_server, "bob").sign_in("bob")
    try:
        secret = f"Ann's secret plan {uuid.uuid4().hex[:6]}"
        ann.add(secret, tags="private-stuff")
        ann.add("Team lunch on Friday", tags="team,food", shared=True)
        ann.wait_synced()

        expect(bob.item("Team lunch on Friday")).to_have_count(1, timeout=SYNC_MS)
        expect(bob.item("Bob only: dentist on Tuesday")).to_have_count(1)
        for hidden in (secret, "Ann only: renew passport"):
            expect(bob.item(hidden)).to_have_count(0)
            expect(ann.item(hidden)).to_have_count(1)
        expect(ann.item("Bob only: dentist on Tuesday")).to_have_count(0)
        # Not hidden by the UI: the rows are not in Bob's database at all.
        bob.sql("SELECT count(*) AS n FROM item WHERE owner = 'ann' AND shared = 0")
        assert bob.page.locator("#sql-result td").all_inner_texts() == ["0"]
        bob.sql("SELECT count(*) AS n FROM item WHERE owner = 'ann' AND shared = 1")
        assert bob.page.locator("#sql-result td").all_inner_texts() != ["0"]
        assert "Ann only" not in json.dumps(bob.rows()) and secret not in json.dumps(bob.rows())

        # What the server sent Bob's browser: no private row of Ann's, in any pull.
        bodies = [json.loads(r.body()) for r in bob.sync_responses if r.url.endswith("/v1/pull") and r.status == 200]
        sent = [op["row"] for b in bodies for e in b.get("entries", []) for op in e.get("ops", []) if op.get("row")]
        sent += [dict(zip(t["columns"], row)) for b in bodies for t in b.get("tables", {}).values() for row in t["rows"]]
        assert any(r["title"] == "Team lunch on Friday" for r in sent), "no pull response was observed"
        assert not [r for r in sent if r["owner"] == "ann" and not r["shared"]]
        # And what the server sends any client of Bob's from scratch (a full snapshot).
        st, snap = demo_server.post("/v1/pull", {"v": 1, "client": "probe-bob", "cursor": None,
                                                 "subscriptions": [{"table": "item"}]}, "bob")
        assert st == 200 and snap.get("reset")
        rows = [dict(zip(snap["tables"]["item"]["columns"], r)) for r in snap["tables"]["item"]["rows"]]
        assert {r["owner"] for r in rows if not r["shared"]} == {"bob"}
        st, snap = demo_server.post("/v1/pull", {"v": 1, "client": "probe-ann", "cursor": None,
                                                 "subscriptions": [{"table": "item"}]}, "ann")
        assert secret in json.dumps(snap)

        # A write the rules refuse (an item in Ann's name) is rolled back and explained.
        bob.sql("INSERT INTO item(id, owner, shared, title) VALUES ('forged-1', 'ann', 0, 'Forged by Bob')")
        expect(bob.page.locator("#notices .notice.reject")).to_contain_text("refused", timeout=SYNC_MS)
        expect(bob.item("Forged by Bob")).to_have_count(0, timeout=SYNC_MS)
        ann.page.get_by_role("button", name="Sync now").click()
        ann.wait_synced()
        expect(ann.item("Forged by Bob")).to_have_count(0)

        # Keyboard only: Tab to the new-item field, add, mark done, rename.
        p = ann.page
        p.locator("body").click(position={"x": 5, "y": 5})
        for _ in range(40):
            p.keyboard.press("Tab")
            if p.evaluate("document.activeElement.id") == "new-title":
                break
        assert p.evaluate("document.activeElement.id") == "new-title", "the new-item field is not reachable by Tab"
        p.keyboard.type("Typed without a mouse")
        p.keyboard.press("Tab")
        p.keyboard.type("keyboard")
        p.keyboard.press("Enter")
        expect(ann.item("Typed without a mouse")).to_have_count(1)
        p.get_by_role("checkbox", name="Done: Typed without a mouse").focus()
        p.keyboard.press("Space")
        expect(p.get_by_role("checkbox", name="Done: Typed without a mouse")).to_be_checked()
        expect(ann.item("Typed without a mouse")).to_have_class("done")     # rendered from the database
        expect(p.get_by_role("checkbox", name="Done: Typed without a mouse")).to_be_focused()
        p.keyboard.press("Tab")
        expect(p.get_by_role("button", name="Edit Typed without a mouse")).to_be_focused()
        p.keyboard.press("Enter")
        assert p.evaluate("document.activeElement.getAttribute('aria-label')") == "Title of Typed without a mouse"
        p.keyboard.type("Renamed by keyboard")
        p.keyboard.press("Enter")
        expect(ann.item("Renamed by keyboard")).to_have_count(1)
        expect(p.get_by_role("button", name="Edit Renamed by keyboard")).to_be_focused()
        ann.wait_synced()

        # Every control in the accessibility tree has a name (both users' views).
        for d in (ann, bob):
            controls = _ax_controls(d.page)
            assert len(controls) >= 15, controls
            unnamed = [c for c in controls if not c["name"]]
            assert not unnamed, unnamed

        ann.sql("SELECT owner, shared, count(*) AS n FROM item WHERE owner = 'ann' GROUP BY owner, shared")
        expect(ann.page.locator("#plan")).to_contain_text("USING INDEX item_owner")
        ann.page.locator("body").click(position={"x": 5, "y": 5})
        ann.page.screenshot(path=os.path.join(shots, "demo-ann.png"))
        bob.page.screenshot(path=os.path.join(shots, "demo-bob.png"))
        assert not ann.errors and not bob.errors, ann.errors + bob.errors
    finally:
        ann.close()
        bob.close()


def test_a_second_tab_takes_over_and_keeps_syncing_what_it_writes(browser, demo_server):
    d = Device(browser, demo_server, "ann-tabs").sign_in("ann")
    first = d.page
    second = d.ctx.new_page()
    second.set_default_timeout(SYNC_MS)
    second.goto(demo_server.url + "/")            # the saved session signs in at once
    d.page = second
    d.wait_ready()
    assert second.evaluate("window.demo.db.leader") is False
    d.add("Written in the second tab", tags="tabs")
    d.wait_synced()
    # The first tab (the leader) goes away; the second one's worker takes the database over.
    first.close()
    second.wait_for_function("window.demo.db.leader === true", timeout=SYNC_MS)
    d.add("Written after the first tab closed", tags="tabs")
    d.wait_synced()
    st, snap = demo_server.post("/v1/pull", {"v": 1, "client": "probe-tabs", "cursor": None,
                                             "subscriptions": [{"table": "item"}]}, "ann")
    titles = [r[snap["tables"]["item"]["columns"].index("title")] for r in snap["tables"]["item"]["rows"]]
    assert "Written in the second tab" in titles and "Written after the first tab closed" in titles
    assert not d.errors, d.errors
    d.close()
