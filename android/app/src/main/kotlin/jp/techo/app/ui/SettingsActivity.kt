package jp.techo.app.ui

import android.app.Activity
import android.app.AlertDialog
import android.os.Bundle
import jp.techo.app.TechoApp
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.techo_ffi.LinkageStatus
import uniffi.techo_ffi.TechoException

/**
 * Settings: each handbook's linkage (since when, credentials until when), withdrawing consent
 * (the server revokes and deletes what it holds), and withdrawing a returned handbook.
 */
class SettingsActivity : Activity() {
    private val scope = MainScope()
    private val app get() = application as TechoApp

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        render(null)
    }

    private fun render(message: String?) {
        val lang = app.lang
        screen {
            text(pick(lang, "設定", "Settings"), 26f, bold = true)
            message?.let { text(it, 18f) }
            for (h in app.wallet.handbooks(lang)) {
                text("${h.kindLabel} ${h.gradeLabel}", 20f, bold = true)
                text(h.linkage.label + (h.linkage.validUntil?.let { " ・ ~$it" } ?: ""))
                if (h.linkage.status == LinkageStatus.LINKED || h.linkage.status == LinkageStatus.PENDING) {
                    button(pick(lang, "連携の同意を取り消す", "Withdraw consent (unlink)")) { unlink(h.id) }
                }
                button(pick(lang, "この手帳を削除（返還・再交付）", "Remove this handbook (returned or replaced)")) {
                    confirm(pick(lang, "手帳と写真を削除します", "This deletes the handbook and its photo")) {
                        app.wallet.withdraw(h.id)
                        render(null)
                    }
                }
            }
        }
    }

    private fun unlink(id: String) = confirm(
        pick(app.lang, "サーバーの証明書を失効させ、保持データを削除します", "The server revokes the credentials and deletes what it holds"),
    ) {
        scope.launch {
            val message = try {
                withContext(Dispatchers.IO) { app.wallet.unlink(app.service, id, app.lang) }.label
            } catch (e: TechoException) {
                e.message
            }
            render(message)
        }
    }

    private fun confirm(message: String, then: () -> Unit) {
        AlertDialog.Builder(this)
            .setMessage(message)
            .setPositiveButton("OK") { _, _ -> then() }
            .setNegativeButton(pick(app.lang, "やめる", "Cancel"), null)
            .show()
    }

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }
}
