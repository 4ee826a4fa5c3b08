"""A booking site written in Python on the generated bindings: the site's verifier starts a
session, the phone (the Python wallet) answers the request bound to the site's challenge with
the name from the card, the site judges it by its policy; a replay and a late answer are refused
with stable codes."""
import asyncio
import datetime
import json
import time

import pytest
import techo_ffi as t
from conftest import service_of
from test_techo import FORM, PHOTO, ROOT, MemoryKeys, link

SITE = "https://tickets.example"
POLICY = (ROOT / "fixtures" / "policies" / "booking-site-online.toml").read_text(encoding="utf-8")


def test_a_python_site_starts_and_finishes_sessions(tmp_path, servers, card_sim):
    service = service_of(servers)
    wallet = t.Wallet.open(str(tmp_path / "wallet"), MemoryKeys(), None, None)
    hb = wallet.register(FORM, PHOTO, t.Language.JAPANESE)
    link(wallet, service, hb.id, card_sim("yamada"), "1234")
    verifier = asyncio.run(service.fetch_verifier(asyncio.run(service.root_key())))
    site = t.SiteVerifier("例示きっぷ予約サイト", "Example Ticket Booking Site", SITE, POLICY, verifier, None)

    now = int(time.time())
    today = datetime.date.today().isoformat()
    trip = t.SiteTrip(date=today, distance_km=553, with_caregiver=True)
    session = site.start_session("browser-1", t.SiteFlow.CROSS_DEVICE, trip, True, now)
    assert session.link.startswith("techo://site?request_uri=https%3A%2F%2Ftickets.example")

    # The phone: the request as served, checked, answered with consent to the name.
    request = site.request_json(session.id, now)
    me = t.SiteIdentity(name="山田 太郎", birth_date="1979-07-20")
    answer = wallet.answer_site(request, session.request_uri, None, me)
    # Served from elsewhere, the same request is refused before anything is presented.
    with pytest.raises(t.TechoError.Rejected) as relay:
        wallet.answer_site(request, "https://evil.example/techo/requests/x", None, me)
    assert relay.value.code == "wrong_site"

    outcome = site.finish_session(session.id, answer.encode(), now, "browser-1", t.Language.ENGLISH)
    assert outcome.decision == "accepted"
    assert outcome.holder_discount and outcome.caregiver_discount
    assert outcome.identity_name == "山田 太郎" and outcome.identity_birth_date == "1979-07-20"
    assert json.loads(outcome.reply_json)["accepted"] is True

    # The captured answer, replayed at a new session: refused as a replay.
    again = site.start_session("browser-1", t.SiteFlow.CROSS_DEVICE, trip, False, now)
    with pytest.raises(t.TechoError.Rejected) as replay:
        site.finish_session(again.id, answer.encode(), now, "browser-1", t.Language.ENGLISH)
    assert replay.value.code == "replayed"

    # Answered after five minutes: refused.
    late = site.start_session("browser-1", t.SiteFlow.SAME_DEVICE, trip, False, now)
    answer = wallet.answer_site(site.request_json(late.id, now), late.request_uri, None, None)
    with pytest.raises(t.TechoError.Rejected) as expired:
        site.finish_session(late.id, answer.encode(), now + 301, "browser-1", t.Language.ENGLISH)
    assert expired.value.code == "request_expired"
