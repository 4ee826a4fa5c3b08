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

ROOT = pathlib.Path(__file__).resolve().parents[3]
FIXTURE = (ROOT / "fixtures" / "handbooks" / "01-physical-1-tokyo.toml").read_text(encoding="utf-8")
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
    hb = wallet.register_toml(FIXTURE, PHOTO, t.Language.JAPANESE)
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
    with pytest.raises(t.TechoError.InvalidHandbook) as bad:
        wallet.register_toml(FIXTURE.replace("131016", "131017"), None, t.Language.JAPANESE)
    assert "municipality_code" in bad.value.detail
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


class ForwardingCard(t.CardTransport):
    """A platform transport written in Python, forwarding APDUs to the software card."""

    def __init__(self, card):
        self.card = card
        self.apdus = 0

    def extended_length(self):
        return self.card.extended_length()

    def transmit(self, apdu):
        self.apdus += 1
        return self.card.transmit(apdu)


def software_card(tmp_path, name):
    return t.SoftwareCard.open(str(ROOT / "fixtures" / "cards" / name), str(tmp_path / f"{name}.state"), True)


def test_link_with_the_card_then_present_and_verify(tmp_path, servers):
    service = t.TechoService.from_endpoints_file(str(servers))
    wallet = t.Wallet.open(str(tmp_path / "wallet"), MemoryKeys(), None, None)
    hb = wallet.register_toml(FIXTURE, PHOTO, t.Language.JAPANESE)
    with pytest.raises(t.TechoError.NothingToPresent):
        wallet.present(None)

    card = ForwardingCard(software_card(tmp_path, "yamada"))
    info = asyncio.run(wallet.link(service, hb.id, card, "1234", False, None, t.Language.JAPANESE))
    assert info.status == t.LinkageStatus.LINKED and info.label == "連携済"
    assert info.valid_until is not None
    assert card.apdus >= 6

    p = wallet.present(None)
    assert p.text.startswith("TK1:") and p.qr_width == len(p.qr_modules) ** 0.5
    verifier = asyncio.run(service.fetch_verifier(asyncio.run(service.root_key())))
    verdict = verifier.verify(p.binary, int(time.time()), t.Language.ENGLISH)
    assert verdict.linkage == "Linked" and verdict.caregiver is True
    assert verdict.self_declared == []

    # A support profile: shown in its own band, carried as self-declared.
    wallet.set_support_profile_toml((ROOT / "fixtures" / "profiles" / "powered-chair.toml").read_text(encoding="utf-8"))
    screen = wallet.counter_screen(t.CounterOptions(lang=t.Language.JAPANESE, reduced_motion=False, text_scale=1.0, photo_enlarged=False))
    assert screen.support.tag == "本人申告" and "300Wh" in screen.support.lines[0].text
    verdict = verifier.verify(wallet.present(None).binary, int(time.time()), t.Language.ENGLISH)
    assert verdict.self_declared == ["Electric wheelchair", "Boarding ramp"]

    assert asyncio.run(wallet.unlink(service, hb.id, t.Language.ENGLISH)).status == t.LinkageStatus.UNLINKED
    with pytest.raises(t.TechoError.NothingToPresent):
        wallet.present(hb.id)


def test_wrong_pin_reports_tries_left_and_keeps_the_handbook(tmp_path, servers):
    service = t.TechoService.from_endpoints_file(str(servers))
    wallet = t.Wallet.open(str(tmp_path / "wallet"), MemoryKeys(), None, None)
    hb = wallet.register_toml(FIXTURE, None, t.Language.JAPANESE)
    raw = software_card(tmp_path, "yamada")
    with pytest.raises(t.TechoError.WrongPin) as wrong:
        asyncio.run(wallet.link(service, hb.id, ForwardingCard(raw), "9999", False, None, t.Language.ENGLISH))
    assert wrong.value.tries_left == 2 and raw.auth_tries_left() == 2
    assert wallet.linkage(hb.id, t.Language.JAPANESE).status == t.LinkageStatus.UNLINKED
    assert [h.id for h in wallet.handbooks(t.Language.JAPANESE)] == [hb.id]


def test_a_guardian_links_as_proxy_and_the_verdict_names_her(tmp_path, servers):
    service = t.TechoService.from_endpoints_file(str(servers))
    wallet = t.Wallet.open(str(tmp_path / "wallet"), MemoryKeys(), None, None)
    child = (ROOT / "fixtures" / "handbooks" / "06-intellectual-tokyo-2do.toml").read_text(encoding="utf-8")
    child = "\n".join(l for l in child.splitlines() if not l.startswith("photo"))
    child += '\n[guardian]\nrelationship = "legal_guardian"\nname = "伊藤 美咲"\n'
    hb = wallet.register_toml(child, None, t.Language.JAPANESE)
    mother = ForwardingCard(software_card(tmp_path, "ito-parent"))
    # Her own card, as the proxy the portal has on record for TEST-1003.
    info = asyncio.run(wallet.link(service, hb.id, mother, "1357", False, "TEST-1003", t.Language.ENGLISH))
    assert info.status == t.LinkageStatus.LINKED
    screen = wallet.counter_screen(t.CounterOptions(lang=t.Language.JAPANESE, reduced_motion=False, text_scale=1.0, photo_enlarged=False))
    assert screen.guardian_band == "保護者が提示（法定代理人：伊藤 美咲）"
    verifier = asyncio.run(service.fetch_verifier(asyncio.run(service.root_key())))
    verdict = verifier.verify(wallet.present(hb.id).binary, int(time.time()), t.Language.ENGLISH)
    assert verdict.guardian == "presented by guardian (legal guardian, confirmed by the portal)"
    # Not her daughter's proxy for someone else: the portal refuses.
    other = wallet.register_toml(FIXTURE, None, t.Language.JAPANESE)
    with pytest.raises(t.TechoError.Refused) as refused:
        asyncio.run(wallet.link(service, other.id, ForwardingCard(software_card(tmp_path, "ito-parent")), "1357", False, "TEST-1001", t.Language.ENGLISH))
    assert "not_a_proxy" in refused.value.detail
