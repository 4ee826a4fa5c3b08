package jp.techo.app.ui

import android.app.Activity
import android.content.Intent
import android.graphics.Color
import android.graphics.Typeface
import android.util.TypedValue
import android.view.View
import android.view.ViewGroup
import android.widget.Button
import android.widget.LinearLayout
import android.widget.ScrollView
import android.widget.TextView
import jp.techo.app.TechoApp
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.techo_ffi.Language

/** Japanese or English, as the holder's phone is set. */
fun pick(lang: Language, ja: String, en: String) = if (lang == Language.JAPANESE) ja else en

/**
 * What every screen shares: the app, its language, a coroutine scope that ends with the screen,
 * and the app lock. Screens that show the holder's data without prompting themselves go back to
 * the list when the lock is due; the list asks.
 */
abstract class TechoActivity : Activity() {
    protected val app: TechoApp get() = application as TechoApp
    protected val lang: Language get() = app.lang
    protected val scope = MainScope()

    /** This screen prompts for the app lock itself (the list and the counter). */
    protected open val promptsForLock = false

    protected fun t(ja: String, en: String) = pick(lang, ja, en)

    override fun onCreate(savedInstanceState: android.os.Bundle?) {
        // A light theme set here, not left to the phone's default: the screens' dark text is
        // chosen for a light background (a dark default theme made it unreadable). Every
        // screen names itself in large type, so there is no title bar.
        setTheme(android.R.style.Theme_Material_Light_NoActionBar)
        super.onCreate(savedInstanceState)
        title = "Techo"
    }

    override fun onResume() {
        super.onResume()
        if (!promptsForLock && app.lock.needsUnlock()) {
            startActivity(Intent(this, MainActivity::class.java).addFlags(Intent.FLAG_ACTIVITY_CLEAR_TOP))
            finish()
        }
    }

    // The screen-lock prompt answers here on Android 8–9, and the photo picker and camera.
    override fun onActivityResult(requestCode: Int, resultCode: Int, data: Intent?) {
        super.onActivityResult(requestCode, resultCode, data)
        app.platform.onActivityResult(requestCode, resultCode)
        onResult(requestCode, resultCode, data)
    }

    /** Results of the screen's own requests (photo picker, camera). */
    protected open fun onResult(requestCode: Int, resultCode: Int, data: Intent?) {}

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }

    /** Asks before something that cannot be undone. */
    protected fun confirm(message: String, then: () -> Unit) {
        android.app.AlertDialog.Builder(this)
            .setMessage(message)
            .setPositiveButton(t("はい", "Yes")) { _, _ -> then() }
            .setNegativeButton(t("やめる", "Cancel"), null)
            .show()
    }

    /**
     * Withdraws the issuer's linkage consent for handbook [id] after asking: the server revokes
     * the credentials and deletes what it holds. [done] gets the new state's label or the error.
     */
    protected fun withdrawConsent(id: String, done: (String?) -> Unit) = confirm(
        t("サーバーの証明書を失効させ、保持データを削除します", "The server revokes the credentials and deletes what it holds"),
    ) {
        scope.launch {
            val message = withContext(Dispatchers.IO) {
                try {
                    app.wallet.unlink(app.service(), id, lang).label
                } catch (e: uniffi.techo_ffi.TechoException) {
                    e.message
                } catch (e: jp.techo.app.ConfigMissing) {
                    e.message
                }
            }
            done(message)
        }
    }

    /**
     * Turns reader mode on for "hold the card" and, when it cannot be, says why under the
     * prompt: NFC off (with a button to its settings) or no NFC at all. [tag] prefixes the tags.
     */
    protected fun LinearLayout.readerOn(reader: jp.techo.app.platform.CardReader, tag: String) {
        when (reader.start()) {
            jp.techo.app.platform.CardReader.State.ON -> {}
            jp.techo.app.platform.CardReader.State.OFF -> {
                text(t("NFC がオフです。設定でオンにしてください", "NFC is off: turn it on in the settings"), 20f, tag = "$tag.nfc")
                button(t("NFC の設定を開く", "Open the NFC settings"), tag = "$tag.nfc-settings") {
                    startActivity(Intent(android.provider.Settings.ACTION_NFC_SETTINGS))
                }
            }
            jp.techo.app.platform.CardReader.State.MISSING -> text(
                t("この端末は NFC に対応していないため、カードを読み取れません", "This phone has no NFC: it cannot read the card"),
                20f,
                tag = "$tag.nfc",
            )
        }
    }

    /** Replaces the screen with a scrolling column built by [build]. */
    fun screen(build: LinearLayout.() -> Unit): LinearLayout {
        val column = LinearLayout(this).apply {
            orientation = LinearLayout.VERTICAL
            setPadding(dp(20), dp(20), dp(20), dp(20))
            setBackgroundColor(Color.WHITE)
            build()
        }
        setContentView(ScrollView(this).apply {
            setBackgroundColor(Color.WHITE)
            isFillViewport = true
            addView(column)
        })
        return column
    }
}

/** Density-independent pixels to pixels. */
fun View.dp(v: Int): Int = (v * resources.displayMetrics.density).toInt()
fun Activity.dp(v: Int): Int = (v * resources.displayMetrics.density).toInt()

/** A text line; [sp] follows the system font size (the core's own sizes use [points]). */
fun LinearLayout.text(value: String, sp: Float = 18f, bold: Boolean = false, tag: String? = null): TextView =
    TextView(context).apply {
        text = value
        textSize = sp
        setTextColor(Color.rgb(0x1A, 0x1A, 0x1A))
        if (bold) setTypeface(typeface, Typeface.BOLD)
        setPadding(0, dp(6), 0, dp(6))
        this.tag = tag
    }.also { addView(it) }

/** Sizes the core already scaled to the holder's text size: applied as they are, never again. */
fun TextView.points(pt: Double) = setTextSize(TypedValue.COMPLEX_UNIT_DIP, pt.toFloat())

/** A full-width button at least 48 dp tall; [spoken] is what TalkBack says when it differs. */
fun LinearLayout.button(label: String, tag: String? = null, spoken: String? = null, onClick: () -> Unit): Button =
    Button(context).apply {
        text = label
        textSize = 18f
        minHeight = dp(56)
        isAllCaps = false
        this.tag = tag
        spoken?.let { contentDescription = it }
        setOnClickListener { onClick() }
    }.also {
        addView(it, LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, ViewGroup.LayoutParams.WRAP_CONTENT))
    }
