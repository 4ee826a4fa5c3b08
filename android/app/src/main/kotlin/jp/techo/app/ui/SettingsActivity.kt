package jp.techo.app.ui

import android.app.AlertDialog
import android.os.Bundle
import jp.techo.app.ConfigMissing
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.techo_ffi.LinkageStatus
import uniffi.techo_ffi.TechoException

/**
 * Settings: each handbook's linkage (since when, credentials until when), withdrawing consent
 * (the server revokes and deletes what it holds), and removing a returned handbook.
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
            for (h in app.wallet.handbooks(lang)) {
                text("${h.kindLabel} ${h.gradeLabel}", 20f, bold = true)
                text(h.linkage.label + (h.linkage.validUntil?.let { t(" ・ 証明書 $it まで", " ・ credentials until $it") } ?: ""))
                if (h.linkage.status == LinkageStatus.LINKED || h.linkage.status == LinkageStatus.PENDING) {
                    button(t("連携の同意を取り消す", "Withdraw consent (unlink)"), tag = "unlink.${h.id}") { unlink(h.id) }
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

    private fun unlink(id: String) = confirm(
        t("サーバーの証明書を失効させ、保持データを削除します", "The server revokes the credentials and deletes what it holds"),
    ) {
        scope.launch {
            val message = withContext(Dispatchers.IO) {
                try {
                    app.wallet.unlink(app.service(), id, lang).label
                } catch (e: TechoException) {
                    e.message
                } catch (e: ConfigMissing) {
                    e.message
                }
            }
            render(message)
        }
    }

    private fun confirm(message: String, then: () -> Unit) {
        AlertDialog.Builder(this)
            .setMessage(message)
            .setPositiveButton(t("はい", "Yes")) { _, _ -> then() }
            .setNegativeButton(t("やめる", "Cancel"), null)
            .show()
    }
}
