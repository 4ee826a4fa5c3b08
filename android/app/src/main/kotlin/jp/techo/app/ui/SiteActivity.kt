package jp.techo.app.ui

import android.Manifest
import android.content.Intent
import android.content.pm.PackageManager
import android.graphics.SurfaceTexture
import android.net.Uri
import android.os.Bundle
import android.text.InputType
import android.view.TextureView
import android.view.WindowManager
import android.widget.CheckBox
import android.widget.EditText
import android.widget.LinearLayout
import android.widget.ProgressBar
import java.util.concurrent.atomic.AtomicBoolean
import jp.techo.app.UnlockResult
import jp.techo.app.platform.CardReader
import jp.techo.app.platform.QrCamera
import jp.techo.app.platform.QrDecoder
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.techo_ffi.SiteAnswer
import uniffi.techo_ffi.SiteStep
import uniffi.techo_ffi.TechoException

/**
 * Answering a booking site (seed 000): opened by the site's `techo://site` link on this phone,
 * or by scanning the QR code the site shows on another screen. Draws the core's [SiteAnswer]
 * step by step: the site named first with its address and what it asks for (and the order in
 * full), consent, the PIN on the keypad or the signing password, "hold the card", and the
 * site's own reply. Nothing is sent before the holder agrees; leaving the screen declines.
 */
