package jp.techo.app.presenter

import uniffi.techo_ffi.Language
import uniffi.techo_ffi.TechoException
import uniffi.techo_ffi.Verdict
import uniffi.techo_ffi.Verifier

/** What staff mode shows after a scan, in large type, most important line first. */
sealed interface StaffResult {
    val lines: List<String>

    data class Valid(val verdict: Verdict, override val lines: List<String>) : StaffResult
    data class Refused(val code: String, override val lines: List<String>) : StaffResult
}

/**
 * Staff mode: a scanned QR (the camera gives its text, `TK1:…`) verified offline with the
 * issuer's trust and status lists, fetched earlier while online.
 */
class StaffPresenter(private val verifier: Verifier, private val lang: Language) {
    private fun t(ja: String, en: String) = if (lang == Language.JAPANESE) ja else en

    fun onScanned(text: String, nowUnix: Long): StaffResult = try {
        val v = verifier.verify(text.trim().toByteArray(Charsets.UTF_8), nowUnix, lang)
        val lines = buildList {
            add(t("◯ 有効な手帳です", "◯ VALID HANDBOOK"))
            v.guardian?.let { add(it) }
            add(listOfNotNull(v.kind, v.fareClass).joinToString(" ・ "))
            when (v.caregiver) {
                true -> add(t("介護者1名 割引可", "1 caregiver at the discount"))
                false -> add(t("介護者割引なし", "no caregiver discount"))
                null -> {}
            }
            v.linkage?.let { add(it) }
            if (v.selfDeclared.isNotEmpty()) {
                add(t("本人申告（発行元は未確認）：", "Self-declared (not checked by the issuer):"))
                addAll(v.selfDeclared)
            }
            add(t("発行元：", "Issuer: ") + v.issuer)
        }
        StaffResult.Valid(v, lines)
    } catch (e: TechoException.Rejected) {
        StaffResult.Refused(e.code, listOf(t("✕ 無効なコード", "✕ NOT VALID"), e.detail))
    } catch (e: TechoException) {
        StaffResult.Refused("error", listOf(t("✕ 確認できません", "✕ CANNOT CHECK"), e.message ?: ""))
    }
}
