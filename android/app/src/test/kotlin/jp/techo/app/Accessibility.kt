package jp.techo.app

import android.app.Activity
import android.graphics.Color
import android.graphics.drawable.ColorDrawable
import android.view.View
import android.view.ViewGroup
import android.widget.Button
import android.widget.CompoundButton
import android.widget.EditText
import android.widget.TextView

/**
 * The checks the Accessibility Test Framework makes that matter on these screens, written out:
 * ATF on Maven Central (3.1) needs AndroidX and Material from Google's repository, which is not
 * reachable where CI runs. Every control is named for TalkBack, is at least 48 dp in each
 * direction, and text on a plain background reaches WCAG AA contrast (4.5:1).
 */
object Accessibility {
    fun problems(a: Activity): List<String> {
        val out = mutableListOf<String>()
        val density = a.resources.displayMetrics.density
        fun walk(v: View) {
            if (!v.isShown) return
            val name = v.tag ?: v.javaClass.simpleName
            if (v.isClickable && v.importantForAccessibility != View.IMPORTANT_FOR_ACCESSIBILITY_NO) {
                val label = v.contentDescription ?: (v as? TextView)?.text
                if (label.isNullOrBlank() && v !is EditText) out += "$name: a control without a name"
                if (v is Button || v is CompoundButton) {
                    val minDp = minOf(v.height, v.width) / density
                    if (minDp < 47.5f) out += "$name: touch target ${minDp.toInt()} dp (under 48)"
                }
            }
            if (v is EditText && v.contentDescription.isNullOrBlank() && v.hint.isNullOrBlank() && v.labelForOf(a) == null) {
                out += "$name: a text field without a label"
            }
            if (v is TextView && v !is Button && v !is EditText && !v.text.isNullOrBlank()) {
                background(v)?.let { bg ->
                    val ratio = contrast(v.currentTextColor, bg)
                    if (ratio < 4.5) out += "$name: text contrast %.2f:1 on its background (under 4.5)".format(ratio)
                }
            }
            if (v is ViewGroup) for (i in 0 until v.childCount) walk(v.getChildAt(i))
        }
        walk(a.window.decorView)
        return out
    }

    private fun View.labelForOf(a: Activity): View? {
        var found: View? = null
        fun walk(v: View) {
            if (v is TextView && v.labelFor == id && id != View.NO_ID) found = v
            if (v is ViewGroup) for (i in 0 until v.childCount) walk(v.getChildAt(i))
        }
        walk(a.window.decorView)
        return found
    }

    /** The first plain colour behind [v] (its own or an ancestor's); white for the window. */
    private fun background(v: View): Int? {
        var cur: View? = v
        while (cur != null) {
            val bg = cur.background
            if (bg is ColorDrawable && Color.alpha(bg.color) == 255) return bg.color
            if (bg != null && bg !is ColorDrawable) return null
            cur = cur.parent as? View
        }
        return Color.WHITE
    }

    private fun luminance(c: Int): Double {
        fun ch(x: Int): Double {
            val s = x / 255.0
            return if (s <= 0.03928) s / 12.92 else Math.pow((s + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * ch(Color.red(c)) + 0.7152 * ch(Color.green(c)) + 0.0722 * ch(Color.blue(c))
    }

    fun contrast(a: Int, b: Int): Double {
        val (hi, lo) = listOf(luminance(a), luminance(b)).sortedDescending()
        return (hi + 0.05) / (lo + 0.05)
    }
}
