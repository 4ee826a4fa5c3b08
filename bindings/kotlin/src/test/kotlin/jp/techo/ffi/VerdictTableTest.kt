package jp.techo.ffi

import java.time.OffsetDateTime
import kotlinx.coroutines.runBlocking
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.OperatorDirectory
import uniffi.techo_ffi.SiteTrip
import uniffi.techo_ffi.StaffDecision
import uniffi.techo_ffi.StaffPolicy
import uniffi.techo_ffi.StaffVerdict
import uniffi.techo_ffi.Verifier

/**
 * Staff mode's verdicts through the library the phone ships: every row of the shared table
 * (fixtures/conformance/verdicts.json) gets the verdict the core and `techo verify --policy`
 * give it; and the operator directory comes from techo-server checked against the trust list.
 */
class VerdictTableTest {
    private fun hex(s: String): ByteArray = ByteArray(s.length / 2) { s.substring(2 * it, 2 * it + 2).toInt(16).toByte() }

    private fun read(path: String) = JSONObject(fixture(path).readText())

    /** A verdict in the table's terms. */
    private fun asRow(v: StaffVerdict): JSONObject =
        if (v.decision == StaffDecision.INVALID_CODE) {
            JSONObject().put("invalid", v.refusal)
        } else {
            JSONObject()
                .put("decision", v.decision.name.lowercase())
                .put("holder", v.holder)
                .put("caregiver", v.caregiver)
                .put("codes", JSONArray(v.codes))
                .also { if (v.declaredCodes.isNotEmpty()) it.put("self_declared", JSONArray(v.declaredCodes)) }
        }

    @Test
    fun `the phone gives every row of the verdict table its verdict`() {
        val table = read("conformance/verdicts.json")
        val ctx = read("conformance/contexts/${table.getString("context")}.json")
        val lists = ctx.getJSONArray("status_lists").let { a -> List(a.length()) { hex(a.getString(it)) } }
        val verifier = Verifier(hex(ctx.getString("root_key")), hex(ctx.getString("trust_list")), lists)
        val now = OffsetDateTime.parse(table.getString("now")).toEpochSecond()
        val shown = table.getJSONArray("presentations").let { a ->
            (0 until a.length()).associate { a.getJSONObject(it).getString("id") to a.getJSONObject(it).getString("text") }
        }
        val rows = table.getJSONArray("rows")
        assertTrue(rows.length() >= 15)
        val failures = (0 until rows.length()).mapNotNull { i ->
            val row = rows.getJSONObject(i)
            val policy = StaffPolicy.fromToml(row.getString("policy"), fixture("policies/${row.getString("policy")}.toml").readText())
            val trip = row.getJSONObject("trip")
            val verdict = verifier.judge(
                shown.getValue(row.getString("presentation")).toByteArray(),
                now,
                Language.ENGLISH,
                policy,
                SiteTrip(
                    trip.getString("date"),
                    if (trip.isNull("distance_km")) null else trip.getInt("distance_km").toUInt(),
                    if (trip.isNull("with_caregiver")) null else trip.getBoolean("with_caregiver"),
                ),
            )
            val got = asRow(verdict)
            if (got.similar(row.getJSONObject("expected"))) null else "${row.getString("id")}: got $got, expected ${row.get("expected")}"
        }
        assertTrue(failures.isEmpty(), failures.joinToString("\n"))
    }

    @Test
    fun `staff pick an operator from the signed directory and read the verdict first`() {
        val dir = tempDir()
        Servers(dir).use { servers ->
            val service = servers.service()
            val root = runBlocking { service.rootKey() }
            val verifier = runBlocking { service.fetchVerifier(root) }
            val directory = runBlocking { service.fetchOperators(verifier) }
            val operators = directory.operators(Language.ENGLISH)
            assertTrue(operators.any { it.id == "example-city-bus" && it.name == "Example City Bus" }, "$operators")
            val bus = directory.policy("example-city-bus")!!
            assertEquals("Example City Bus", bus.name(Language.ENGLISH))
            assertTrue(bus.asks().caregiver)
            // Saved and opened offline: the signature is checked again; a changed byte is refused.
            val saved = directory.saved()
            assertEquals(operators, OperatorDirectory.open(verifier, saved).operators(Language.ENGLISH))
            val changed = saved.copyOf().also { it[it.size / 2] = (it[it.size / 2].toInt() xor 1).toByte() }
            assertTrue(runCatching { OperatorDirectory.open(verifier, changed) }.isFailure)
            // A code that is not one: the verdict says so, in large type first, naming the operator.
            val v = verifier.judge("TK1:not-a-code".toByteArray(), System.currentTimeMillis() / 1000, Language.ENGLISH, bus, SiteTrip("2026-12-01", null, null))
            assertEquals(StaffDecision.INVALID_CODE, v.decision)
            assertEquals(listOf("✕ NOT A VALID CODE", "Example City Bus"), v.lines.take(2))
        }
    }
}
