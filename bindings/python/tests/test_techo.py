"""The generated Python bindings: a wallet with a Python key provider, linkage through the loopback
servers with the software card, and the verifier checking presentations (the booking-site case)."""
import asyncio
import gc
import json
import os
import pathlib
import subprocess
import time

import pytest
import techo_ffi as t
from conftest import service_of

ROOT = pathlib.Path(__file__).resolve().parents[3]
# 山田 太郎's 身体 1級 handbook (fixture 01) as the register screen fills it in.
FORM = t.HandbookForm(
    kind="physical", grade="1", fare_class="第1種", number="第12345号",
    municipality_code="131016", municipality_name="東京都千代田区", issued="2018-04-02",
    holder_name="山田 太郎", holder_kana="ヤマダ タロウ", holder_birth_date="1979-07-20",
)
PHOTO = (ROOT / "fixtures" / "handbooks" / "photos" / "yamada.png").read_bytes()
TECHO = os.environ.get("TECHO_BIN", str(ROOT / "target" / "debug" / "techo"))


class MemoryKeys(t.DataKeyProvider):
    """A platform keystore stand-in: one 32-byte key, made on first use."""

    def __init__(self):
        self.key = None

    def data_key(self, create):
        if self.key is None:
            if not create:
                raise t.DataKeyError.Platform("no key yet")
            self.key = os.urandom(32)
        return self.key


def test_wallet_register_list_screen_withdraw(tmp_path):
    keys = MemoryKeys()
    wallet = t.Wallet.open(str(tmp_path), keys, None, None)
    hb = wallet.register(FORM, PHOTO, t.Language.JAPANESE)
    assert hb.kind_label == "身体障害者手帳"
    assert hb.fare_class_label == "第1種" and hb.caregiver_discount
    assert hb.linkage_label == "未連携"
    assert [h.id for h in wallet.handbooks(t.Language.ENGLISH)] == [hb.id]
    items = wallet.counter_items(t.Language.ENGLISH)
    assert [i.label for i in items[:3]] == ["Handbook", "Fare discount", "Linkage"]
    assert all(i.spoken for i in items)
    # Closed and opened again with the same key: the data is there. (One process may hold the
    # store at a time, so the first handle is released first.)
    del wallet
    gc.collect()
    again = t.Wallet.open(str(tmp_path), keys, None, None)
    assert len(again.handbooks(t.Language.JAPANESE)) == 1
    again.withdraw(hb.id)
    assert again.handbooks(t.Language.JAPANESE) == []


def test_errors_name_the_field_and_the_store_refuses_a_wrong_key(tmp_path):
    wallet = t.Wallet.open(str(tmp_path), MemoryKeys(), None, None)
    wrong = t.HandbookForm(**{**FORM.__dict__, "municipality_code": "131017", "holder_kana": None})
    with pytest.raises(t.TechoError.InvalidHandbook) as bad:
        wallet.register(wrong, None, t.Language.JAPANESE)
    fields = {f.field: f.message for f in bad.value.fields}
    assert set(fields) == {"municipality_code", "holder_kana"}
    assert "検査数字" in fields["municipality_code"]
    # The exception's traceback refers to the wallet: let both go before reopening.
    del bad, wallet
    gc.collect()
    other = MemoryKeys()
    other.key = os.urandom(32)
    with pytest.raises(t.TechoError.Store) as wrong:
        t.Wallet.open(str(tmp_path), other, None, None)
    assert "techo store reset" in wrong.value.detail


def techo(data_dir, *args, stdin=None):
    out = subprocess.run([TECHO, "--data-dir", str(data_dir), *args], check=True, capture_output=True, input=stdin)
    return out.stdout


def test_verifier_checks_a_presentation_from_the_rust_wallet(tmp_path):
    data = tmp_path / "cli"
    fixture = ROOT / "fixtures" / "handbooks" / "03-mental-1-sapporo.toml"
    hb = json.loads(techo(data, "--json", "register", "--from", str(fixture)))
    techo(data, "issuer", "issue", hb["id"])
    published = tmp_path / "published"
    techo(data, "issuer", "publish", str(published))
    payload = json.loads(techo(data, "--json", "present"))["payload"]
    verifier = t.Verifier(
        bytes.fromhex((published / "root-key.txt").read_text().strip()),
        (published / "trust-list.cbor").read_bytes(),
        [(published / "status-list-1.cbor").read_bytes()],
    )
    verdict = verifier.verify(payload.encode(), int(time.time()), t.Language.JAPANESE)
    assert verdict.kind == "精神障害者保健福祉手帳"
    assert verdict.fare_class == "第1種" and verdict.caregiver is True
    # One character changed: refused with the reason.
    i = len(payload) // 2
    forged = payload[:i] + ("A" if payload[i] != "A" else "B") + payload[i + 1:]
    with pytest.raises(t.TechoError.Rejected):
        verifier.verify(forged.encode(), int(time.time()), t.Language.ENGLISH)
    # A screenshot two minutes later is stale.
    with pytest.raises(t.TechoError.Rejected) as stale:
        verifier.verify(payload.encode(), int(time.time()) + 120, t.Language.ENGLISH)
    assert stale.value.code == "stale_screen"


