package jp.techo.app.presenter

import uniffi.techo_ffi.CounterOptions
import uniffi.techo_ffi.CounterView
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.Presentation
import uniffi.techo_ffi.TechoException
import uniffi.techo_ffi.Wallet

/** One frame of the counter screen: the core's view model and the QR code to draw. */
data class CounterFrame(
    val view: CounterView,
    /** `null` when nothing can be presented (not linked, or credentials used up). */
    val qr: Presentation?,
    /** Why there is no QR code, for the screen. */
    val qrProblem: String?,
    /**
     * The device key needs the holder to unlock first (the Keystore's window after the last
     * unlock has passed, e.g. a phone left unlocked and picked up later): show the app lock;
     * the next frame presents again.
     */
    val needsUnlock: Boolean = false,
)

/**
 * The counter screen. The view model (colours, items, glow phase, clock, seconds left on the QR)
 * comes from the core every frame; the QR is signed again when the core's countdown wraps, so
 * the code on the screen is never older than one 30-second step.
 */
class CounterPresenter(
    private val wallet: Wallet,
    var lang: Language,
    var reducedMotion: Boolean = false,
    var textScale: Double = 1.0,
) {
    var photoEnlarged = false
        private set
    private var qr: Presentation? = null
    private var qrFor: String? = null
    private var lastSecondsLeft = UInt.MAX_VALUE

    /** The frame to draw now; `null` when no handbook is registered. */
    fun frame(): CounterFrame? {
        val view = wallet.counterScreen(
            CounterOptions(lang, reducedMotion, textScale, photoEnlarged),
        ) ?: return null
        val rotated = view.qrSecondsLeft > lastSecondsLeft
        lastSecondsLeft = view.qrSecondsLeft
        var problem: String? = null
        var needsUnlock = false
        if (qr == null || rotated || qrFor != view.handbookId) {
            qr = try {
                wallet.present(view.handbookId)
            } catch (e: TechoException) {
                problem = e.message
                needsUnlock = e is TechoException.NotUnlocked
                null
            }
            qrFor = view.handbookId
        }
        return CounterFrame(view, qr, problem, needsUnlock)
    }

    fun togglePhoto() {
        photoEnlarged = !photoEnlarged
    }

    /** One tap to another handbook (the view model lists them in `switchTo`). */
    fun switchTo(handbookId: String) {
        wallet.selectForCounter(handbookId)
        qr = null
    }

    /** The QR modules as rows of booleans (dark = true), for a canvas. */
    fun modules(): List<BooleanArray> {
        val p = qr ?: return emptyList()
        val width = p.qrWidth.toInt()
        return (0 until width).map { row ->
            BooleanArray(width) { col -> p.qrModules[row * width + col] }
        }
    }
}
