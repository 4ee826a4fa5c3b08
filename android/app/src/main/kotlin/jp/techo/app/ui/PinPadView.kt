package jp.techo.app.ui

import android.content.Context
import android.view.View
import android.widget.Button
import android.widget.LinearLayout
import android.widget.TextView
import uniffi.techo_ffi.Language

/**
 * An in-app keypad for a card PIN: no system keyboard (no learning, no clipboard, no autofill)
 * and dots on screen. The digits go straight to the core ([onDigit], [onDelete]); this view
 * never holds them. [show] draws how many are entered.
 */
class PinPadView(
    context: Context,
    private val lang: Language,
    private val onDigit: (Int) -> Unit,
    private val onDelete: () -> Unit,
) : LinearLayout(context) {
    private val dots = TextView(context).apply {
        textSize = 32f
        setTextColor(android.graphics.Color.rgb(0x1A, 0x1A, 0x1A))
        importantForAutofill = View.IMPORTANT_FOR_AUTOFILL_NO
        tag = "pin.dots"
    }

    init {
        orientation = VERTICAL
        addView(dots)
        // Rows of three keys across the whole width: large targets for every hand.
        for (row in listOf(listOf("1", "2", "3"), listOf("4", "5", "6"), listOf("7", "8", "9"), listOf("", "0", "⌫"))) {
            val line = LinearLayout(context).apply { orientation = HORIZONTAL }
            for (key in row) {
                val cell = LayoutParams(0, dp(64), 1f).apply { setMargins(dp(4), dp(4), dp(4), dp(4)) }
                if (key.isEmpty()) {
                    line.addView(View(context), cell)
                    continue
                }
                line.addView(
                    Button(context).apply {
                        text = key
                        textSize = 24f
                        tag = "pin.$key"
                        contentDescription = if (key == "⌫") pick(lang, "1文字消す", "delete") else key
                        setOnClickListener { if (key == "⌫") onDelete() else onDigit(key.toInt()) }
                    },
                    cell,
                )
            }
            addView(line)
        }
    }

    fun show(entered: Int, length: Int) {
        dots.text = "●".repeat(entered) + "○".repeat((length - entered).coerceAtLeast(0))
        // TalkBack says how many digits, never which.
        dots.contentDescription = pick(lang, "暗証番号 $length 桁中 $entered 桁入力済み", "$entered of $length digits entered")
    }
}