def type_pin(flow, pin):
    step = flow.step()
    for d in pin:
        step = flow.press_digit(int(d))
    return step


def link(wallet, service, hb_id, sim, pin, on_behalf_of=None):
    """The link screen as a holder walks it: purpose, PIN, one tap of the card."""
    flow = t.LinkFlow(wallet, service, hb_id, t.Language.ENGLISH, on_behalf_of)
    assert isinstance(flow.step(), t.LinkStep.PURPOSE)
    flow.accept_purpose()
    # The fourth digit: the flow gets ready (keys, session, challenge) before the card.
    assert isinstance(type_pin(flow, pin), t.LinkStep.WORKING)
    assert isinstance(asyncio.run(flow.prepare()), t.LinkStep.HOLD_CARD)
    with sim.tap() as card:
        return asyncio.run(flow.card_presented(card)), card.apdus


def counter_code(wallet, lang=t.Language.ENGLISH):
    options = t.CounterOptions(lang=lang, reduced_motion=False, text_scale=1.0, photo_enlarged=False)
    frame = t.CounterSession(wallet, options).frame()
    return frame


def test_link_with_the_card_then_present_and_verify(tmp_path, servers, card_sim):
    service = service_of(servers)
    wallet = t.Wallet.open(str(tmp_path / "wallet"), MemoryKeys(), None, None)
    hb = wallet.register(FORM, PHOTO, t.Language.JAPANESE)
    before = counter_code(wallet)
    assert before.status == t.CodeStatus.NOT_LINKED and before.code is None

    step, apdus = link(wallet, service, hb.id, card_sim("yamada"), "1234")
    assert isinstance(step, t.LinkStep.LINKED) and step.label == "Linked"
    assert step.valid_until is not None
    assert apdus >= 6

    frame = counter_code(wallet)
    assert frame.status == t.CodeStatus.SHOWN
    p = frame.code
    assert p.text.startswith("TK1:") and p.qr_width == len(p.qr_modules) ** 0.5
    verifier = asyncio.run(service.fetch_verifier(asyncio.run(service.root_key())))
    verdict = verifier.verify(p.binary, int(time.time()), t.Language.ENGLISH)
    assert verdict.linkage == "Linked" and verdict.caregiver is True
    assert verdict.self_declared == []

    # A support profile, as typed records: shown in its own band, carried as self-declared.
    chair = t.SupportItem(
        code=t.SupportCode.ELECTRIC_WHEELCHAIR, on_screen=True, in_qr=True,
        powered=t.PoweredSpec(battery=t.BatteryType.LITHIUM_ION, watt_hours=300, width_cm=63,
                              length_cm=110, height_cm=95, weight_kg=85),
    )
    ramp = t.SupportItem(code=t.SupportCode.BOARDING_RAMP, powered=None, on_screen=True, in_qr=True)
    wallet.set_support_profile(t.SupportProfile(items=[chair, ramp], note=None))
    screen = counter_code(wallet, t.Language.JAPANESE)
    assert screen.view.support.tag == "本人申告" and "300Wh" in screen.view.support.lines[0].text
    verdict = verifier.verify(screen.code.binary, int(time.time()), t.Language.ENGLISH)
    assert verdict.self_declared == ["Electric wheelchair", "Boarding ramp"]
    # A powered chair without its battery details is refused, naming the item.
    with pytest.raises(t.TechoError.BadInput):
        wallet.set_support_profile(t.SupportProfile(items=[t.SupportItem(
            code=t.SupportCode.ELECTRIC_WHEELCHAIR, powered=None, on_screen=True, in_qr=False)], note=None))

    assert asyncio.run(wallet.unlink(service, hb.id, t.Language.ENGLISH)).status == t.LinkageStatus.UNLINKED
    assert counter_code(wallet).status == t.CodeStatus.NOT_LINKED


