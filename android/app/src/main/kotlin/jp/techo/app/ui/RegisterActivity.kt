package jp.techo.app.ui

import android.app.Activity
import android.os.Bundle
import android.view.WindowManager
import android.widget.EditText
import jp.techo.app.TechoApp
import jp.techo.app.platform.CardReader
import jp.techo.app.presenter.PinEntry
import jp.techo.app.presenter.RegisterPresenter
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.techo_ffi.TechoException
import uniffi.techo_ffi.readCardIdentity

/**
 * Register a handbook: its fields typed from the paper handbook, the holder's name and birth date
 * read from the My Number card (4-digit PIN on the in-app keypad, then one tap).
 */
class RegisterActivity : Activity() {
    private val scope = MainScope()
    private val app get() = application as TechoApp
    private lateinit var form: RegisterPresenter
    private val inputs = mutableMapOf<String, EditText>()
    private val pin = PinEntry()
    private var reader: CardReader? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        window.addFlags(WindowManager.LayoutParams.FLAG_SECURE)
        form = RegisterPresenter(app.wallet, app.lang)
        render()
    }

    private fun render(status: String? = null) {
        val lang = app.lang
        screen {
            text(pick(lang, "手帳を登録", "Register a handbook"), 26f, bold = true)
            status?.let { text(it, 18f) }
            text(pick(lang, "マイナンバーカードから氏名・生年月日を読み取る", "Read name and birth date from the My Number card"))
            addView(PinPad(context, pin) { waitForCard() })
            for ((key, value) in form.fields) {
                text(key, 14f)
                val input = EditText(context).apply {
                    setText(value)
                    hint = key
                    form.errors[key]?.let { error = it }
                }
                inputs[key] = input
                addView(input)
            }
            form.errors["form"]?.let { text(it, 16f) }
            button(pick(lang, "登録する", "Register")) { submit() }
        }
    }

    private fun waitForCard() {
        render(pick(app.lang, "カードをスマホの背面にかざしてください", "Hold the card to the back of the phone"))
        reader = CardReader(this) { transport ->
            scope.launch {
                val message = try {
                    val identity = withContext(Dispatchers.IO) {
                        transport.use { t -> pin.use { p -> readCardIdentity(t, p, false) } }
                    }
                    form.prefill(identity)
                    pick(app.lang, "読み取りました", "Read from the card")
                } catch (e: TechoException) {
                    pin.clear()
                    e.message
                } finally {
                    reader?.stop()
                }
                render(message)
            }
        }.also { it.start() }
    }

    private fun submit() {
        for ((key, input) in inputs) form.set(key, input.text.toString())
        if (form.register(null) != null) finish() else render(pick(app.lang, "入力を確認してください", "Please check the marked fields"))
    }

    override fun onPause() {
        reader?.stop()
        super.onPause()
    }

    override fun onDestroy() {
        pin.clear()
        scope.cancel()
        super.onDestroy()
    }
}
