package jp.techo.app.ui

import android.content.Context
import android.view.View
import android.widget.Button
import android.widget.GridLayout
import android.widget.LinearLayout
import android.widget.TextView
import jp.techo.app.presenter.PinEntry

/**
 * An in-app keypad for the card PIN: no system keyboard (no learning, no clipboard, no
 * autofill), dots on screen, and the digits only in the [PinEntry], which is wiped after use.
 */
class PinPad(context: Context, private val entry: PinEntry, private val onComplete: () -> Unit) :
    LinearLayout(context) {
    private val dots = TextView(context).apply {
        textSize = 32f
        importantForAutofill = View.IMPORTANT_FOR_AUTOFILL_NO
    }

    init {
        orientation = VERTICAL
        addView(dots)
        val grid = GridLayout(context).apply { columnCount = 3 }
        for (key in listOf("1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "✓")) {
            grid.addView(
                Button(context).apply {
                    text = key
                    textSize = 24f
                    contentDescription = when (key) {
                        "⌫" -> "delete"
                        "✓" -> "done"
                        else -> key
                    }
                    setOnClickListener { press(key) }
                },
            )
        }
        addView(grid)
        refresh()
    }

    private fun press(key: String) {
        when (key) {
            "⌫" -> entry.backspace()
            "✓" -> if (entry.complete) onComplete()
            else -> {
                entry.press(key[0])
                if (entry.complete) onComplete()
            }
        }
        refresh()
    }

    fun refresh() {
        dots.text = entry.masked().ifEmpty { "○○○○" }
        // TalkBack says how many digits, never which.
        dots.contentDescription = "${entry.size} digits"
    }
}
