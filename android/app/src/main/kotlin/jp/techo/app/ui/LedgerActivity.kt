package jp.techo.app.ui

import android.os.Bundle
import java.text.DateFormat
import java.util.Date
import uniffi.techo_ffi.TechoException

/**
 * The consent ledger of one handbook: the issuer's standing consent while linked (what it
 * receives from the Myna Portal, since when, until when, and withdraw), then every booking site
 * that received an answer, newest first, with what it received.
 */
class LedgerActivity : TechoActivity() {
    private lateinit var handbookId: String

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        handbookId = intent.getStringExtra(HANDBOOK) ?: return finish()
        render(null)
    }

    private fun render(message: String?) {
        val ledger = try {
            app.wallet.consentLedger(handbookId, lang)
        } catch (e: TechoException) {
            screen { text(e.message ?: e.toString(), 20f, tag = "ledger.error") }
            return
        }
        val format = DateFormat.getDateTimeInstance(DateFormat.MEDIUM, DateFormat.SHORT)
        screen {
            text(t("同意の記録", "Consent ledger"), 26f, bold = true)
            message?.let { text(it, 18f, tag = "message") }
            text(t("発行元（連携）", "The issuer (linkage)"), 20f, bold = true)
            val issuer = ledger.issuer
            if (issuer == null) {
                text(t("連携の同意はありません", "No linkage consent"), tag = "ledger.issuer.none")
            } else {
                text(issuer.recipient, 18f, tag = "ledger.issuer")
                text(t("同意した日時 ", "Since ") + format.format(Date(issuer.sinceUnix * 1000)))
                issuer.until?.let { text(t("同意の終わり $it", "Consent ends $it"), tag = "ledger.issuer.until") }
                text(t("受け取る項目：", "Receives:") + " " + issuer.items.joinToString(t("、", ", ")))
                button(t("連携の同意を取り消す", "Withdraw consent (unlink)"), tag = "ledger.withdraw") {
                    withdrawConsent(handbookId) { render(it) }
                }
            }
            text(t("提示したサイト", "Sites that received an answer"), 20f, bold = true)
            if (ledger.sites.isEmpty()) text(t("まだありません", "None yet"), tag = "ledger.sites.none")
            ledger.sites.forEachIndexed { i, s ->
                text("${if (s.accepted) "◯" else "✕"} ${s.site}", 18f, bold = true, tag = "ledger.site.$i")
                text("${s.audience} ・ ${format.format(Date(s.atUnix * 1000))}")
                text(s.items.joinToString(t("、", ", ")), tag = "ledger.site.$i.items")
            }
        }
    }

    companion object {
        const val HANDBOOK = "handbook"
    }
}
