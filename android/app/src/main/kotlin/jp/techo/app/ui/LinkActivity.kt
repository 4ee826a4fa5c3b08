package jp.techo.app.ui

import android.os.Bundle
import android.view.WindowManager
import android.widget.ProgressBar
import java.text.DateFormat
import java.util.Date
import jp.techo.app.ConfigMissing
import jp.techo.app.platform.CardReader
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.techo_ffi.LinkFlow
import uniffi.techo_ffi.LinkStep
import uniffi.techo_ffi.TechoException

/**
 * Link a handbook with the Myna Portal. Draws the core's [LinkFlow] step by step: what is
 * received and why (with a way to stop), the PIN on the in-app keypad, "hold the card" with
 * reader mode on, progress, and the result. The flow decides everything; a card tapped twice is
 * ignored by it, and reader mode is on only while the flow waits for the card.
 */
class LinkActivity : TechoActivity() {
    private var flow: LinkFlow? = null
    private lateinit var reader: CardReader
    private var preparing = false

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        window.addFlags(WindowManager.LayoutParams.FLAG_SECURE)
        val id = intent.getStringExtra(HANDBOOK) ?: return finish()
        reader = CardReader(this) { tag -> onTag(tag) }
        flow = try {
            LinkFlow(app.wallet, app.service(), id, lang, null)
        } catch (e: ConfigMissing) {
            screen {
                text(t("このアプリには連携先が設定されていません", "This app has no server to link with"), 22f, bold = true)
                text(e.message ?: "")
            }
            return
        } catch (e: TechoException) {
            screen { text(e.message ?: e.toString(), 20f) }
            return
        }
        render()
    }

    override fun onResume() {
        super.onResume()
        // Reader mode ends when the screen pauses: on again if the flow still waits for the card.
        if (flow?.step() is LinkStep.HoldCard) render()
    }

    override fun onPause() {
        reader.stop()
        super.onPause()
    }

    /** Keys, session and challenge before the card: once per `Working(STARTING)`. */
    private fun prepare(f: LinkFlow) {
        if (preparing) return
        preparing = true
        scope.launch {
            val step = withContext(Dispatchers.IO) { f.prepare() }
            preparing = false
            render(step)
        }
    }

    private fun onTag(tag: android.nfc.Tag) {
        val f = flow ?: return
        val card = app.platform.cardTransport(tag) ?: return
        scope.launch {
            render(LinkStep.Working(uniffi.techo_ffi.LinkProgress.READING_CARD, t("読み取っています…", "Reading…")), fromTag = true)
            val step = withContext(Dispatchers.IO) {
                try {
                    f.cardPresented(card)
                } finally {
                    (card as? AutoCloseable)?.close()
                }
            }
            render(step)
        }
    }

    private fun render(step: LinkStep = flow?.step() ?: LinkStep.Cancelled, fromTag: Boolean = false) {
        val f = flow ?: return
        if (step !is LinkStep.HoldCard && !fromTag) reader.stop()
        screen {
            text(t("マイナポータルと連携", "Link with the Myna Portal"), 26f, bold = true)
            when (step) {
                is LinkStep.Purpose -> {
                    text(step.title, 20f, bold = true)
                    step.lines.forEach { text(it) }
                    text(t("受け取る項目：", "What is received:"), bold = true)
                    step.items.forEach { text("・$it") }
                    button(t("同意して続ける", "Agree and continue"), tag = "link.accept") { render(f.acceptPurpose()) }
                    button(t("やめる", "Stop"), tag = "link.cancel") { f.cancel(); finish() }
                }
                is LinkStep.EnterPin -> {
                    text(t("利用者証明用電子証明書の暗証番号（数字4桁）", "The card's 4-digit PIN"), 20f)
                    step.notice?.let { text(it, 18f, bold = true, tag = "link.notice") }
                    step.triesLeft?.let { text(t("残り $it 回", "$it tries left"), 18f, tag = "link.tries") }
                    if (step.lastTryConfirmed) text(t("最後の1回です。間違えるとカードがロックされます", "This is the last try: a wrong PIN locks the card"), bold = true)
                    val pad = PinPadView(context, lang, { d -> render(f.pressDigit(d.toUByte())) }, { render(f.backspace()) })
                    pad.show(step.entered.toInt(), step.length.toInt())
                    addView(pad)
                    button(t("やめる", "Stop"), tag = "link.cancel") { f.cancel(); finish() }
                }
                is LinkStep.ConfirmLastTry -> {
                    text(step.message, 20f, bold = true)
                    button(t("確認しました：最後の1回を使う", "I checked: use the last try"), tag = "link.last") { render(f.confirmLastTry()) }
                    button(t("やめる", "Stop"), tag = "link.cancel") { f.cancel(); finish() }
                }
                is LinkStep.HoldCard -> {
                    text(step.prompt, 22f, bold = true, tag = "link.hold")
                    readerOn(reader, "link")
                    button(t("暗証番号を直す", "Correct the PIN"), tag = "link.back") { render(f.backspace()) }
                }
                is LinkStep.Working -> {
                    text(step.text, 22f, tag = "link.working")
                    addView(ProgressBar(context))
                    if (step.progress == uniffi.techo_ffi.LinkProgress.STARTING && !fromTag) prepare(f)
                }
                is LinkStep.Linked -> {
                    text("✔ ${step.label}", 26f, bold = true, tag = "link.done")
                    step.validUntil?.let { text(t("証明書の有効期限 $it", "credentials until $it")) }
                    if (step.changes.isNotEmpty()) {
                        text(t("マイナポータルの記録に合わせて直しました：", "Corrected to the Myna Portal's record:"), bold = true)
                        step.changes.forEachIndexed { i, c -> text(c, tag = "link.change.$i") }
                    }
                    button(t("完了", "Done"), tag = "link.finish") { finish() }
                }
                is LinkStep.Pending -> {
                    text(step.label, 26f, bold = true, tag = "link.done")
                    text(step.reason)
                    step.nextTryUnix?.let {
                        text(t("次の確認 ", "next try ") + DateFormat.getDateTimeInstance().format(Date(it * 1000)))
                    }
                    text(t("受け取れたらアプリを開いたときに表示します", "The app shows the result when you open it next"))
                    button(t("閉じる", "Close"), tag = "link.finish") { finish() }
                }
                is LinkStep.Blocked -> {
                    text(step.message, 20f, bold = true, tag = "link.blocked")
                    button(t("閉じる", "Close"), tag = "link.finish") { finish() }
                }
                is LinkStep.Failed -> {
                    text(step.message, 20f, tag = "link.failed")
                    if (step.canRetry) button(t("もう一度", "Try again"), tag = "link.retry") { render(f.tryAgain()) }
                    button(t("閉じる", "Close"), tag = "link.finish") { finish() }
                }
                LinkStep.Cancelled -> finish()
            }
        }
    }

    override fun onDestroy() {
        // Leaving the screen gives up what was prepared: this phone's new keys are deleted.
        flow?.cancel()
        flow?.close()
        super.onDestroy()
    }

    companion object {
        const val HANDBOOK = "handbook"
    }
}
