package jp.techo.app.ui

import android.content.Intent
import jp.techo.app.ConfigMissing
import jp.techo.app.UnlockResult
import jp.techo.app.WalletState
import jp.techo.app.presenter.HandbookRows
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.techo_ffi.LinkageStatus
import uniffi.techo_ffi.TechoException

/** Home: the app lock, then the handbooks (tap one for the counter screen). */
class MainActivity : TechoActivity() {
    override val promptsForLock = true
    private var unlocking = false

    override fun onResume() {
        super.onResume()
        when (val state = app.walletState()) {
            is WalletState.KeyGone -> {
                startActivity(Intent(this, KeyGoneActivity::class.java))
                finish()
            }
            is WalletState.Failed -> screen {
                text(t("手帳を開けません", "The wallet cannot be opened"), 24f, bold = true)
                text(state.detail)
            }
            is WalletState.Open -> if (app.lock.needsUnlock()) askToUnlock() else show()
        }
    }

    private fun askToUnlock() {
        if (unlocking) return
        unlocking = true
        screen { text(t("Techo はロックされています", "Techo is locked"), 24f, bold = true) }
        app.platform.unlock(this, t("Techo のロック解除", "Unlock Techo"), t("手帳を表示します", "to show your handbooks")) { result ->
            unlocking = false
            when (result) {
                UnlockResult.Unlocked -> {
                    app.lock.unlocked()
                    show()
                }
                // No prompt loop: the holder asks again with the button.
                is UnlockResult.Cancelled -> locked(result.reason)
                is UnlockResult.NotPossible -> locked(result.reason)
            }
        }
    }

    private fun locked(reason: String) = screen {
        text(t("Techo はロックされています", "Techo is locked"), 24f, bold = true)
        text(reason)
        button(t("ロックを解除する", "Unlock"), tag = "unlock") { askToUnlock() }
    }

    private fun show(refresh: Boolean = true) {
        val rows = HandbookRows.of(app.wallet.handbooks(lang), lang)
        screen {
            text(t("手帳", "Handbooks"), 28f, bold = true)
            if (rows.isEmpty()) text(t("まだ手帳がありません", "No handbook yet"))
            for (row in rows) {
                button("${if (row.needsAttention) "⚠ " else ""}${row.title}\n${row.subtitle}", tag = "row.${row.id}", spoken = row.spoken) {
                    app.wallet.selectForCounter(row.id)
                    startActivity(Intent(this@MainActivity, CounterActivity::class.java))
                }
                if (!row.linked) {
                    button(t("マイナポータルと連携する", "Link with the portal"), tag = "link.${row.id}") {
                        startActivity(Intent(this@MainActivity, LinkActivity::class.java).putExtra(LinkActivity.HANDBOOK, row.id))
                    }
                }
            }
            button(t("手帳を登録", "Register a handbook"), tag = "register") {
                startActivity(Intent(this@MainActivity, RegisterActivity::class.java))
            }
            button(t("確認モード（事業者向け）", "Staff mode (check a code)"), tag = "staff") {
                startActivity(Intent(this@MainActivity, StaffActivity::class.java))
            }
            button(t("設定", "Settings"), tag = "settings") {
                startActivity(Intent(this@MainActivity, SettingsActivity::class.java))
            }
        }
        if (refresh) refreshPending()
    }

    /** 申請中 handbooks: ask the server once when the list opens. */
    private fun refreshPending() {
        val pending = app.wallet.handbooks(lang).filter { it.linkage.status == LinkageStatus.PENDING }
        if (pending.isEmpty()) return
        scope.launch {
            val changed = withContext(Dispatchers.IO) {
                try {
                    val service = app.service()
                    pending.count { h -> app.wallet.refreshLinkage(service, h.id, lang).status != LinkageStatus.PENDING }
                } catch (_: TechoException) {
                    0 // Offline: the next opening asks again.
                } catch (_: ConfigMissing) {
                    0
                }
            }
            if (changed > 0 && !isFinishing) show(refresh = false)
        }
    }
}
