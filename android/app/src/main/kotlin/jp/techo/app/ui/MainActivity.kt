package jp.techo.app.ui

import android.app.Activity
import android.content.Intent
import android.os.Bundle
import jp.techo.app.TechoApp
import jp.techo.app.platform.AppLock
import jp.techo.app.presenter.HandbookListPresenter
import jp.techo.app.presenter.LinkPresenter
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.techo_ffi.LinkageStatus

/** Home: the app lock, then the handbooks (tap one for the counter screen). */
class MainActivity : Activity() {
    private val scope: CoroutineScope = MainScope()
    private val app get() = application as TechoApp

    override fun onResume() {
        super.onResume()
        if (!app.lock.needsUnlock) {
            show()
            return
        }
        AppLock(this).unlock(
            title = pick(app.lang, "Techo のロック解除", "Unlock Techo"),
            subtitle = pick(app.lang, "手帳を表示します", "to show your handbooks"),
            onUnlocked = {
                app.lock.unlocked()
                show()
            },
            onFailed = { reason -> screen { text(reason, 20f) } },
        )
    }

    private fun show(refresh: Boolean = true) {
        val lang = app.lang
        val list = HandbookListPresenter(app.wallet, lang)
        val rows = list.rows()
        screen {
            text(pick(lang, "手帳", "Handbooks"), 28f, bold = true)
            if (rows.isEmpty()) text(pick(lang, "まだ手帳がありません", "No handbook yet"))
            for (row in rows) {
                button("${if (row.needsAttention) "⚠ " else ""}${row.title}\n${row.subtitle}") {
                    list.choose(row.id)
                    startActivity(Intent(this@MainActivity, CounterActivity::class.java))
                }.spoken(row.spoken)
                if (!row.linked) {
                    button(pick(lang, "マイナポータルと連携する", "Link with the portal")) {
                        startActivity(
                            Intent(this@MainActivity, LinkActivity::class.java).putExtra(LinkActivity.HANDBOOK, row.id),
                        )
                    }
                }
            }
            button(pick(lang, "手帳を登録", "Register a handbook")) {
                startActivity(Intent(this@MainActivity, RegisterActivity::class.java))
            }
            button(pick(lang, "確認モード（事業者向け）", "Staff mode (verify a code)")) {
                startActivity(Intent(this@MainActivity, StaffActivity::class.java))
            }
            button(pick(lang, "設定", "Settings")) {
                startActivity(Intent(this@MainActivity, SettingsActivity::class.java))
            }
        }
        if (refresh) refreshPending()
    }

    /** 申請中 handbooks: ask the server once when the app opens. */
    private fun refreshPending() {
        val pending = app.wallet.handbooks(app.lang).filter { it.linkage.status == LinkageStatus.PENDING }
        if (pending.isEmpty()) return
        scope.launch {
            for (h in pending) {
                withContext(Dispatchers.IO) { LinkPresenter(app.wallet, app.service, h.id, app.lang).refresh() }
            }
            show(refresh = false)
        }
    }

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        title = "Techo"
    }
}
