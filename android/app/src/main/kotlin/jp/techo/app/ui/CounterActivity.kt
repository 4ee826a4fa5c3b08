package jp.techo.app.ui

import android.graphics.BitmapFactory
import android.graphics.Color
import android.os.Bundle
import android.os.Handler
import android.os.Looper
import android.provider.Settings
import android.view.View
import android.view.ViewGroup
import android.view.WindowManager
import android.widget.Button
import android.widget.ImageView
import android.widget.LinearLayout
import android.widget.ScrollView
import android.widget.TextView
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import jp.techo.app.UnlockResult
import uniffi.techo_ffi.CodeStatus
import uniffi.techo_ffi.CounterFrame
import uniffi.techo_ffi.CounterOptions
import uniffi.techo_ffi.CounterSession
import uniffi.techo_ffi.Emphasis
import uniffi.techo_ffi.TechoException

/**
 * The counter screen, shown to staff at a gate or a counter. Draws the core's [CounterSession]
 * frame by frame: the frame says what to draw and when to ask again; signing (which may touch
 * StrongBox) runs on this screen's own worker thread, never on the main thread. No screenshots
 * (FLAG_SECURE), full brightness, the screen kept on.
 *
 * Staff check the kind, the fare class and the linkage first: they come first on the screen
 * and in TalkBack's order; the code follows, sized by the screen's width, never by the text.
 */
class CounterActivity : TechoActivity() {
    override val promptsForLock = true
    private lateinit var session: CounterSession
    /** Every call into the session happens here, one at a time, off the main thread. */
    private lateinit var worker: ExecutorService
    private val main = Handler(Looper.getMainLooper())
    private val next = Runnable { requestFrame() }
    private var running = false
    private var unlocking = false

    private lateinit var glow: GlowFrame
    private lateinit var column: LinearLayout
    private lateinit var banner: TextView
    private lateinit var guardian: TextView
    private lateinit var coupon: TextView
    /** Unlocks passed on this screen (frames asked for before the latest one are stale). */
    private var unlocks = 0
    private lateinit var shape: ShapeView
    private lateinit var kind: TextView
    private lateinit var items: LinearLayout
    private lateinit var character: CharacterView
    private lateinit var clock: TextView
    private lateinit var qr: QrView
    private lateinit var message: TextView
    private lateinit var retry: Button
    private lateinit var photo: ImageView
    private lateinit var support: TextView
    private lateinit var switches: LinearLayout
    private var photoFor: String? = null
    private var switchesFor: String? = null

