package jp.techo.app.ui

import android.app.Activity
import android.graphics.Typeface
import android.view.View
import android.view.ViewGroup
import android.widget.Button
import android.widget.LinearLayout
import android.widget.ScrollView
import android.widget.TextView
import uniffi.techo_ffi.Language

/** Small helpers for screens built from framework widgets (no AndroidX here). */
fun Activity.screen(build: LinearLayout.() -> Unit): LinearLayout {
    val column = LinearLayout(this).apply {
        orientation = LinearLayout.VERTICAL
        setPadding(48, 48, 48, 48)
        build()
    }
    setContentView(ScrollView(this).apply { addView(column) })
    return column
}

fun LinearLayout.text(value: String, sp: Float = 18f, bold: Boolean = false): TextView =
    TextView(context).apply {
        text = value
        textSize = sp
        if (bold) setTypeface(typeface, Typeface.BOLD)
        setPadding(0, 12, 0, 12)
    }.also { addView(it) }

fun LinearLayout.button(label: String, onClick: () -> Unit): Button =
    Button(context).apply {
        text = label
        textSize = 18f
        minHeight = 144
        setOnClickListener { onClick() }
    }.also {
        addView(it, LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, ViewGroup.LayoutParams.WRAP_CONTENT))
    }

fun View.spoken(text: String) {
    contentDescription = text
}

/** Japanese or English, as the holder's phone is set. */
fun pick(lang: Language, ja: String, en: String) = if (lang == Language.JAPANESE) ja else en
