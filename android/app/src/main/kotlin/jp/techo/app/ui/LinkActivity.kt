package jp.techo.app.ui

import android.app.Activity
import android.os.Bundle
import android.view.WindowManager
import java.text.DateFormat
import java.util.Date
import jp.techo.app.TechoApp
import jp.techo.app.platform.CardReader
import jp.techo.app.presenter.LinkPresenter
import jp.techo.app.presenter.LinkState
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * Link a handbook with the portal: the PIN on the in-app keypad, then the card. Shows 申請中 with
 * the portal's reason and the next try, a wrong PIN with the tries left, and asks before the
 * last try.
 */
class LinkActivity : Activity() {
    private val scope = MainScope()
    private val app get() = application as TechoApp
    private lateinit var presenter: LinkPresenter
    private var reader: CardReader? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        window.addFlags(WindowManager.LayoutParams.FLAG_SECURE)
        val id = intent.getStringExtra(HANDBOOK) ?: return finish()
        presenter = LinkPresenter(app.wallet, app.service, id, app.lang)
        render(presenter.state)
    }

    private fun render(state: LinkState) {
        val lang = app.lang
        screen {
            text(pick(lang, "マイナポータルと連携", "Link with the portal"), 26f, bold = true)
            when (state) {
                LinkState.EnterPin -> {
                    text(pick(lang, "利用者証明用電子証明書の暗証番号（数字4桁）", "The card's 4-digit PIN"))
                    addView(PinPad(context, presenter.pin) { render(presenter.pinEntered()) })
                }
                LinkState.HoldCard -> {
                    text(pick(lang, "カードをスマホの背面にかざしたまま動かさないでください", "Hold the card to the back of the phone and keep it still"), 22f)
                    listen()
                }
                LinkState.Reading -> text(pick(lang, "読み取り中…", "Reading…"), 22f)
                is LinkState.Linked -> {
                    text("✔ ${state.label}", 24f, bold = true)
                    state.validUntil?.let { text(pick(lang, "証明書の有効期限 ", "credentials until ") + it) }
                    button(pick(lang, "完了", "Done")) { finish() }
                }
                is LinkState.Pending -> {
                    text(state.label, 24f, bold = true)
                    state.reason?.let { text(it) }
                    state.nextTryUnix?.let {
                        text(pick(lang, "次の確認 ", "next try ") + DateFormat.getDateTimeInstance().format(Date(it * 1000)))
                    }
                    button(pick(lang, "閉じる", "Close")) { finish() }
                }
                is LinkState.WrongPin -> {
                    text(state.message, 20f)
                    addView(PinPad(context, presenter.pin) { render(presenter.pinEntered()) })
                }
                is LinkState.ConfirmLastTry -> {
                    text(state.message, 20f, bold = true)
                    button(pick(lang, "確認しました：最後の1回を使う", "I checked: use the last try")) {
                        render(presenter.confirmLastTry())
                    }
                    button(pick(lang, "やめる", "Stop")) { finish() }
                }
                is LinkState.Blocked -> text(state.message, 20f, bold = true)
                is LinkState.CardProblem -> {
                    text(state.message, 20f)
                    addView(PinPad(context, presenter.pin) { render(presenter.pinEntered()) })
                }
                is LinkState.Failed -> {
                    text(state.message, 20f)
                    button(pick(lang, "閉じる", "Close")) { finish() }
                }
            }
        }
    }

    private fun listen() {
        if (reader != null) return
        reader = CardReader(this) { transport ->
            scope.launch {
                render(LinkState.Reading)
                val next = withContext(Dispatchers.IO) { transport.use { presenter.onCard(it) } }
                reader?.stop()
                reader = null
                render(next)
            }
        }.also { it.start() }
    }

    override fun onPause() {
        reader?.stop()
        reader = null
        super.onPause()
    }

    override fun onDestroy() {
        presenter.pin.clear()
        scope.cancel()
        super.onDestroy()
    }

    companion object {
        const val HANDBOOK = "handbook"
    }
}
