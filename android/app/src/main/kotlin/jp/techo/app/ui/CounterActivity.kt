package jp.techo.app.ui

import android.app.Activity
import android.os.Bundle
import android.os.Handler
import android.os.Looper
import android.provider.Settings
import android.view.WindowManager
import android.widget.LinearLayout
import jp.techo.app.TechoApp
import jp.techo.app.platform.AppLock
import jp.techo.app.presenter.CounterPresenter

/**
 * The counter screen: shown to staff at a gate or a counter. No screenshots or screen recording
 * (FLAG_SECURE), full brightness while shown, the screen kept on; redrawn ten times a second
 * from the core's view model, the QR signed again every 30-second step.
 */
class CounterActivity : Activity() {
    private val app get() = application as TechoApp
    private lateinit var presenter: CounterPresenter
    private lateinit var canvas: CounterCanvas
    private val ticker = Handler(Looper.getMainLooper())
    private var unlocking = false
    private val tick = object : Runnable {
        override fun run() {
            redraw()
            ticker.postDelayed(this, 100)
        }
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        window.addFlags(WindowManager.LayoutParams.FLAG_SECURE or WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON)
        window.attributes = window.attributes.apply { screenBrightness = 1f }
        val reducedMotion = Settings.Global.getFloat(contentResolver, Settings.Global.ANIMATOR_DURATION_SCALE, 1f) == 0f
        presenter = CounterPresenter(
            app.wallet,
            app.lang,
            reducedMotion = reducedMotion,
            textScale = resources.configuration.fontScale.toDouble(),
        )
        canvas = CounterCanvas(this).apply {
            setOnClickListener { presenter.togglePhoto() }
        }
        val column = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL }
        column.addView(canvas, LinearLayout.LayoutParams(LinearLayout.LayoutParams.MATCH_PARENT, 0, 1f))
        setContentView(column)
        addSwitchButtons(column)
    }

    /** One tap to another handbook, as the view model offers. */
    private fun addSwitchButtons(column: LinearLayout) {
        val targets = presenter.frame()?.view?.switchTo ?: return
        for (target in targets) {
            column.button(target.label) { presenter.switchTo(target.handbookId) }
        }
    }

    private fun redraw() {
        val frame = presenter.frame() ?: return finish()
        val locked = frame.needsUnlock || app.lock.needsUnlock
        // Behind the lock prompt, no code.
        canvas.modules = if (locked) emptyList() else presenter.modules()
        canvas.frame = frame
        if (locked && !unlocking) {
            unlocking = true
            AppLock(this).unlock(
                title = pick(app.lang, "Techo のロック解除", "Unlock Techo"),
                subtitle = pick(app.lang, "手帳を表示します", "to show the handbook"),
                // The next frame presents again.
                onUnlocked = {
                    app.lock.unlocked()
                    unlocking = false
                },
                // Not the holder, or cancelled: back to the list rather than asking in a loop.
                onFailed = { finish() },
            )
        }
    }

    override fun onResume() {
        super.onResume()
        ticker.post(tick)
    }

    override fun onPause() {
        ticker.removeCallbacks(tick)
        super.onPause()
    }
}