class SiteActivity : TechoActivity() {
    override val promptsForLock = true
    private var answer: SiteAnswer? = null
    private var link: String? = null
    private lateinit var reader: CardReader
    private var camera: QrCamera? = null
    private val decoder = QrDecoder()
    private val scanned = AtomicBoolean(false)
    private var unlocking = false

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        window.addFlags(WindowManager.LayoutParams.FLAG_SECURE)
        reader = CardReader(this) { tag -> onTag(tag) }
        link = intent.data?.toString()
    }

    override fun onResume() {
        super.onResume()
        when {
            app.lock.needsUnlock() -> askToUnlock()
            answer == null && link != null -> open(link!!)
            answer == null -> scan()
            answer?.step() is SiteStep.HoldCard -> render()
        }
    }

    override fun onPause() {
        reader.stop()
        camera?.stop()
        camera = null
        super.onPause()
    }

    /** The holder's handbooks are behind the app lock: a link opened from outside asks here. */
    private fun askToUnlock() {
        if (unlocking) return
        unlocking = true
        screen { text(t("Techo はロックされています", "Techo is locked"), 24f, bold = true, tag = "site.locked") }
        app.platform.unlock(this, t("Techo のロック解除", "Unlock Techo"), t("サイトに手帳を提示します", "to answer the site")) { result ->
            unlocking = false
            if (result == UnlockResult.Unlocked) {
                app.lock.unlocked()
                onResume()
            } else {
                screen {
                    text(t("ロックを解除できませんでした", "Techo stayed locked"), 22f, bold = true)
                    button(t("もう一度", "Try again"), tag = "site.unlock") { askToUnlock() }
                }
            }
        }
    }

    /** No link yet: the camera reads the QR code the site shows. */
    private fun scan() {
        val preview = TextureView(this).apply { tag = "site.preview" }
        screen {
            text(t("サイトのQRコードを読み取る", "Scan the site's QR code"), 24f, bold = true, tag = "site.scan")
            addView(preview, LinearLayout.LayoutParams(LinearLayout.LayoutParams.MATCH_PARENT, dp(360)))
        }
        if (checkSelfPermission(Manifest.permission.CAMERA) != PackageManager.PERMISSION_GRANTED) {
            requestPermissions(arrayOf(Manifest.permission.CAMERA), CAMERA_REQUEST)
            return
        }
        preview.surfaceTextureListener = object : TextureView.SurfaceTextureListener {
            override fun onSurfaceTextureAvailable(surface: SurfaceTexture, width: Int, height: Int) {
                if (camera == null) camera = app.platform.camera(this@SiteActivity, preview) { f -> onFrame(f) }.also { it.start() }
            }
            override fun onSurfaceTextureSizeChanged(surface: SurfaceTexture, width: Int, height: Int) {}
            override fun onSurfaceTextureDestroyed(surface: SurfaceTexture): Boolean = true
            override fun onSurfaceTextureUpdated(surface: SurfaceTexture) {}
        }
    }

    override fun onRequestPermissionsResult(requestCode: Int, permissions: Array<out String>, grantResults: IntArray) {
        if (requestCode == CAMERA_REQUEST && grantResults.firstOrNull() == PackageManager.PERMISSION_GRANTED) scan()
    }

    /** A camera frame: the first QR code read is the site's link. */
    fun onFrame(frame: QrCamera.Frame) {
        if (scanned.get()) return
        val bytes = decoder.decode(frame) ?: return
        if (!scanned.compareAndSet(false, true)) return
        val text = String(bytes, Charsets.UTF_8).trim()
        runOnUiThread {
            camera?.stop()
            camera = null
            link = text
            open(text)
        }
    }

    private fun open(link: String) {
        val a = try {
            SiteAnswer(app.wallet, link, app.platform.siteCaPem(), lang, null)
        } catch (e: TechoException) {
            screen { text(e.message ?: e.toString(), 20f, tag = "site.failed") }
            return
        }
        answer = a
        render(a.step())
        scope.launch { render(withContext(Dispatchers.IO) { a.open() }) }
    }

    private fun onTag(tag: android.nfc.Tag) {
        val a = answer ?: return
        val card = app.platform.cardTransport(tag) ?: return
        scope.launch {
            render(SiteStep.Working(t("読み取っています…", "Reading…"), false), fromTag = true)
            val step = withContext(Dispatchers.IO) {
                try {
                    a.cardPresented(card)
                } finally {
                    (card as? AutoCloseable)?.close()
                }
            }
            render(step)
        }
    }

    private fun send(a: SiteAnswer) {
        scope.launch { render(withContext(Dispatchers.IO) { a.send() }) }
    }

    private fun render(step: SiteStep = answer?.step() ?: SiteStep.Cancelled, fromTag: Boolean = false) {
        val a = answer ?: return
        if (step !is SiteStep.HoldCard && !fromTag) reader.stop()
        screen {
            text(t("サイトへの提示", "Answer a site"), 26f, bold = true)
            when (step) {
                is SiteStep.Working -> {
                    text(step.text, 22f, tag = "site.working")
                    addView(ProgressBar(context))
                    if (step.needsSend && !fromTag) send(a)
                }
                is SiteStep.Consent -> consent(a, step)
                is SiteStep.EnterPin -> {
                    text(t("券面事項入力補助用の暗証番号（数字4桁）", "The card's 4-digit PIN (for the name and birth date)"), 20f)
                    step.notice?.let { text(it, 18f, bold = true, tag = "site.notice") }
                    step.triesLeft?.let { text(t("残り $it 回", "$it tries left"), 18f, tag = "site.tries") }
                    if (step.lastTryConfirmed) text(t("最後の1回です。間違えるとロックされます", "This is the last try: a wrong PIN locks it"), bold = true)
                    val pad = PinPadView(context, lang, { d -> render(a.pressDigit(d.toUByte())) }, { render(a.backspace()) })
                    pad.show(step.entered.toInt(), step.length.toInt())
                    addView(pad)
                    button(t("送信しない", "Do not send"), tag = "site.decline") { a.decline(); finish() }
                }
                is SiteStep.EnterPassword -> {
                    text(t("署名用電子証明書のパスワード（英大文字・数字 6〜16文字）", "The signing password (6–16 letters and digits)"), 20f)
                    step.notice?.let { text(it, 18f, bold = true, tag = "site.notice") }
                    step.triesLeft?.let { text(t("残り $it 回", "$it tries left"), 18f, tag = "site.tries") }
                    if (step.lastTryConfirmed) text(t("最後の1回です。間違えるとロックされます", "This is the last try: a wrong password locks it"), bold = true)
                    val field = EditText(context).apply {
                        tag = "site.password"
                        hint = t("パスワード", "Password")
                        // No suggestions, no learning, never shown: a password field.
                        inputType = InputType.TYPE_CLASS_TEXT or InputType.TYPE_TEXT_VARIATION_PASSWORD or
                            InputType.TYPE_TEXT_FLAG_NO_SUGGESTIONS
                        importantForAutofill = android.view.View.IMPORTANT_FOR_AUTOFILL_NO
                    }
                    addView(field)
                    button(t("次へ", "Next"), tag = "site.password.next") {
                        val typed = field.text.toString()
                        field.text.clear()
                        render(a.setPassword(typed))
                    }
                    button(t("送信しない", "Do not send"), tag = "site.decline") { a.decline(); finish() }
                }
                is SiteStep.ConfirmLastTry -> {
                    text(step.message, 20f, bold = true)
                    button(t("確認しました：最後の1回を使う", "I checked: use the last try"), tag = "site.last") { render(a.confirmLastTry()) }
                    button(t("送信しない", "Do not send"), tag = "site.decline") { a.decline(); finish() }
                }
                is SiteStep.HoldCard -> holdCard(a, step)
                is SiteStep.Done -> {
                    text(if (step.accepted) "◯" else "✕", 40f, bold = true)
                    text(step.message, 22f, bold = true, tag = if (step.accepted) "site.accepted" else "site.refused")
                    step.redirectUri?.let { uri ->
                        button(t("サイトに戻る", "Back to the site"), tag = "site.back") {
                            startActivity(Intent(Intent.ACTION_VIEW, Uri.parse(uri)))
                            finish()
                        }
                    }
                    button(t("閉じる", "Close"), tag = "site.finish") { finish() }
                }
                is SiteStep.Blocked -> {
                    text(step.message, 20f, bold = true, tag = "site.blocked")
                    button(t("閉じる", "Close"), tag = "site.finish") { finish() }
                }
                is SiteStep.Failed -> {
                    text(step.message, 20f, tag = "site.failed")
                    if (step.canRetry) button(t("もう一度", "Try again"), tag = "site.retry") { render(a.tryAgain()) }
                    button(t("閉じる", "Close"), tag = "site.finish") { finish() }
                }
                SiteStep.Cancelled -> finish()
            }
        }
    }

    /** The site first (name and address to compare), then what it asks, then the order. */
    private fun LinearLayout.consent(a: SiteAnswer, step: SiteStep.Consent) {
        text(step.site, 24f, bold = true, tag = "site.name")
        text(step.audience, 18f, tag = "site.audience")
        text(t("このサイトで手続き中であることを確かめてください", "Check that this is the site you are using"), 16f)
        if (step.orderId == null) {
            text(t("提示する項目（${step.handbook}）：", "What the site receives (${step.handbook}):"), 18f, bold = true)
            step.asks.forEachIndexed { i, item -> text("・$item", tag = "site.ask.$i") }
        } else {
            text(t("注文 ${step.orderId}", "Order ${step.orderId}"), 20f, bold = true, tag = "site.order")
            step.orderLines.forEach { text("${it.label}　¥${"%,d".format(it.yen)}") }
            step.orderTotalYen?.let { text(t("合計 ¥${"%,d".format(it)}", "Total ¥${"%,d".format(it)}"), 20f, bold = true, tag = "site.total") }
            text(t("マイナンバーカードの署名用電子証明書で署名します", "Signed with your My Number card's signing certificate"))
        }
        val identity = if (step.identityAsked) {
            CheckBox(context).apply {
                text = t("氏名・生年月日もカードから読み取って送る", "Also send my name and birth date, read from the card")
                tag = "site.identity"
                textSize = 18f
                minHeight = dp(48)
            }.also { addView(it) }
        } else {
            null
        }
        button(t("同意して送る", "Agree and send"), tag = "site.accept") { render(a.accept(identity?.isChecked == true)) }
        button(t("送信しない", "Do not send"), tag = "site.decline") { a.decline(); finish() }
    }

    private fun LinearLayout.holdCard(a: SiteAnswer, step: SiteStep.HoldCard) {
        text(step.prompt, 22f, bold = true, tag = "site.hold")
        readerOn(reader, "site")
        button(t("入力し直す", "Enter it again"), tag = "site.back") {
            render(a.backspace())
        }
    }

    override fun onDestroy() {
        // Leaving before the answer was sent declines: nothing goes to the site.
        answer?.decline()
        answer?.close()
        super.onDestroy()
    }

    private companion object {
        const val CAMERA_REQUEST = 2
    }
}