def test_wrong_pin_reports_tries_left_and_keeps_the_handbook(tmp_path, servers, card_sim):
    service = service_of(servers)
    wallet = t.Wallet.open(str(tmp_path / "wallet"), MemoryKeys(), None, None)
    hb = wallet.register(FORM, PHOTO, t.Language.JAPANESE)
    sim = card_sim("yamada")
    step, _ = link(wallet, service, hb.id, sim, "9999")
    assert isinstance(step, t.LinkStep.ENTER_PIN)
    assert step.tries_left == 2 and step.entered == 0 and "2 tries left" in step.notice
    assert sim.auth_tries_left() == 2
    assert wallet.linkage(hb.id, t.Language.JAPANESE).status == t.LinkageStatus.UNLINKED
    assert [h.id for h in wallet.handbooks(t.Language.JAPANESE)] == [hb.id]


def test_a_guardian_links_as_proxy_and_the_verdict_names_her(tmp_path, servers, card_sim):
    service = service_of(servers)
    wallet = t.Wallet.open(str(tmp_path / "wallet"), MemoryKeys(), None, None)
    child = t.HandbookForm(
        kind="intellectual", label="2度", fare_class="第1種", number="T-551002",
        municipality_code="130001", municipality_name="東京都", issued="2012-05-20",
        holder_name="伊藤 さくら", holder_kana="イトウ サクラ", holder_birth_date="2008-04-01",
        guardian_relationship="legal_guardian", guardian_name="伊藤 美咲",
    )
    hb = wallet.register(child, (ROOT / "fixtures" / "handbooks" / "photos" / "ito.png").read_bytes(), t.Language.JAPANESE)
    mother = card_sim("ito-parent")
    # Her own card, as the proxy the portal has on record for TEST-1003.
    step, _ = link(wallet, service, hb.id, mother, "1357", "TEST-1003")
    assert isinstance(step, t.LinkStep.LINKED), step
    screen = counter_code(wallet, t.Language.JAPANESE)
    assert screen.view.guardian_band == "保護者が提示（法定代理人：伊藤 美咲）"
    verifier = asyncio.run(service.fetch_verifier(asyncio.run(service.root_key())))
    verdict = verifier.verify(screen.code.binary, int(time.time()), t.Language.ENGLISH)
    assert verdict.guardian == "presented by guardian (legal guardian, confirmed by the portal)"
    # Not her daughter's proxy for someone else: the portal refuses.
    other = wallet.register(FORM, PHOTO, t.Language.JAPANESE)
    step, _ = link(wallet, service, other.id, mother, "1357", "TEST-1001")
    assert isinstance(step, t.LinkStep.FAILED) and not step.can_retry
    assert "not_a_proxy" in step.message


def test_staff_lists_catch_up_by_delta_and_open_offline(tmp_path, servers, card_sim):
    """Staff mode's lists (issue 32): refreshed from what was saved by one small signed delta,
    reopened offline with every signature checked again, and refused when changed on disk."""
    service = service_of(servers)
    wallet = t.Wallet.open(str(tmp_path / "wallet"), MemoryKeys(), None, None)
    hb = wallet.register(FORM, PHOTO, t.Language.JAPANESE)
    step, _ = link(wallet, service, hb.id, card_sim("yamada"), "1234")
    assert isinstance(step, t.LinkStep.LINKED), step
    code = counter_code(wallet).code.binary
    root = asyncio.run(service.root_key())
    first = asyncio.run(service.refresh_verifier(root, None))
    saved = first.saved()
    assert saved is not None and first.fetched_bytes() > 0
    assert first.verify(code, int(time.time()), t.Language.ENGLISH).linkage == "Linked"

    # Offline: the saved lists, checked again, still verify.
    offline = t.Verifier.from_saved(root, saved)
    assert offline.verify(code, int(time.time()), t.Language.ENGLISH).linkage == "Linked"
    assert 0 <= offline.lists_age_seconds(int(time.time())) < 3600

    # The holder withdraws (everything revoked): the next refresh is a delta, and refuses.
    asyncio.run(wallet.unlink(service, hb.id, t.Language.ENGLISH))
    second = asyncio.run(service.refresh_verifier(root, saved))
    assert 0 < second.fetched_bytes() < 1024, second.fetched_bytes()
    check = second.check(code, int(time.time()), t.Language.ENGLISH)
    assert not check.valid and check.code == "revoked", check

    # A byte changed on disk: refused, not believed.
    damaged = bytearray(second.saved())
    damaged[-5] ^= 1
    with pytest.raises(t.TechoError.BadInput):
        t.Verifier.from_saved(root, bytes(damaged))
