package jp.techo.app.ui

import android.content.Intent
import android.os.Bundle
import uniffi.techo_ffi.LinkageStatus

/**
 * Settings: each handbook's linkage (since when, credentials until when), withdrawing consent
 * (the server revokes and deletes what it holds), its consent ledger, and removing a returned
 * handbook.
 */
class SettingsActivity : TechoActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        render(null)
    }

    private fun render(message: String?) {
        screen {
            text(t("設定", "Settings"), 26f, bold = true)
            message?.let { text(it, 18f, tag = "message") }
            button(t("支援の情報（本人申告）", "Support profile (self-declared)"), tag = "profile") {
                startActivity(Intent(this@SettingsActivity, ProfileActivity::class.java))
            }
            for (h in app.wallet.handbooks(lang)) {
                text("${h.kindLabel} ${h.gradeLabel}", 20f, bold = true)
                text(h.linkage.label + (h.linkage.validUntil?.let { t(" ・ 証明書 $it まで", " ・ credentials until $it") } ?: ""))
                if (h.linkage.status == LinkageStatus.LINKED || h.linkage.status == LinkageStatus.PENDING) {
                    button(t("連携の同意を取り消す", "Withdraw consent (unlink)"), tag = "unlink.${h.id}") { withdrawConsent(h.id) { render(it) } }
                }
                button(t("手帳のページ画像", "Handbook page images"), tag = "pages.${h.id}") {
                    startActivity(Intent(this@SettingsActivity, PagesActivity::class.java).putExtra(PagesActivity.HANDBOOK, h.id))
                }
                button(t("同意の記録（誰に何を提示したか）", "Consent ledger (who received what)"), tag = "ledger.${h.id}") {
                    startActivity(Intent(this@SettingsActivity, LedgerActivity::class.java).putExtra(LedgerActivity.HANDBOOK, h.id))
                }
                button(t("この手帳を削除（返還・再交付）", "Remove this handbook (returned or replaced)"), tag = "remove.${h.id}") {
                    confirm(t("手帳と写真を削除します", "This deletes the handbook and its photo")) {
                        app.wallet.withdraw(h.id)
                        render(t("削除しました", "Removed"))
                    }
                }
            }
        }
    }
}