    /** The last frame drawn (tests read it; the screen is drawn from it). */
    var shown: CounterFrame? = null
        private set

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        window.addFlags(WindowManager.LayoutParams.FLAG_SECURE or WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON)
        window.attributes = window.attributes.apply { screenBrightness = 1f }
        val reducedMotion =
            Settings.Global.getFloat(contentResolver, Settings.Global.ANIMATOR_DURATION_SCALE, 1f) == 0f
        session = CounterSession(
            app.wallet,
            CounterOptions(lang, reducedMotion, resources.configuration.fontScale.toDouble(), false),
        )
        // From the coupon list: the code carries the operator's coupon (the band says which).
        session.setCoupon(intent.getStringExtra(COUPON_OPERATOR), intent.getStringExtra(COUPON_ID))
        worker = Executors.newSingleThreadExecutor { r -> Thread(r, "counter") }
        buildViews()
    }

    private fun buildViews() {
        glow = GlowFrame(this)
        column = LinearLayout(this).apply {
            orientation = LinearLayout.VERTICAL
            setPadding(dp(20), dp(16), dp(20), dp(24))
        }
        fun line(tag: String) = TextView(this).apply {
            this.tag = tag
            setPadding(0, dp(4), 0, dp(4))
        }.also { column.addView(it) }
        banner = line("counter.banner").apply { visibility = View.GONE; setBackgroundColor(0xFFFFF3C4.toInt()) }
        guardian = line("counter.guardian").apply {
            visibility = View.GONE
            setBackgroundColor(Color.rgb(0x5B, 0x2C, 0x83))
            setTextColor(Color.WHITE)
            setPadding(dp(12), dp(8), dp(12), dp(8))
        }
        coupon = line("counter.coupon").apply {
            visibility = View.GONE
            setBackgroundColor(Color.rgb(0xE8, 0xF0, 0xFE))
            setTextColor(Color.rgb(0x1A, 0x1A, 0x1A))
            setPadding(dp(12), dp(8), dp(12), dp(8))
        }
        val header = LinearLayout(this).apply { orientation = LinearLayout.HORIZONTAL }
        shape = ShapeView(this).apply { importantForAccessibility = View.IMPORTANT_FOR_ACCESSIBILITY_NO }
        header.addView(shape, LinearLayout.LayoutParams(dp(40), dp(40)).apply { rightMargin = dp(12); topMargin = dp(6) })
        kind = TextView(this).apply { tag = "counter.kind" }
        header.addView(kind, LinearLayout.LayoutParams(0, ViewGroup.LayoutParams.WRAP_CONTENT, 1f))
        column.addView(header)
        items = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL }
        column.addView(items)
        character = CharacterView(this).apply {
            importantForAccessibility = View.IMPORTANT_FOR_ACCESSIBILITY_NO
        }
        column.addView(character, LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, dp(36)))
        clock = line("counter.clock")
        qr = QrView(this).apply {
            tag = "counter.qr"
            contentDescription = t("確認用のコード", "Code for staff to check")
        }
        column.addView(qr, LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT, ViewGroup.LayoutParams.WRAP_CONTENT).apply {
            gravity = android.view.Gravity.CENTER_HORIZONTAL
            topMargin = dp(8)
        })
        message = line("counter.message").apply { visibility = View.GONE; textSize = 20f }
        retry = Button(this).apply {
            tag = "counter.retry"
            visibility = View.GONE
            textSize = 20f
            isAllCaps = false
            setOnClickListener { onRetry() }
        }
        column.addView(retry)
        photo = ImageView(this).apply {
            tag = "counter.photo"
            adjustViewBounds = true
            contentDescription = t("顔写真（タップで拡大）", "Face photo (tap to enlarge)")
            setOnClickListener { work { session.togglePhoto() }; requestFrame() }
        }
        column.addView(photo, LinearLayout.LayoutParams(ViewGroup.LayoutParams.WRAP_CONTENT, ViewGroup.LayoutParams.WRAP_CONTENT).apply {
            topMargin = dp(12)
        })
        support = line("counter.support").apply { visibility = View.GONE; setPadding(dp(14), dp(10), dp(14), dp(10)) }
        switches = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL }
        column.addView(switches)
        glow.addView(ScrollView(this).apply { addView(column) })
        setContentView(glow)
    }

    override fun onResume() {
        super.onResume()
        running = true
        requestFrame()
    }

    override fun onPause() {
        running = false
        main.removeCallbacks(next)
        super.onPause()
    }

    override fun onDestroy() {
        worker.shutdownNow()
        session.close()
        super.onDestroy()
    }

    /** Runs [task] on the worker; a refusal is shown, never an uncaught exception. */
    private fun work(task: () -> Unit) {
        if (worker.isShutdown) return
        worker.execute {
            try {
                task()
            } catch (e: TechoException) {
                main.post { showMessage(e.message ?: e.toString(), retryLabel = null) }
            }
        }
    }

    /** Asks the worker for a frame; draws it on the main thread and schedules the next. */
    private fun requestFrame() {
        main.removeCallbacks(next)
        if (!running || worker.isShutdown) return
        val asked = unlocks
        worker.execute {
            val result = try {
                Result.success(session.frame())
            } catch (e: TechoException) {
                Result.failure(e)
            }
            main.post { draw(result, asked) }
        }
    }

    /**
     * [asked]: how many unlocks had passed when the frame was asked for. A frame made before the
     * latest unlock may still say "unlock needed": it must not prompt a second time.
     */
    private fun draw(result: Result<CounterFrame?>, asked: Int) {
        if (isFinishing || isDestroyed) return
        val frame = result.getOrElse { e ->
            showMessage(e.message ?: e.toString(), retryLabel = null)
            main.postDelayed(next, 5_000)
            return
        } ?: return finish()
        shown = frame
        if (frame.status == CodeStatus.UNLOCK_NEEDED && asked != unlocks && !app.lock.needsUnlock()) {
            requestFrame()
            return
        }
        val locked = app.lock.needsUnlock() || frame.status == CodeStatus.UNLOCK_NEEDED
        render(frame, locked)
        if (locked) askToUnlock()
        if (running) main.postDelayed(next, frame.nextFrameMs.toLong())
    }

    private fun render(frame: CounterFrame, locked: Boolean) {
        val v = frame.view
        val bg = colour(v.background, Color.WHITE)
        val fg = colour(v.textColour, Color.BLACK)
        val accent = colour(v.accent, Color.BLUE)
        column.setBackgroundColor(bg)
        glow.colour = accent
        glow.phase = v.glowPhase
        banner.visibility = if (v.updateBanner == null) View.GONE else View.VISIBLE
        banner.text = v.updateBanner
        coupon.visibility = if (v.coupon == null) View.GONE else View.VISIBLE
        coupon.text = v.coupon
        coupon.points(v.itemPt)
        guardian.visibility = if (v.guardianBand == null) View.GONE else View.VISIBLE
        guardian.text = v.guardianBand
        guardian.points(v.itemPt)
        shape.shape = v.shape
        shape.colour = accent
        shape.invalidate()
        val first = v.items.firstOrNull()
        kind.text = first?.value
        kind.contentDescription = first?.spoken
        kind.points(v.kindPt)
        kind.setTextColor(fg)
        kind.setTypeface(kind.typeface, android.graphics.Typeface.BOLD)
        val rest = v.items.drop(1).filter { it.key != "photo" }
        while (items.childCount < rest.size) items.addView(TextView(this).apply { setPadding(0, dp(4), 0, dp(4)) })
        while (items.childCount > rest.size) items.removeViewAt(items.childCount - 1)
        rest.forEachIndexed { i, item ->
            (items.getChildAt(i) as TextView).apply {
                tag = "counter.item.${item.key}"
                text = "${item.label}　${item.value}"
                contentDescription = item.spoken
                points(v.itemPt)
                setTextColor(
                    when (item.emphasis) {
                        Emphasis.ALERT -> Color.rgb(0xB0, 0x00, 0x20)
                        Emphasis.CAUTION -> Color.rgb(0x8A, 0x55, 0x00)
                        Emphasis.NORMAL -> fg
                    },
                )
            }
        }
        character.colour = accent
        character.frame = v.characterFrame?.toInt()
        clock.text = v.clock
        clock.points(v.clockPt)
        clock.setTextColor(fg)
        val code = frame.code.takeIf { frame.status == CodeStatus.SHOWN && !locked }
        qr.code = code
        qr.visibility = if (code == null) View.GONE else View.VISIBLE
        when {
            locked -> showMessage(t("ロックを解除するとコードが表示されます", "Unlock to show the code"), t("ロックを解除する", "Unlock"))
            frame.status == CodeStatus.CANCELLED -> showMessage(frame.message ?: "", t("タップしてコードを表示", "Tap to show the code"))
            frame.status == CodeStatus.FAILED -> showMessage(frame.message ?: "", t("もう一度", "Try again"))
            code == null -> showMessage(frame.message ?: "", retryLabel = null)
            else -> {
                message.visibility = View.GONE
                retry.visibility = View.GONE
            }
        }
        message.setTextColor(fg)
        drawPhoto(v.handbookId, v.photoEnlarged)
        drawSupport(v)
        drawSwitches(v)
    }

    private fun showMessage(text: String, retryLabel: String?) {
        message.text = text
        message.visibility = if (text.isEmpty()) View.GONE else View.VISIBLE
        retry.text = retryLabel
        retry.visibility = if (retryLabel == null) View.GONE else View.VISIBLE
    }

    private fun onRetry() {
        if (app.lock.needsUnlock() || shown?.status == CodeStatus.UNLOCK_NEEDED) {
            askToUnlock()
        } else {
            work { session.retry() }
            requestFrame()
        }
    }

    /** The app lock, once per need: a cancel waits for the holder's tap, never a prompt loop. */
    private fun askToUnlock() {
        if (unlocking) return
        unlocking = true
        app.platform.unlock(this, t("Techo のロック解除", "Unlock Techo"), t("手帳を表示します", "to show the handbook")) { result ->
            if (result == UnlockResult.Unlocked) {
                unlocks++
                app.lock.unlocked()
                work { session.unlocked() }
                unlocking = false
                requestFrame()
            } else {
                // Keep `unlocking` until the holder taps: the next frames must not prompt again.
                retry.setOnClickListener { unlocking = false; onRetry() }
            }
        }
    }

    private fun drawPhoto(id: String, enlarged: Boolean) {
        if (photoFor != id) {
            photoFor = id
            val bytes = try {
                app.wallet.photo(id)
            } catch (_: TechoException) {
                null
            }
            val bitmap = bytes?.let { BitmapFactory.decodeByteArray(it, 0, it.size) }
            photo.setImageBitmap(bitmap)
            photo.visibility = if (bitmap == null) View.GONE else View.VISIBLE
        }
        val side = if (enlarged) (resources.displayMetrics.widthPixels * 0.85).toInt() else dp(160)
        photo.maxWidth = side
        photo.maxHeight = side
        photo.layoutParams = photo.layoutParams.apply { width = side }
    }

    private fun drawSupport(v: uniffi.techo_ffi.CounterView) {
        val band = v.support
        support.visibility = if (band == null) View.GONE else View.VISIBLE
        band ?: return
        support.text = buildString {
            append(band.heading) // the heading says 本人申告 / self-declared itself
            band.lines.forEach { append("\n・${it.text}") }
            band.note?.let { append("\n$it") }
        }
        support.contentDescription = band.spoken
        support.points(v.itemPt * 0.8)
        support.setTextColor(Color.rgb(0x1A, 0x1A, 0x1A))
        support.background = DashedBox(colour(band.background, Color.LTGRAY), colour(band.outline, Color.DKGRAY), dp(2).toFloat())
    }

    /** One tap to another handbook, as the view model offers. */
    private fun drawSwitches(v: uniffi.techo_ffi.CounterView) {
        if (switchesFor == v.handbookId) return
        switchesFor = v.handbookId
        switches.removeAllViews()
        for (target in v.switchTo) {
            switches.button(t("切り替え：", "Switch to: ") + target.label, tag = "counter.switch.${target.handbookId}") {
                photoFor = null
                work { session.switchTo(target.handbookId) }
                requestFrame()
            }
        }
    }

    companion object {
        const val COUPON_OPERATOR = "coupon_operator"
        const val COUPON_ID = "coupon_id"
    }
}
