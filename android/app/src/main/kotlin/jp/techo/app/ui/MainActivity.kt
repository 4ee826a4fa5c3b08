package jp.techo.app.ui

import android.Manifest
import android.content.Intent
import android.os.Build
import jp.techo.app.ConfigMissing
import jp.techo.app.background.KeepLinked
import jp.techo.app.background.LinkageNotifications
import jp.techo.app.UnlockResult
import jp.techo.app.WalletState
import jp.techo.app.presenter.HandbookRows
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.isActive
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
            // The store was damaged and rebuilt from its second copy on this open: said once,
            // until the holder has read it.
            app.wallet.storeRecovery(lang)?.takeUnless { app.recoveryRead }?.let { said ->
                text(said, 18f, bold = true, tag = "store.recovered").setBackgroundColor(0xFFFFF3C4.toInt())
                button(t("確認しました", "Understood"), tag = "store.recovered.ok") {
                    app.recoveryRead = true
                    show(refresh = false)
                }
            }
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
            button(t("使える場所", "Where to use it"), tag = "places") {
                startActivity(Intent(this@MainActivity, PlacesActivity::class.java))
            }
            button(t("クーポン", "Coupons"), tag = "coupons") {
                startActivity(Intent(this@MainActivity, CouponsActivity::class.java))
            }
            button(t("サイトのQRコードで提示", "Answer a site's QR code"), tag = "site") {
                startActivity(Intent(this@MainActivity, SiteActivity::class.java))
            }
            button(t("確認モード（事業者向け）", "Staff mode (check a code)"), tag = "staff") {
                startActivity(Intent(this@MainActivity, StaffActivity::class.java))
            }
            button(t("設定", "Settings"), tag = "settings") {
                startActivity(Intent(this@MainActivity, SettingsActivity::class.java))
            }
        }
        if (refresh) keepLinked()
    }

    /**
     * Once the list is shown: the keep-linked pass (pending linkages, renewals, warnings,
     * revocations), then, while this screen is in front and a linkage is 申請中, a wait on the
     * server that ends the moment the portal's answer is stored.
     */
    private fun keepLinked() {
        scope.launch {
            val report = withContext(Dispatchers.IO) { KeepLinked(app).run() }
            if (isFinishing) return@launch
            if (report != null && report.notices.isNotEmpty()) show(refresh = false)
            askToNotify()
            waitWhilePending()
        }
    }

    private var waiting: Job? = null

    private fun waitWhilePending() {
        if (waiting?.isActive == true) return
        waiting = scope.launch {
            while (isActive) {
                val pending = app.wallet.handbooks(lang).filter { it.linkage.status == LinkageStatus.PENDING }
                if (pending.isEmpty()) return@launch
                val notices = withContext(Dispatchers.IO) {
                    try {
                        val service = app.service()
                        pending.mapNotNull { h -> app.wallet.waitForLinkage(service, h.id, WAIT_SECONDS, lang) }
                    } catch (_: TechoException) {
                        delay(OFFLINE_PAUSE_MS) // Offline: ask again after a pause.
                        emptyList()
                    } catch (_: ConfigMissing) {
                        return@withContext null
                    }
                } ?: return@launch
                for (n in notices) LinkageNotifications.post(this@MainActivity, n, lang)
                if (notices.isNotEmpty() && !isFinishing) show(refresh = false)
            }
        }
    }

    override fun onPause() {
        waiting?.cancel()
        waiting = null
        super.onPause()
    }

    /** Android 13+: asks once to post linkage notifications, when there is a linkage to tell about. */
    private fun askToNotify() {
        if (Build.VERSION.SDK_INT < 33 || LinkageNotifications.allowed(this)) return
        val prefs = getSharedPreferences("techo", MODE_PRIVATE)
        if (prefs.getBoolean(ASKED_TO_NOTIFY, false)) return
        if (app.wallet.handbooks(lang).none { it.linkage.status != LinkageStatus.UNLINKED }) return
        prefs.edit().putBoolean(ASKED_TO_NOTIFY, true).apply()
        requestPermissions(arrayOf(Manifest.permission.POST_NOTIFICATIONS), REQUEST_NOTIFY)
    }

    companion object {
        /** One long-poll (the server answers at most 50 s later). */
        const val WAIT_SECONDS = 50u
        const val OFFLINE_PAUSE_MS = 30_000L
        const val REQUEST_NOTIFY = 41
        const val ASKED_TO_NOTIFY = "asked_to_notify"
    }
}
