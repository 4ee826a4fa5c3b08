"""The conformance corpus (fixtures/conformance/, docs/conformance.md) run by the verifier the
phones ship, through the Python binding: every case's verdict and refusal code. The Rust verifier
runs the same files (core/tests/conformance.rs)."""
import datetime
import json
import pathlib

import pytest
import techo_ffi as t

CORPUS = pathlib.Path(__file__).resolve().parents[3] / "fixtures" / "conformance"
CASES = sorted((CORPUS / "cases").rglob("*.json"))
_verifiers = {}


def loads(root, trust, status_list):
    try:
        t.Verifier(root, trust, [status_list])
        return True
    except t.TechoError.BadInput:
        return False


def verifier_for(context):
    if context not in _verifiers:
        ctx = json.loads((CORPUS / "contexts" / f"{context}.json").read_text(encoding="utf-8"))
        root = bytes.fromhex(ctx["root_key"])
        trust = bytes.fromhex(ctx["trust_list"])
        # A list that does not load is left out (docs/conformance.md): never used.
        lists = [bytes.fromhex(l) for l in ctx["status_lists"]]
        _verifiers[context] = t.Verifier(root, trust, [l for l in lists if loads(root, trust, l)])
    return _verifiers[context]


def test_the_corpus_is_there():
    assert len(CASES) >= 150, len(CASES)


@pytest.mark.parametrize("path", CASES, ids=lambda p: str(p.relative_to(CORPUS / "cases")))
def test_case(path):
    case = json.loads(path.read_text(encoding="utf-8"))
    payload = case["payload"]
    data = payload["text"].encode("utf-8") if "text" in payload else bytes.fromhex(payload["hex"])
    now = int(datetime.datetime.fromisoformat(case["now"].replace("Z", "+00:00")).timestamp())
    v = verifier_for(case["context"])
    challenge = case.get("policy", {}).get("challenge")
    if challenge:
        check = v.check_answering(data, now, t.Language.ENGLISH, t.ExpectedChallenge(
            nonce=bytes.fromhex(challenge["nonce"]), audience=challenge["audience"]))
    else:
        check = v.check(data, now, t.Language.ENGLISH)
    expected = case["expected"]
    assert check.valid == expected["valid"], (case["id"], check.code, check.lines)
    if not expected["valid"]:
        assert check.code == expected["code"], (case["id"], check.lines)
